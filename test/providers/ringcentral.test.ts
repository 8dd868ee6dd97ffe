import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FakeRingCentral, startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

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
      expect((fake.commands[0]?.body as { resources: { uri: string }[] }).resources[0]?.uri).toContain(expected)
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
    await callback({ accountId: '1', extensionId: '2', sessionId: 's-1', partyId: APP_PARTY, command: 'Play', commandId: 'c1', status: 'Completed' })
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT action FROM decisions WHERE call_id = 's-1' AND action LIKE 'status:%' ORDER BY id`).all()
    expect(rows).toEqual([{ action: 'status:exit' }, { action: 'status:Play:Completed' }])
    expect(fake.commands).toEqual([])
  })
})
