import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Decision } from '../../src/model/call-event.ts'
import { createRingCentral } from '../../src/providers/ringcentral/index.ts'
import { type FakeRingCentral, startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { recordingLogger, startTestServer, type TestServer } from '../helpers/test-server.ts'

const CALLER_PARTY = 'cs172622609264474468-2'
const APP_PARTY = 'cs172622609264474468-1'

/** A call state held in this test's memory, as the service's call_state table holds it. */
const memoryState = (entries: Record<string, Record<string, unknown>> = {}) => ({
  get: async (_: string, callId: string) => entries[callId],
  set: async (_: string, callId: string, value: Record<string, unknown>) => {
    entries[callId] = value
  },
})

/** RingCentral's IVR app callbacks against the real server; the commands land on a fake RingCentral. */
describe('RingCentral IVR app', () => {
  let fake: FakeRingCentral
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeRingCentral()
    server = await startTestServer({
      env: { RINGCENTRAL_TOKEN: fake.token, RINGCENTRAL_API_URL: fake.url, RINGCENTRAL_DEFAULT_COUNTRY: 'IL' },
    })
  })
  afterAll(async () => {
    await server.close()
    await fake.close()
  })
  beforeEach(() => {
    fake.commands.length = 0
  })

  const callback = async (body: unknown) => {
    const response = await server.post('/webhooks/ringcentral', body)
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  }
  const enter = (sessionId: string, from: string) =>
    callback({
      accountId: '400131141008',
      extensionId: '400131147008',
      inParty: { id: CALLER_PARTY, from: { phoneNumber: from }, to: { phoneNumber: '+16505550100' } },
      partyId: APP_PARTY,
      sessionId,
    })
  it('a known caller: 204 at once, then Forward to the owner extension on the app party', async () => {
    await enter('s-1', '+972501234567')
    await fake.waitFor(1)
    expect(fake.commands).toEqual([
      { session: 's-1', party: APP_PARTY, command: 'forward', body: { extensionNumber: '101' }, authorization: `Bearer ${fake.token}` },
    ])
  })

  it('on-call-exit and Play updates are logged, not routed', async () => {
    await callback({ accountId: '1', extensionId: '2', sessionId: 's-1', partyId: APP_PARTY })
    await callback({
      accountId: '1',
      extensionId: '2',
      sessionId: 's-1',
      partyId: APP_PARTY,
      command: 'Play',
      commandId: 'c1',
      status: 'Completed',
    })
    await server.settle()
    const rows = server
      .openSideConnection()
      .prepare(`SELECT action FROM decisions WHERE call_id = 's-1' AND action LIKE 'status:%' ORDER BY id`)
      .all()
    expect(rows).toEqual([{ action: 'status:exit' }, { action: 'status:Play:Completed' }])
    expect(fake.commands).toEqual([])
  })

  it('an on-call-exit with fields the docs do not list is still the exit', async () => {
    await callback({
      accountId: '1',
      extensionId: '2',
      sessionId: 's-4',
      partyId: APP_PARTY,
      reason: 'Forwarded',
      eventTime: '2026-11-23T08:00:05Z',
    })
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT action, reason FROM decisions WHERE call_id = 's-4' ORDER BY id`).all()
    expect(rows).toEqual([{ action: 'status:exit', reason: null }])
    expect(fake.commands).toEqual([])
  })
})

describe('RingCentral adapter without what it needs', () => {
  const forward: Decision = {
    action: 'dial',
    targets: [{ type: 'phone', value: '+972541000101' }],
    announce: [],
    language: 'EN',
    maxCallDuration: 60,
    maxDialDuration: 30,
    record: false,
    customData: {},
  }
  const call = { step: '1', attempt: 1, callerParty: 'cs-2', appParty: 'cs-1', from: '+972501234567', to: '+16505550100' }

  it('no RINGCENTRAL_TOKEN: one warning when created, and an error without phone numbers for each call it cannot command', async () => {
    const { log, entries } = recordingLogger()
    const requests: string[] = []
    const adapter = createRingCentral({
      state: memoryState({ 's-1': call }),
      log,
      fetch: async (url) => {
        requests.push(String(url))
        return new Response(null, { status: 201 })
      },
    })
    expect(entries).toEqual([
      { level: 'warn', message: expect.stringContaining('RINGCENTRAL_TOKEN'), fields: undefined },
      { level: 'warn', message: expect.stringContaining('RINGCENTRAL_FAILOVER'), fields: undefined },
    ])
    const answer = await adapter.render(forward, {
      provider: 'ringcentral',
      callId: 's-1',
      providerContext: { callerParty: call.callerParty, appParty: call.appParty },
    })
    await answer.followUp?.()
    await answer.followUp?.()
    expect(requests).toEqual([])
    const errors = entries.filter((entry) => entry.level === 'error')
    expect(errors).toEqual([
      { level: 'error', message: expect.stringContaining('RINGCENTRAL_TOKEN'), fields: { sessionId: 's-1', commands: ['forward'] } },
      { level: 'error', message: expect.stringContaining('RINGCENTRAL_TOKEN'), fields: { sessionId: 's-1', commands: ['forward'] } },
    ])
    expect(JSON.stringify(entries)).not.toContain('+972')
  })

  it('refuses callbacks whose ids are not ids it could put into a URL', async () => {
    const adapter = createRingCentral({ token: 't', state: memoryState(), log: recordingLogger().log })
    const enter = (sessionId: string, partyId: string, callerParty: string) => ({
      method: 'POST',
      query: {},
      body: { sessionId, partyId, inParty: { id: callerParty, from: { phoneNumber: '+972501234567' } } },
    })
    for (const [sessionId, partyId, callerParty] of [
      ['s-\ud800', 'cs-1', 'cs-2'],
      ['s-1', 'cs-\udc00', 'cs-2'],
      ['s-1', 'cs-1', 'cs-2\u0000'],
      ['s-1', 'cs-1', 'x'.repeat(129)],
    ] as const) {
      expect(await adapter.classify(enter(sessionId, partyId, callerParty))).toMatchObject({ kind: 'invalid' })
    }
    expect(await adapter.classify(enter('s-1', 'cs-1', 'cs-2'))).toMatchObject({ kind: 'call', event: { callId: 's-1' } })
    expect(
      await adapter.classify({
        method: 'POST',
        query: {},
        body: { sessionId: 's-\ud800', partyId: 'p', command: 'Collect', status: 'Completed' },
      }),
    ).toMatchObject({ kind: 'invalid' })
  })

  it('a party id with a lone surrogate read from the call state is logged, never thrown', async () => {
    const { log, entries } = recordingLogger()
    const adapter = createRingCentral({
      token: 'rc-app-token',
      state: memoryState(),
      log,
      fetch: async () => new Response(null, { status: 201 }),
    })
    const answer = await adapter.render(forward, {
      provider: 'ringcentral',
      callId: 's-2',
      providerContext: { callerParty: call.callerParty, appParty: 'cs-\ud800' },
    })
    await expect(answer.followUp?.()).resolves.toBeUndefined()
    expect(entries.filter((entry) => entry.level === 'error')).toEqual([
      { level: 'error', message: 'RingCentral command failed', fields: expect.objectContaining({ sessionId: 's-2', command: 'forward' }) },
    ])
  })
})

describe('RingCentral provider: a call no rule or fallback answers', () => {
  const parties = { provider: 'ringcentral', callId: 's-9', providerContext: { callerParty: 'cs-2', appParty: 'cs-1' } }

  it.each([
    [{ type: 'extension' as const, value: '100' }, { extensionNumber: '100' }],
    [{ type: 'phone' as const, value: '+16505550111' }, { phoneNumber: '+16505550111' }],
  ])('is forwarded to RINGCENTRAL_FAILOVER (%j), never left in silence', async (failover, body) => {
    const { log, entries } = recordingLogger()
    const provider = createRingCentral({ token: 't', state: memoryState(), log, failover })
    const answer = await provider.render({ action: 'provider_default' }, parties)
    expect(JSON.parse(answer.body)).toEqual([{ command: 'forward', party: 'cs-1', body }])
    expect(entries).toEqual([])
  })

  it('without RINGCENTRAL_FAILOVER: nothing to forward to, and a warning when created says so', async () => {
    const { log, entries } = recordingLogger()
    const provider = createRingCentral({ token: 't', state: memoryState(), log })
    expect(JSON.parse((await provider.render({ action: 'provider_default' }, parties)).body)).toEqual([])
    expect(entries).toEqual([{ level: 'warn', message: expect.stringContaining('RINGCENTRAL_FAILOVER'), fields: undefined }])
  })
})

/** The provider read and written directly, its commands sent to a fake RingCentral on 127.0.0.1. */
describe('RingCentral provider: a Play first, what follows it on its update', () => {
  let fake: FakeRingCentral
  beforeAll(async () => {
    fake = await startFakeRingCentral()
  })
  afterAll(() => fake.close())
  beforeEach(() => {
    fake.commands.length = 0
  })

  const start = () => {
    const entries: Record<string, Record<string, unknown>> = {}
    const { log, entries: logs } = recordingLogger()
    const provider = createRingCentral({ token: fake.token, apiUrl: fake.url, state: memoryState(entries), log })
    return { provider, entries, logs }
  }
  const post = (body: unknown, headers?: Record<string, string>) => ({ method: 'POST', query: {}, body, headers })
  const enter = (sessionId: string) =>
    post({
      sessionId,
      partyId: APP_PARTY,
      inParty: { id: CALLER_PARTY, from: { phoneNumber: '+16505550123' }, to: { phoneNumber: '+16505550100' } },
    })
  const played = (sessionId: string, status: string) =>
    post({ sessionId, partyId: CALLER_PARTY, command: 'Play', commandId: '171888866234845407', status })
  const recording = (file: string) => ({ type: 'recording' as const, value: `https://ivr.example.com/prompts/${file}` })
  const ask: Decision = {
    action: 'collect',
    layer: '5',
    prompt: [recording('enter.wav')],
    maxDigits: 4,
    timeoutSeconds: 8,
    language: 'EN',
    customData: {},
  }
  const goodbye: Decision = { action: 'hangup', items: [recording('goodbye.wav')], language: 'EN' }
  const commands = () => fake.commands.map(({ party, command, body }) => ({ party, command, body }))
  const playOf = (file: string, interruptByDtmf: boolean) => ({
    party: CALLER_PARTY,
    command: 'play',
    body: { resources: [{ uri: `https://ivr.example.com/prompts/${file}` }], interruptByDtmf, repeatCount: 1 },
  })
  const collectOf = (extra: Record<string, unknown> = {}) => ({
    party: CALLER_PARTY,
    command: 'collect',
    body: { patterns: ['x', 'xx', 'xxx', 'xxxx'], timeout: 8000, interDigitTimeout: 5000, terminator: '#', ...extra },
  })

  /** The call entered and was answered with `decision`: its follow-up run, as the core runs it after the 204. */
  const answered = async (provider: ReturnType<typeof start>['provider'], sessionId: string, decision: Decision) => {
    const classified = await provider.classify(enter(sessionId))
    if (classified.kind !== 'call') throw new Error(`not a call: ${classified.kind}`)
    const answer = await provider.render(decision, classified.event)
    await answer.followUp?.()
    return answer
  }
  /** RingCentral's update of the Play: a status notice, whose follow-up the core runs after recording it. */
  const update = async (provider: ReturnType<typeof start>['provider'], sessionId: string, status: string) => {
    const classified = await provider.classify(played(sessionId, status))
    expect(classified).toMatchObject({ kind: 'status', status: { callId: sessionId, status: `Play:${status}`, final: false } })
    if (classified.kind === 'status') await classified.answer.followUp?.()
  }

  it('a collect sends only the prompt; the Collect waits in the call state and goes once the Play completed', async () => {
    const { provider, entries } = start()
    const answer = await answered(provider, 's-w1', ask)
    expect(JSON.parse(answer.body)).toEqual([playOf('enter.wav', true), { ...collectOf(), after: 'play' }])
    expect(commands()).toEqual([playOf('enter.wav', true)])
    expect(entries['s-w1']).toMatchObject({ step: '5', attempt: 1, pending: [{ command: 'collect' }] })
    await update(provider, 's-w1', 'Completed')
    expect(commands()).toEqual([playOf('enter.wav', true), collectOf()])
    expect(entries['s-w1']).not.toHaveProperty('pending')
    // The Collect's update is then read at the step it asked for.
    const digits = await provider.classify(
      post({ sessionId: 's-w1', partyId: CALLER_PARTY, command: 'Collect', status: 'Completed', parameters: { digits: '1234' } }),
    )
    expect(digits).toMatchObject({ kind: 'call', event: { callId: 's-w1', layer: '5', attempt: 1, dtmf: '1234' } })
  })

  it('a prompt a key interrupted: the Collect keeps the keys typed during it (resetInput: false)', async () => {
    const { provider } = start()
    await answered(provider, 's-w2', ask)
    await update(provider, 's-w2', 'Interrupted')
    expect(commands()).toEqual([playOf('enter.wav', true), collectOf({ resetInput: false })])
  })

  it('a hang-up plays its goodbye, not interruptible, and drops the call once it was heard', async () => {
    const { provider } = start()
    const answer = await answered(provider, 's-w3', goodbye)
    expect(JSON.parse(answer.body)).toEqual([playOf('goodbye.wav', false), { command: 'drop', after: 'play' }])
    expect(commands()).toEqual([playOf('goodbye.wav', false)])
    await update(provider, 's-w3', 'Completed')
    expect(fake.commands.at(-1)).toMatchObject({ session: 's-w3', party: '', command: 'drop' })
  })

  it('a hang-up with nothing to say drops the call at once', async () => {
    const { provider, entries } = start()
    await answered(provider, 's-w4', { action: 'hangup', items: [], language: 'EN' })
    expect(fake.commands).toMatchObject([{ session: 's-w4', command: 'drop' }])
    expect(entries['s-w4']).toBeUndefined()
  })

  it('a Play update with nothing waiting, or of a Play still playing, sends nothing', async () => {
    const { provider } = start()
    await update(provider, 's-none', 'Completed')
    await answered(provider, 's-w5', goodbye)
    await update(provider, 's-w5', 'InProgress')
    expect(commands()).toEqual([playOf('goodbye.wav', false)])
  })

  it('an on-call-exit with more fields than documented is the call exit', async () => {
    const { provider } = start()
    expect(
      await provider.classify(
        post({ accountId: '400131801008', extensionId: '400137552008', partyId: 'p-1', sessionId: 's-x', reason: 'Forwarded' }),
      ),
    ).toMatchObject({ kind: 'status', status: { callId: 's-x', status: 'exit', final: true } })
  })

  it('a telephony-session event is a status notice of its session, with the party status', async () => {
    const { provider } = start()
    const event = (code: string) =>
      post({
        uuid: '1823485288313944239',
        event: '/restapi/v1.0/account/809646016/extension/809646016/telephony/sessions',
        subscriptionId: '53300e7c-5e69-42bf-ab4d-179aabc6e869',
        body: {
          sessionId: '425008160016',
          telephonySessionId: 's-a6abd24ca6774373a8120a3390d3cbe8',
          parties: [
            {
              id: 'p-a6-2',
              direction: 'Inbound',
              from: { phoneNumber: '+14083388064' },
              to: { phoneNumber: '+19043014558' },
              status: { code },
            },
          ],
        },
      })
    expect(await provider.classify(event('Setup'))).toMatchObject({
      kind: 'status',
      status: {
        callId: 's-a6abd24ca6774373a8120a3390d3cbe8',
        status: 'party:Setup',
        final: false,
        from: '+14083388064',
        to: '+19043014558',
      },
    })
    expect(await provider.classify(event('Disconnected'))).toMatchObject({
      kind: 'status',
      status: { status: 'party:Disconnected', final: true },
    })
  })

  it('the webhook validation request is answered 200 with its Validation-Token echoed; one that cannot be echoed is not', async () => {
    const { provider } = start()
    const classified = await provider.classify(post(undefined, { 'validation-token': 'hello-world' }))
    if (classified.kind !== 'question') throw new Error(`not answered as a question: ${classified.kind}`)
    expect(
      await classified.answer({ findCaller: async () => ({ key: 'caller', outcome: 'not_found', plugins: [], ms: 0 }) }),
    ).toMatchObject({
      status: 200,
      body: '',
      headers: { 'Validation-Token': 'hello-world' },
    })
    expect(await provider.classify(post(undefined, { 'validation-token': 'a b' }))).toMatchObject({ kind: 'invalid' })
    expect(await provider.classify(post(undefined, {}))).toMatchObject({ kind: 'invalid' })
  })

  it('the simulator: an on-call-enter at the entry step, a Collect update carrying its own step elsewhere; no outside request can pose as one', async () => {
    const { provider } = start()
    const simulated = async (fields: { dtmf: string; layer: string }) =>
      (await provider.simulatedRequest?.({ did: '+16505550100', caller: '+16505550123', ...fields })) ?? post(undefined)
    expect(await provider.classify(await simulated({ dtmf: '', layer: '' }))).toMatchObject({
      kind: 'call',
      event: { callId: 's-simulated', layer: '1', caller: '+16505550123', did: '+16505550100', dtmf: '' },
    })
    const digits = await simulated({ dtmf: '1234', layer: '5' })
    expect(await provider.classify(digits)).toMatchObject({
      kind: 'call',
      event: { layer: '5', dtmf: '1234', caller: '+16505550123' },
    })
    expect(await provider.classify(await simulated({ dtmf: '', layer: '5' }))).toMatchObject({
      kind: 'call',
      event: { layer: '5', dtmf: '' },
    })
    const forged = { ...(digits.body as Record<string, unknown>), simulated: { key: 'guessed', step: '9', from: '+1', to: '+1' } }
    expect(await provider.classify(post(forged))).toMatchObject({ kind: 'invalid' })
  })
})
