import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRouteeClient } from '../../src/providers/routee/routee-client.ts'
import { type FakeRoutee, startFakeRoutee } from '../helpers/fake-routee.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isRouteeDialPlan } from './routee-answer.ts'

const plan = { verbs: [{ type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'hi' } }] }

describe('Routee REST client', () => {
  let fake: FakeRoutee
  beforeAll(async () => {
    fake = await startFakeRoutee()
  })
  afterAll(() => fake.close())
  // The fake enforces Routee's 1 request/s across tests too.
  afterEach(() => new Promise((resolve) => setTimeout(resolve, 1000)))

  const client = (overrides: { applicationSecret?: string } = {}) =>
    createRouteeClient({
      applicationId: fake.applicationId,
      applicationSecret: overrides.applicationSecret ?? fake.applicationSecret,
      authUrl: fake.url,
      apiUrl: fake.url,
    })

  it('fetches a token once, caches it, and keeps to one conversation per second', async () => {
    const routee = client()
    const tokensBefore = fake.tokenRequests
    const started = performance.now()
    const [first, second] = await Promise.all([
      routee.startConversation({ from: 'Company', to: { phone: '+30691111111' }, dialPlan: plan }),
      routee.startConversation({ from: 'Company', to: { phone: '+30691111112' }, dialPlan: plan }),
    ])
    expect(first.trackingId).toMatch(/^tracking-/)
    expect(second.trackingId).toMatch(/^tracking-/)
    expect(fake.tokenRequests - tokensBefore).toBe(1)
    expect(performance.now() - started).toBeGreaterThanOrEqual(990)
    const [a, b] = fake.conversations.slice(-2)
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(990)
  })

  it('fetches a new token when Routee answers 401', async () => {
    const routee = client()
    await routee.startConversation({ from: 'Company', to: { phone: '+30691111111' }, dialPlan: plan })
    const tokensBefore = fake.tokenRequests
    fake.tokens.clear()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const result = await routee.startConversation({ from: 'Company', to: { phone: '+30691111111' }, dialPlan: plan })
    expect(result.trackingId).toMatch(/^tracking-/)
    expect(fake.tokenRequests - tokensBefore).toBe(1)
  })

  it('fetches a new token when the cached one expires', async () => {
    fake.expiresIn = 60
    const routee = client()
    try {
      const tokensBefore = fake.tokenRequests
      await routee.startConversation({ from: 'Company', to: { phone: '+30691111111' }, dialPlan: plan })
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await routee.startConversation({ from: 'Company', to: { phone: '+30691111111' }, dialPlan: plan })
      // expires_in 60 minus a minute of safety margin: every call needs a fresh token.
      expect(fake.tokenRequests - tokensBefore).toBe(2)
    } finally {
      fake.expiresIn = 3600
    }
  })

  it('a wrong application secret is an error that names the status', async () => {
    await expect(client({ applicationSecret: 'wrong' }).startConversation({ from: 'C', to: { phone: '+30691111111' }, dialPlan: plan })).rejects.toThrow(
      'Routee token request failed: HTTP 401',
    )
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
  afterEach(() => new Promise((resolve) => setTimeout(resolve, 1000)))

  const call = (body: unknown, token = ADMIN) =>
    fetch(`${server.url}/admin/routee/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('starts a call that plays the PIN prompt and collects digits back to us', async () => {
    const response = await call({ to: '+30 691 111 1111' })
    expect(response.status).toBe(202)
    expect(await response.json()).toEqual({ trackingId: expect.stringMatching(/^tracking-/), to: '+306911111111', from: '+302111234567' })
    const sent = fake.conversations.at(-1)?.body as { from: string; to: unknown; dialPlan: { verbs: { type: string; eventUrl?: string }[] }; callback: unknown }
    expect(sent.from).toBe('+302111234567')
    expect(sent.to).toEqual({ phone: '+306911111111' })
    expect(sent.callback).toEqual({ url: 'https://ivr.example.com/webhooks/routee', strategy: 'OnChange' })
    expect(isRouteeDialPlan(sent.dialPlan)).toBe(true)
    expect(sent.dialPlan.verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY'])
    expect(sent.dialPlan.verbs[1]?.eventUrl).toMatch(/^https:\/\/ivr\.example\.com\/webhooks\/routee\?state=/)
  })

  it('the collected PIN comes back to the rules at the PIN step', async () => {
    await call({ to: '+306911111111' })
    const sent = fake.conversations.at(-1)?.body as { dialPlan: { verbs: { eventUrl?: string }[] } }
    const url = new URL(sent.dialPlan.verbs[1]?.eventUrl as string)
    const answer = await server.post(url.pathname + url.search, { messageId: 'm', conversationTrackingId: 'tracking-x', collectedTones: '1,2,3,4,5,6,7,8' })
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
  it('asks the running service to start the call and prints its answer', async () => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const fake = await startFakeRoutee()
    const server = await startTestServer({
      env: {
        ADMIN_TOKEN: 'cli-admin-token-0123456789',
        ROUTEE_APP_ID: fake.applicationId,
        ROUTEE_APP_SECRET: fake.applicationSecret,
        ROUTEE_AUTH_URL: fake.url,
        ROUTEE_API_URL: fake.url,
        ROUTEE_CALLER_ID: '+302111234567',
      },
    })
    try {
      const cli = new URL('../../src/runtime/routee-call.ts', import.meta.url).pathname
      const { stdout } = await promisify(execFile)(process.execPath, [cli, '--to', '+306911111111', '--url', server.url], {
        env: { ...process.env, ADMIN_TOKEN: 'cli-admin-token-0123456789' },
      })
      expect(JSON.parse(stdout)).toEqual({ trackingId: 'tracking-1', to: '+306911111111', from: '+302111234567' })
      expect(fake.conversations).toHaveLength(1)
    } finally {
      await server.close()
      await fake.close()
    }
  })
})
