import { createHmac } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallEvent, Decision } from '../../src/model/call-event.ts'
import { createStringee } from '../../src/providers/stringee/index.ts'
import { type FakeStringee, startFakeStringee } from '../helpers/fake-stringee.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { type LogEntry, recordingLogger, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isStringeeScco } from './stringee-answer.ts'

const SIGNING = 'stringee-signing-secret'
const sign = (data: string) => createHmac('sha1', SIGNING).update(data).digest('base64')

interface Action {
  action: string
  text?: string
  eventUrl?: string
  to?: { type: string; number: string }
  customData?: string
}

/** Stringee's answer_url, input eventUrl and event_url against the real server, with request signing on. */
describe('Stringee', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { STRINGEE_SIGNING_SECRET: SIGNING, STRINGEE_DEFAULT_COUNTRY: 'IL' } })
  })
  afterAll(() => server.close())

  const answerUrl = async (query: Record<string, string>, signature?: string) => {
    const path = `/webhooks/stringee?${new URLSearchParams(query)}`
    const response = await fetch(server.url + path, { headers: { 'x-stringee-signature': signature ?? sign(path) } })
    return { status: response.status, body: (await response.json()) as Action[] }
  }
  const postSigned = async (path: string, body: unknown, signature?: string) => {
    const raw = JSON.stringify(body)
    const response = await fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-stringee-signature': signature ?? sign(raw) },
      body: raw,
    })
    return { status: response.status, body: (await response.json()) as Action[] }
  }
  const input = (scco: Action[], body: Record<string, unknown>) => {
    const url = new URL(scco.find((action) => action.action === 'input')?.eventUrl as string)
    return postSigned(url.pathname + url.search, { time: '1530870073736', customField: '', ...body })
  }

  it('answer_url: a known caller is connected to the owner (a Stringee agent), with the screen pop as customData', async () => {
    const { status, body } = await answerUrl({ from: '0501234567', to: '842471001234', uuid: 'st-1', fromInternal: 'false' })
    expect(status).toBe(200)
    expect(isStringeeScco(body)).toBe(true)
    const connect = body.find((action) => action.action === 'connect')
    expect(connect?.to).toEqual({ type: 'internal', number: '101', alias: 'Dana Levi' })
    expect(JSON.parse(connect?.customData ?? '{}')).toMatchObject({ NAME: 'Dana Levi', OWNER: 'John Doe' })
  })

  it('an unknown caller is asked for the PIN; the input result is routed by the rules (correct, timeout, wrong)', async () => {
    const prompt = (await answerUrl({ from: '0539999999', to: '842471001234', uuid: 'st-2' })).body
    expect(prompt.map((action) => action.action)).toEqual(['talk', 'input'])
    const correct = await input(prompt, { dtmf: '12345678', call_id: 'st-2', timeout: false })
    expect(correct.body.at(-1)?.to).toEqual({ type: 'external', number: '972541000101', alias: '+972541000101' })
    const silent = await input(prompt, { dtmf: '', call_id: 'st-2', timeout: 'true' })
    expect(silent.body[0]?.text).toMatch(/^Sorry, that account number was not found/)
  })

  /** A GET sent with the request-target exactly as given (fetch would escape its quotes), as Stringee sends it. */
  const rawGet = (target: string, signature: string) =>
    new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(server.url)
      const request = httpRequest({ hostname, port, path: target, headers: { 'x-stringee-signature': signature } }, (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      request.on('error', reject)
      request.end()
    })

  it.each([
    ["a raw '", `/webhooks/stringee?from=0539999999&to=842471001234&uuid=raw-1&fromInternal=true&custom=it's`],
    ['a raw "', `/webhooks/stringee?from=0539999999&to=842471001234&uuid=raw-2&fromInternal=true&custom=say%20"hi"`],
    // Undoing a parser's escapes cannot give this back: only the target as received (Node keeps it) matches.
    ["a raw ' beside an escaped %27", `/webhooks/stringee?from=0539999999&to=842471001234&uuid=raw-3&fromInternal=true&custom=it's%27`],
  ])('accepts a GET signed over its raw Request-URI with %s in the query', async (_, target) => {
    expect(await rawGet(target, sign(target))).toBe(200)
    expect(await rawGet(target, sign(target.replace('raw-', 'raw-x')))).toBe(401)
  })

  it('refuses unsigned, wrongly signed and tampered requests with 401', async () => {
    expect((await answerUrl({ from: '0501234567', to: '1', uuid: 'st-3' }, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(401)
    const prompt = (await answerUrl({ from: '0539999999', to: '842471001234', uuid: 'st-4' })).body
    const url = new URL(prompt[1]?.eventUrl as string)
    const body = { dtmf: '12345678', call_id: 'st-4', timeout: false }
    expect((await postSigned(url.pathname + url.search, body, sign(JSON.stringify({ ...body, dtmf: '1' })))).status).toBe(401)
  })

  it('a forged state or another call id gets the fallback, not the rules', async () => {
    const prompt = (await answerUrl({ from: '0539999999', to: '842471001234', uuid: 'st-5', callId: 'call-vn-1-ST5' })).body
    const other = await input(prompt, { dtmf: '12345678', call_id: 'someone-else', timeout: false })
    expect(other.body.at(-1)?.to).toEqual({ type: 'external', number: '972722776700', alias: '+972722776700' })
    const forged = await postSigned('/webhooks/stringee?state=forged.token.value', { dtmf: '1', call_id: 'st-5' })
    expect(forged.body.map((action) => action.text)).toEqual([
      'Connecting you to our team.',
      'Sorry, we cannot take your call right now. Please try again later.',
    ])
  })

  it('event_url status events go to the decision log', async () => {
    const response = await postSigned('/webhooks/stringee', {
      call_status: 'ended',
      call_id: 'st-1',
      from: { number: '972501234567' },
      to: { number: '842471001234' },
      timestamp_ms: 1530870073736,
      endCallCause: 'NORMAL_CLEARING',
      duration: 42,
      answerDuration: 40,
    })
    expect(response.status).toBe(200)
    await server.settle()
    const row = server
      .openSideConnection()
      .prepare(`SELECT action, duration_ms FROM decisions WHERE call_id = 'st-1' AND action LIKE 'status:%'`)
      .get()
    expect(row).toEqual({ action: 'status:ended', duration_ms: 42_000 })
  })
})

describe('Stringee queue agent list', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { STRINGEE_DEFAULT_COUNTRY: 'IL' } })
  })
  afterAll(() => server.close())

  it('puts the CRM owner first for each waiting call; without STRINGEE_QUEUE_AGENTS a caller with no owner gets none, and a warning says so', async () => {
    const response = await server.post('/webhooks/stringee', {
      queueId: 'QU_1',
      projectId: 42,
      calls: [
        { callId: 'call-vn-1', from: '0501234567', to: '842471001234' },
        { callId: 'call-vn-2', from: '0539999999', to: '842471001234' },
      ],
    })
    expect(await response.json()).toEqual({
      version: 2,
      calls: [
        { callId: 'call-vn-1', agents: [{ stringee_user_id: '101', routing_type: 1, answer_timeout: 15 }] },
        { callId: 'call-vn-2', agents: [] },
      ],
    })
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Stringee queue call has no agent to ring: set STRINGEE_QUEUE_AGENTS' }),
    )
  })
})

/** A decision's SMS (seed 002's key-press action 5): sent through Stringee's SMS API after the answer. */
describe('Stringee SMS to the caller', () => {
  let fake: FakeStringee
  beforeAll(async () => {
    fake = await startFakeStringee()
  })
  afterAll(() => fake.close())

  const goodbye = (sms: string): Decision => ({ action: 'hangup', items: [{ type: 'text', value: 'Goodbye.' }], language: 'EN', sms })
  const call = (overrides: Partial<CallEvent> = {}) =>
    sampleCall({ provider: 'stringee', callId: 'call-vn-1-SMS-1', callerRaw: '0901234567', caller: '+84901234567', ...overrides })
  const stringee = (sms: { keySid?: string; keySecret?: string; from?: string; timeoutMs?: number } = {}) => {
    const { log, entries } = recordingLogger()
    const handler = createStringee({
      stateSecret: 'stringee-sms-state-secret',
      sms: { apiUrl: fake.url, keySid: fake.keySid, keySecret: fake.keySecret, from: fake.brandname, ...sms },
      log,
    })
    return { handler, entries }
  }
  /** No log line may carry the caller's number or the text. */
  const numberless = (entries: LogEntry[]) => expect(JSON.stringify(entries)).not.toMatch(/0901234567|84901234567|84909990000|Pay at/)

  it('the answer is the goodbye; its follow-up sends the SMS, signed with a REST token Stringee takes', async () => {
    const { handler, entries } = stringee()
    const answer = await handler.render(goodbye('Pay at example.com/pay'), call())
    expect(JSON.parse(answer.body)).toEqual([{ action: 'talk', text: 'Goodbye.', voice: 'female', bargeIn: false }])
    expect(fake.received.filter((sms) => sms.to === '84901234567')).toEqual([])
    await answer.followUp?.()
    expect(fake.received.filter((sms) => sms.to === '84901234567')).toEqual([
      { from: 'ACME', to: '84901234567', text: 'Pay at example.com/pay', r: 0 },
    ])
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'Stringee SMS sent', fields: { callId: 'call-vn-1-SMS-1' } }),
    )
    numberless(entries)
  })

  it("a message Stringee refuses with 200 (brandname not registered) is logged as a failure, with Stringee's reason", async () => {
    const { handler, entries } = stringee({ from: 'NOT_OURS' })
    await (await handler.render(goodbye('Pay at example.com/pay'), call())).followUp?.()
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Stringee SMS refused',
        fields: { callId: 'call-vn-1-SMS-1', r: 5, reason: 'BRANDNAME_NOT_FOUND' },
      }),
    )
    numberless(entries)
  })

  it('a token signed with the wrong secret gets 401: logged, never thrown', async () => {
    const { handler, entries } = stringee({ keySecret: 'not-the-secret' })
    await expect((await handler.render(goodbye('Pay at example.com/pay'), call())).followUp?.()).resolves.toBeUndefined()
    expect(fake.refused).toContain('bad signature')
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'Stringee SMS failed', fields: expect.objectContaining({ status: 401 }) }),
    )
    numberless(entries)
  })

  it('a send that gets no answer is given up at its deadline and logged', async () => {
    const { handler, entries } = stringee({ timeoutMs: 100 })
    await (await handler.render(goodbye('Pay at example.com/pay'), call({ caller: '+84909990000' }))).followUp?.()
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Stringee SMS failed',
        fields: { callId: 'call-vn-1-SMS-1', error: 'no answer within 100 ms' },
      }),
    )
    numberless(entries)
  })

  it('without the API settings the call is answered all the same: said at start-up, and per call, no SMS sent', async () => {
    const { handler, entries } = stringee({ keySid: undefined, keySecret: undefined })
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'STRINGEE_API_KEY_SID, STRINGEE_API_KEY_SECRET not set: Stringee calls will be routed but send no SMS',
      }),
    )
    const answer = await handler.render(goodbye('Pay at example.com/pay'), call({ callId: 'call-vn-1-SMS-NOKEY' }))
    expect(JSON.parse(answer.body)).toHaveLength(1)
    await answer.followUp?.()
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'Stringee SMS not sent: settings missing' }))
    numberless(entries)
  })

  it('no follow-up without an SMS, or without a number to send it to (withheld, or an app call whose from is a user id)', async () => {
    const { handler } = stringee()
    expect((await handler.render({ action: 'hangup', items: [], language: 'EN' }, call())).followUp).toBeUndefined()
    expect((await handler.render(goodbye('Hi'), call({ caller: undefined, callerRaw: '' }))).followUp).toBeUndefined()
    expect((await handler.render(goodbye('Hi'), call({ providerContext: { internal: '1' } }))).followUp).toBeUndefined()
  })
})
