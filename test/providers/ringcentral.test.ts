import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Decision } from '../../src/model/call-event.ts'
import { createRingCentral } from '../../src/providers/ringcentral/index.ts'
import { type FakeRingCentral, startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { recordingLogger, startTestServer, type TestServer } from '../helpers/test-server.ts'

const CALLER_PARTY = 'cs172622609264474468-2'
const APP_PARTY = 'cs172622609264474468-1'

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
  const collected = (sessionId: string, status: string, digits?: string) =>
    callback({
      accountId: '400131141008',
      extensionId: '400131147008',
      sessionId,
      partyId: APP_PARTY,
      command: 'Collect',
      commandId: 'cmd-2',
      status,
      ...(digits !== undefined ? { parameters: { digits } } : {}),
    })

  it('a known caller: 204 at once, then Forward to the owner extension on the app party', async () => {
    await enter('s-1', '+972501234567')
    await fake.waitFor(1)
    expect(fake.commands).toEqual([
      { session: 's-1', party: APP_PARTY, command: 'forward', body: { extensionNumber: '101' }, authorization: `Bearer ${fake.token}` },
    ])
  })

  it('an unknown caller: Play the prompt and Collect on the caller party; the digits come back and are routed', async () => {
    await enter('s-2', '+972539999999')
    await fake.waitFor(2)
    expect(fake.commands.map(({ party, command }) => [party, command])).toEqual([
      [CALLER_PARTY, 'play'],
      [CALLER_PARTY, 'collect'],
    ])
    expect(fake.commands[0]?.body).toEqual({
      resources: [{ uri: 'https://ivr.example.com/prompts/enter-account.wav' }],
      interruptByDtmf: true,
      repeatCount: 1,
    })
    expect(fake.commands[1]?.body).toMatchObject({ terminator: '#', timeout: 10_000, patterns: expect.arrayContaining(['x', 'xxxx']) })

    fake.commands.length = 0
    await collected('s-2', 'Completed', '1234')
    await fake.waitFor(1)
    expect(fake.commands).toMatchObject([{ session: 's-2', party: APP_PARTY, command: 'forward', body: { extensionNumber: '102' } }])
  })

  it('Collect Timeout is the no-input path; the third try goes to reception', async () => {
    await enter('s-3', '+972539999999')
    await fake.waitFor(2)
    for (const expected of ['not-found-try-again.wav', 'not-found-try-again.wav']) {
      fake.commands.length = 0
      await collected('s-3', 'Timeout')
      await fake.waitFor(2)
      expect((fake.commands[0]?.body as { resources: { uri: string }[] } | undefined)?.resources[0]?.uri).toContain(expected)
    }
    fake.commands.length = 0
    await collected('s-3', 'Not Found')
    await fake.waitFor(1)
    expect(fake.commands).toMatchObject([{ command: 'forward', body: { extensionNumber: '100' } }])
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT layer, attempt, dtmf FROM decisions WHERE call_id = 's-3' ORDER BY id`).all()
    expect(rows).toEqual([
      { layer: '1', attempt: 1, dtmf: '' },
      { layer: '5', attempt: 1, dtmf: '' },
      { layer: '5', attempt: 2, dtmf: '' },
      { layer: '5', attempt: 3, dtmf: '?' },
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
})

describe('RingCentral adapter without what it needs', () => {
  const memoryState = (entries: Record<string, Record<string, unknown>> = {}) => ({
    get: async (_: string, callId: string) => entries[callId],
    set: async (_: string, callId: string, value: Record<string, unknown>) => {
      entries[callId] = value
    },
  })
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
    expect(entries).toEqual([{ level: 'warn', message: expect.stringContaining('RINGCENTRAL_TOKEN'), fields: undefined }])
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
    expect(entries).toEqual([
      { level: 'error', message: 'RingCentral command failed', fields: expect.objectContaining({ sessionId: 's-2', command: 'forward' }) },
    ])
  })
})
