import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRouteeClient } from '../../src/providers/routee/routee-client.ts'
import { routeeCall } from '../../src/runtime/routee-call.ts'
import { type FakeRoutee, startFakeRoutee } from '../helpers/fake-routee.ts'
import { freePort } from '../helpers/free-port.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isRouteeDialPlan } from './routee-answer.ts'

const plan = { verbs: [{ type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'hi' } }] }
const conversation = (phone = '+30691111111') => ({ from: 'Company', to: { phone }, dialPlan: plan })

// Taken before any test fakes timers: I/O on loopback is waited for in real time, the client's pacing in fake time.
const realSetTimeout = globalThis.setTimeout
const realPause = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms))
/** Waits (in real time, at most 2 s) until the condition holds: the fake Routee answers over a real socket. */
const until = async (condition: () => boolean) => {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2000) throw new Error('timed out waiting for the fake Routee')
    await realPause(5)
  }
}

describe('Routee REST client', () => {
  let fake: FakeRoutee
  // A fresh fake per test: its 1 request/s limit (on the same faked clock) never carries over from the last test.
  beforeEach(async () => {
    // Only the clock and the client's sleep are faked; sockets, the fake's server and setImmediate stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    fake = await startFakeRoutee()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await fake.close()
  })

  const client = (overrides: { applicationSecret?: string } = {}) =>
    createRouteeClient({
      applicationId: fake.applicationId,
      applicationSecret: overrides.applicationSecret ?? fake.applicationSecret,
      authUrl: fake.url,
      apiUrl: fake.url,
    })

  it('fetches a token once, caches it, and keeps to one conversation per second', async () => {
    const routee = client()
    const first = routee.startConversation(conversation('+30691111111'))
    const second = routee.startConversation(conversation('+30691111112'))
    await until(() => fake.conversations.length === 1)
    // The second waits for the clock, not for I/O: given real time, it still does not go out.
    await realPause(30)
    expect(fake.conversations).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(999)
    await realPause(30)
    expect(fake.conversations).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect((await first).trackingId).toBe('tracking-1')
    expect((await second).trackingId).toBe('tracking-2')
    const [a, b] = fake.conversations
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBe(1000)
    expect(a?.body.to).toEqual({ phone: '+30691111111' })
    expect(b?.body.to).toEqual({ phone: '+30691111112' })
    expect(fake.tokenRequests).toBe(1)
    expect(fake.conversations.map((sent) => sent.authorization)).toEqual(['Bearer token-1', 'Bearer token-1'])
  })

  it('waits no longer than it must: a call a second after the last goes out at once', async () => {
    const routee = client()
    await routee.startConversation(conversation())
    vi.setSystemTime(Date.now() + 1000)
    // No timer is advanced: were the client to sleep, this would never resolve and `until` would time out.
    let done = false
    void routee.startConversation(conversation()).then(() => {
      done = true
    })
    await until(() => done)
    expect(fake.conversations).toHaveLength(2)
  })

  // Routee's docs: "once you get an HTTP response with a status code of 401 or 403 … issue a new token".
  it.each([
    ['401 (a token it does not know)', (fake: FakeRoutee) => fake.tokens.clear()],
    ['403 (a token it no longer takes)', (fake: FakeRoutee) => fake.forbidden.add('token-1')],
  ])('fetches a new token when Routee answers %s, once, and sends the call with it', async (_, refuse) => {
    const routee = client()
    await routee.startConversation(conversation())
    refuse(fake)
    vi.setSystemTime(Date.now() + 1000)
    const result = await routee.startConversation(conversation())
    expect(result.trackingId).toBe('tracking-2')
    expect(fake.tokenRequests).toBe(2)
    expect(fake.conversations.map((sent) => sent.authorization)).toEqual(['Bearer token-1', 'Bearer token-2'])
  })

  it('a second refusal with the new token is an error that names the status, not a loop', async () => {
    const routee = client()
    await routee.startConversation(conversation())
    fake.forbidden.add('token-1')
    fake.forbidden.add('token-2')
    vi.setSystemTime(Date.now() + 1000)
    await expect(routee.startConversation(conversation())).rejects.toThrow('Routee /voice/conversation failed: HTTP 403')
    expect(fake.tokenRequests).toBe(2)
  })

  it('keeps the token until a minute before it expires, then fetches a new one', async () => {
    fake.expiresIn = 3600
    const routee = client()
    const issuedAt = Date.now()
    await routee.startConversation(conversation())
    vi.setSystemTime(issuedAt + 3_539_000)
    await routee.startConversation(conversation())
    expect(fake.tokenRequests).toBe(1)
    vi.setSystemTime(issuedAt + 3_540_000)
    await routee.startConversation(conversation())
    expect(fake.tokenRequests).toBe(2)
    expect(fake.conversations.map((sent) => sent.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2'])
  })

  it('a token that expires within the minute of margin is fetched again for every call', async () => {
    fake.expiresIn = 60
    const routee = client()
    await routee.startConversation(conversation())
    vi.setSystemTime(Date.now() + 1000)
    await routee.startConversation(conversation())
    expect(fake.tokenRequests).toBe(2)
  })

  it('a wrong application secret is an error that names the status', async () => {
    await expect(client({ applicationSecret: 'wrong' }).startConversation(conversation())).rejects.toThrow(
      'Routee token request failed: HTTP 401',
    )
    expect(fake.conversations).toHaveLength(0)
  })
})

describe('POST /admin/routee/calls', () => {
  const ADMIN = 'admin-token-0123456789abcdef'
  let fake: FakeRoutee
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeRoutee()
    server = await startTestServer({
      env: {
        ADMIN_TOKEN: ADMIN,
        ROUTEE_APP_ID: fake.applicationId,
        ROUTEE_APP_SECRET: fake.applicationSecret,
        ROUTEE_AUTH_URL: fake.url,
        ROUTEE_API_URL: fake.url,
        ROUTEE_CALLER_ID: '+302111234567',
        PUBLIC_URL: 'https://ivr.example.com',
      },
    })
  })
  afterAll(async () => {
    await server.close()
    await fake.close()
  })
  // Only the first test reaches Routee; the others are refused before it, so no test waits for the 1 call/s pace.

  const call = (body: unknown, token = ADMIN) =>
    fetch(`${server.url}/admin/routee/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('starts a call that plays the PIN prompt, and the PIN typed comes back to the rules at the PIN step', async () => {
    const response = await call({ to: '+30 691 111 1111' })
    expect(response.status).toBe(202)
    expect(await response.json()).toEqual({ trackingId: 'tracking-1', to: '+306911111111', from: '+302111234567' })
    expect(fake.conversations).toHaveLength(1)
    const sent = fake.conversations[0]?.body as {
      from: string
      to: unknown
      dialPlan: { verbs: { type: string; eventUrl?: string }[] }
      callback: unknown
    }
    expect(sent.from).toBe('+302111234567')
    expect(sent.to).toEqual({ phone: '+306911111111' })
    expect(sent.callback).toEqual({ url: 'https://ivr.example.com/webhooks/routee', strategy: 'OnChange' })
    expect(isRouteeDialPlan(sent.dialPlan)).toBe(true)
    expect(sent.dialPlan.verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY'])
    expect(sent.dialPlan.verbs[1]?.eventUrl).toMatch(/^https:\/\/ivr\.example\.com\/webhooks\/routee\?state=/)

    // Routee posts the digits to the COLLECT eventUrl: they go through the rules at ROUTEE_PIN_STEP.
    const url = new URL(sent.dialPlan.verbs[1]?.eventUrl as string)
    const answer = await server.post(url.pathname + url.search, {
      messageId: 'm',
      conversationTrackingId: 'tracking-x',
      collectedTones: '1,2,3,4,5,6,7,8',
    })
    expect(((await answer.json()) as { verbs: unknown[] }).verbs.at(-1)).toMatchObject({ type: 'DIAL', to: { phone: '+972541000101' } })
  })

  it.each([
    ['no token', undefined, 401],
    ['a wrong token', 'wrong-token-wrong-token', 401],
  ])('refuses %s', async (_, token, status) => {
    const response = await fetch(`${server.url}/admin/routee/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ to: '+306911111111' }),
    })
    expect(response.status).toBe(status)
  })

  it.each([
    [{}, 'to: is required'],
    [{ to: 5 }, 'to: must be a phone number'],
    [{ to: 'abc' }, 'to: is not a phone number'],
  ])('answers bad input %j with 400', async (body, message) => {
    const before = fake.conversations.length
    const response = await call(body)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(message)
    expect(fake.conversations.length).toBe(before)
  })
})

describe('npm run routee:call', () => {
  const ADMIN = 'cli-admin-token-0123456789'
  const CLI = fileURLToPath(new URL('../../src/runtime/routee-call.ts', import.meta.url))
  let fake: FakeRoutee
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeRoutee()
    server = await startTestServer({
      seed: false,
      env: {
        ADMIN_TOKEN: ADMIN,
        ROUTEE_APP_ID: fake.applicationId,
        ROUTEE_APP_SECRET: fake.applicationSecret,
        ROUTEE_AUTH_URL: fake.url,
        ROUTEE_API_URL: fake.url,
        ROUTEE_CALLER_ID: '+302111234567',
      },
    })
  })
  afterAll(async () => {
    await server.close()
    await fake.close()
  })

  /** The command as npm runs it: its own process, exit code and both streams. */
  const runCli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      )
    })

  it('a service that is not running: one line that says where, why and what to check, exit code 1, no stack', async () => {
    const port = await freePort()
    const { code, stdout, stderr } = await runCli(['--to', '+306911111111', '--url', `http://127.0.0.1:${port}`], { ADMIN_TOKEN: ADMIN })
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toContain(`cannot reach the service at http://127.0.0.1:${port} (from --url): connection refused`)
    expect(stderr).toContain('Is it running (npm start)?')
    expect(stderr).toContain('--url')
    expect(stderr).not.toMatch(/\bat .+:\d+:\d+/)
  })

  // The rest in-process (the function the command runs, minus printing), against real services configured each way.
  const cli = (url: string, args: string[] = ['--to', '+306911111111'], env: Record<string, string> = { ADMIN_TOKEN: ADMIN }) =>
    routeeCall([...args, '--url', url], env)

  it('asks the running service to start the call and prints its answer', async () => {
    const result = await cli(server.url)
    expect(result.err).toBeUndefined()
    expect(result.code).toBe(0)
    expect(JSON.parse(result.out ?? '')).toEqual({ trackingId: 'tracking-1', to: '+306911111111', from: '+302111234567' })
    expect(fake.conversations).toHaveLength(1)
  })

  it('a wrong ADMIN_TOKEN: 401, and which token to set', async () => {
    const result = await cli(server.url, undefined, { ADMIN_TOKEN: 'wrong-token-wrong-token' })
    expect(result).toEqual({
      code: 1,
      err: `routee:call: ${server.url}/admin/routee/calls answered HTTP 401 UNAUTHORIZED: a valid bearer token is required. ADMIN_TOKEN here must be the ADMIN_TOKEN the service runs with.`,
    })
  })

  it("bad input: 400 with the service's reason", async () => {
    const before = fake.conversations.length
    const result = await cli(server.url, ['--to', 'abc'])
    expect(result.code).toBe(1)
    expect(result.err).toContain('answered HTTP 400 BAD_REQUEST: to: is not a phone number. Check --to')
    expect(fake.conversations.length).toBe(before)
  })

  it('the admin API off (no ADMIN_TOKEN on the service): 404, and how to turn it on', async () => {
    const off = await startTestServer({ seed: false })
    try {
      const result = await cli(off.url)
      expect(result.code).toBe(1)
      expect(result.err).toMatch(/answered HTTP 404 DISABLED: .*\. The admin API is off: start the service with ADMIN_TOKEN set\.$/)
    } finally {
      await off.close()
    }
  })

  it('Routee not configured on the service: 503, and which settings it needs', async () => {
    const bare = await startTestServer({ seed: false, env: { ADMIN_TOKEN: ADMIN } })
    try {
      const result = await cli(bare.url)
      expect(result.code).toBe(1)
      expect(result.err).toMatch(
        /answered HTTP 503 NOT_CONFIGURED: .*\. Routee is not configured on the service: set ROUTEE_APP_ID and ROUTEE_APP_SECRET where it runs\.$/,
      )
    } finally {
      await bare.close()
    }
  })

  it('an address that is not the service: 404, and to check --url', async () => {
    const result = await cli(`${fake.url}/elsewhere`)
    expect(result.code).toBe(1)
    expect(result.err).toContain(
      `${fake.url}/elsewhere/admin/routee/calls answered HTTP 404: {"code":"404"}. Is ${fake.url} the ivr-crm-router service (check --url)?`,
    )
  })

  it('a command line without --to or ADMIN_TOKEN prints the usage, exit code 2', async () => {
    expect(await routeeCall(['--to', '+306911111111'], {})).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^ADMIN_TOKEN is not set\nusage: /),
    })
    expect(await routeeCall([], { ADMIN_TOKEN: ADMIN })).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^--to is required\nusage: /),
    })
    expect(await routeeCall(['--nope'], { ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 2, err: expect.stringContaining('usage: ') })
  })
})
