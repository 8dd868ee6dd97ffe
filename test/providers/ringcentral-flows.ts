import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import callEnterDoc from '../fixtures/ringcentral/avapps-doc-call-enter.json' with { type: 'json' }
import callExitDoc from '../fixtures/ringcentral/avapps-doc-call-exit.json' with { type: 'json' }
import collectCompletedDoc from '../fixtures/ringcentral/avapps-doc-collect-completed.json' with { type: 'json' }
import playCompletedDoc from '../fixtures/ringcentral/avapps-doc-play-completed.json' with { type: 'json' }
import sessionAnsweredInbound from '../fixtures/ringcentral/docs-telephony-session-answered-inbound.json' with { type: 'json' }
import sessionAnsweredOutbound from '../fixtures/ringcentral/docs-telephony-session-answered-outbound.json' with { type: 'json' }
import sessionSetup from '../fixtures/ringcentral/docs-telephony-session-setup.json' with { type: 'json' }
import webhookValidation from '../fixtures/ringcentral/docs-webhook-validation-request.json' with { type: 'json' }
import callEnterNoTo from '../fixtures/ringcentral/osaki-test-call-enter-no-to.json' with { type: 'json' }
import playCompletedNoIds from '../fixtures/ringcentral/osaki-test-play-completed.json' with { type: 'json' }
import type { ServiceHarness } from '../helpers/harness.ts'

/** A command the fake RingCentral received (test/helpers/fake-ringcentral.ts); `drop` has no party. */
export interface ReceivedCommand {
  session: string
  party: string
  command: string
  body: Record<string, unknown>
}

/** The service with the fake RingCentral it commands; what the fake received and what the log holds, per call. */
export interface RingCentralFlowHarness extends ServiceHarness {
  /** The REST commands the fake RingCentral received for this session, in order. */
  commands(session: string): Promise<ReceivedCommand[]>
}
export type StartRingCentralFlowHarness = (env?: Record<string, string>) => Promise<RingCentralFlowHarness>

const ADMIN_TOKEN = 'ringcentral-flows-admin-token-0123456789'
const PROMPTS = 'https://ivr.example.com/prompts'
const DID = '+16505550100'
/** Callers the demo does not know; the two last get rules of their own (written through the admin API). */
const UNKNOWN = '+16505550123'
const HANGS_UP = '+16505550188'
const FORWARDED_TO_A_NUMBER = '+16505550199'
/** Demo PINs: Moshe (balance due, owner Sara at 102) and Dana (owner John at 101). */
const MOSHE_PIN = '1234'
const DANA_PIN = '12345678'
const DANA_PHONE = '+972501234567'

const prompt = (file: string, interruptByDtmf: boolean) => ({
  command: 'play',
  body: { resources: [{ uri: `${PROMPTS}/${file}` }], interruptByDtmf, repeatCount: 1 },
})
/** The Collect of the demo's account-number step: up to 16 keys, # ends, 10 s for the first key. */
const collect = (extra: Record<string, unknown> = {}) => ({
  command: 'collect',
  body: {
    patterns: Array.from({ length: 16 }, (_, index) => 'x'.repeat(index + 1)),
    timeout: 10_000,
    interDigitTimeout: 5000,
    terminator: '#',
    ...extra,
  },
})
const forward = (target: { extensionNumber: string } | { phoneNumber: string }) => ({ command: 'forward', body: target })
const DROP = { command: 'drop', body: {} }

/**
 * Whole RingCentral calls replayed as RingCentral sends them (on-call-enter, on-command-update for each Play
 * and Collect, on-call-exit), step by step against the service and a fake RingCentral: after each callback,
 * what the caller hears next (the Play) and where the call goes (Collect, Forward, drop) is what the fake
 * received. Runs on Node and in workerd.
 */
export const testRingCentralFlows = (start: StartRingCentralFlowHarness) => {
  let server: RingCentralFlowHarness
  const run = Math.random().toString(36).slice(2, 8)
  let calls = 0

  beforeAll(async () => {
    server = await start({ ADMIN_TOKEN, RULES_REFRESH_MS: '0' })
    const rule = async (body: Record<string, unknown>) => {
      const response = await server.post('/admin/rules', body, { authorization: `Bearer ${ADMIN_TOKEN}` })
      expect(response.status, await response.clone().text()).toBe(201)
    }
    await rule({
      name: 'Flows: a caller who is told goodbye',
      priority: 1,
      provider: 'ringcentral',
      caller: HANGS_UP,
      from_layer: '1',
      identify_by: 'none',
      action: 'hangup',
      say: `recording:${PROMPTS}/goodbye.wav`,
    })
    await rule({
      name: 'Flows: a caller forwarded to a number',
      priority: 2,
      provider: 'ringcentral',
      caller: FORWARDED_TO_A_NUMBER,
      from_layer: '1',
      identify_by: 'none',
      action: 'dial',
      dial: 'phone:+972541000101',
      say: `recording:${PROMPTS}/connecting.wav`,
    })
  })
  afterAll(() => server.close())

  /** One call in the IVR app, with the callbacks RingCentral would post for it. */
  const newCall = (caller: string, tag = 'call') => {
    const session = `s-${tag}-${run}-${++calls}`
    const callerParty = `p-${session}-2`
    const appParty = `p-${session}-1`
    let seen = 0
    const post = async (body: unknown) => {
      const response = await server.post('/webhooks/ringcentral', body)
      expect(response.status).toBe(204)
      expect(await response.text()).toBe('')
      await server.settle()
    }
    const ids = { accountId: '400131801008', extensionId: '400137552008', sessionId: session }
    return {
      session,
      callerParty,
      appParty,
      enter: () =>
        post({ ...ids, inParty: { id: callerParty, from: { phoneNumber: caller }, to: { phoneNumber: DID } }, partyId: appParty }),
      played: (status = 'Completed') => post({ ...ids, command: 'Play', commandId: '171888866234845407', partyId: callerParty, status }),
      collected: (status: string, digits?: string) =>
        post({ ...ids, command: 'Collect', partyId: callerParty, status, ...(digits === undefined ? {} : { parameters: { digits } }) }),
      exit: (extra: Record<string, unknown> = {}) => post({ ...ids, partyId: appParty, ...extra }),
      /** The commands the fake received since the last look, without the auth header. */
      next: async () => {
        const all = await server.commands(session)
        const fresh = all.slice(seen).map(({ party, command, body }) => ({ party, command, body }))
        seen = all.length
        return fresh
      },
      rows: () => server.decisions(session, 'ringcentral'),
    }
  }
  type Call = ReturnType<typeof newCall>
  const onCaller = (call: Call, command: object) => ({ party: call.callerParty, ...command })
  const onApp = (call: Call, command: object) => ({ party: call.appParty, ...command })

  describe('ringcentral: call flows', () => {
    it('a known caller is forwarded to the owner at once: no prompt to wait for', async () => {
      const call = newCall(DANA_PHONE, 'vip')
      await call.enter()
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '101' }))])
      await call.exit()
      expect(await call.next()).toEqual([])
      expect(await call.rows()).toMatchObject([
        { layer: '1', attempt: 1, action: 'dial', rule_name: 'VIP callers ring their account manager' },
        { action: 'status:exit' },
      ])
    })

    it('digits typed during the prompt: the Play stops, then the Collect keeps what was typed', async () => {
      const call = newCall(UNKNOWN, 'early')
      await call.enter()
      // Only the prompt: a Collect now would run its timeout while the caller is still listening.
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true))])
      await call.played('Interrupted')
      expect(await call.next()).toEqual([onCaller(call, collect({ resetInput: false }))])
      await call.collected('Completed', MOSHE_PIN)
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '102' }))])
      await call.exit()
      expect(await call.rows()).toMatchObject([
        { layer: '1', attempt: 1, dtmf: '', action: 'collect', rule_name: 'Unknown callers are asked for their account number' },
        { action: 'status:Play:Interrupted' },
        { layer: '5', attempt: 1, dtmf: MOSHE_PIN, action: 'dial', rule_name: 'Account number with a balance due: announce it' },
        { action: 'status:exit' },
      ])
    })

    it('digits typed after the prompt: the Collect starts only once the whole prompt was heard', async () => {
      const call = newCall(UNKNOWN, 'late')
      await call.enter()
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true))])
      await call.played('Completed')
      expect(await call.next()).toEqual([onCaller(call, collect())])
      await call.collected('Completed', MOSHE_PIN)
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '102' }))])
    })

    it('a wrong account number: told so, asked again, then the right one reaches its owner', async () => {
      const call = newCall(UNKNOWN, 'wrong')
      await call.enter()
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true)), onCaller(call, collect())])
      await call.collected('Completed', '9999')
      expect(await call.next()).toEqual([onCaller(call, prompt('not-found-try-again.wav', true))])
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, collect())])
      await call.collected('Completed', DANA_PIN)
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '101' }))])
      expect(await call.rows()).toMatchObject([
        { layer: '1', attempt: 1, action: 'collect' },
        { action: 'status:Play:Completed' },
        { layer: '5', attempt: 1, dtmf: '9999', action: 'collect', rule_name: 'No or wrong account number: ask again (twice)' },
        { action: 'status:Play:Completed' },
        { layer: '5', attempt: 2, dtmf: DANA_PIN, action: 'dial', rule_name: 'Account number found: to the representatives' },
      ])
    })

    it('no input, a key no pattern takes, no input again: two retries, then reception takes the call', async () => {
      const call = newCall(UNKNOWN, 'silent')
      await call.enter()
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true)), onCaller(call, collect())])
      await call.collected('Timeout')
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, prompt('not-found-try-again.wav', true)), onCaller(call, collect())])
      await call.collected('Not Found')
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, prompt('not-found-try-again.wav', true)), onCaller(call, collect())])
      await call.collected('Timeout')
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '100' }))])
      const routed = (await call.rows()).filter((row) => !row.action?.startsWith('status:'))
      expect(routed).toMatchObject([
        { layer: '1', attempt: 1, dtmf: '', action: 'collect' },
        { layer: '5', attempt: 1, dtmf: '', action: 'collect' },
        { layer: '5', attempt: 2, dtmf: '?', action: 'collect' },
        { layer: '5', attempt: 3, dtmf: '', action: 'dial', rule_name: 'Third failed account number: a person takes the call' },
      ])
    })

    it('a prompt RingCentral could not play (Failed) still leads to the Collect: never silence', async () => {
      const call = newCall(UNKNOWN, 'failed')
      await call.enter()
      await call.played('Failed')
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true)), onCaller(call, collect())])
    })

    it('a Play RingCentral refuses: what follows it goes at once instead of waiting for an update that never comes', async () => {
      const call = newCall(UNKNOWN, 'refuse-play')
      await call.enter()
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true)), onCaller(call, collect())])
      await call.collected('Completed', MOSHE_PIN)
      expect(await call.next()).toEqual([onApp(call, forward({ extensionNumber: '102' }))])
    })

    it('a hang-up decision plays its goodbye to the end, then drops the call', async () => {
      const call = newCall(HANGS_UP, 'hangup')
      await call.enter()
      expect(await call.next()).toEqual([onCaller(call, prompt('goodbye.wav', false))])
      await call.played()
      expect(await call.next()).toEqual([{ party: '', ...DROP }])
      await call.exit()
      expect(await call.rows()).toMatchObject([
        { layer: '1', action: 'hangup', rule_name: 'Flows: a caller who is told goodbye' },
        { action: 'status:Play:Completed' },
        { action: 'status:exit' },
      ])
    })

    it('a forward to a number waits for its announcement to end; the exit with extra fields is still the exit', async () => {
      const call = newCall(FORWARDED_TO_A_NUMBER, 'number')
      await call.enter()
      expect(await call.next()).toEqual([onCaller(call, prompt('connecting.wav', false))])
      await call.played()
      expect(await call.next()).toEqual([onApp(call, forward({ phoneNumber: '+972541000101' }))])
      await call.exit({ reason: 'Forwarded', eventTime: '2026-11-23T08:00:05Z' })
      expect(await call.rows()).toMatchObject([
        { layer: '1', action: 'dial', rule_name: 'Flows: a caller forwarded to a number' },
        { action: 'status:Play:Completed' },
        { action: 'status:exit' },
      ])
    })

    it('a second update of the same Play sends nothing more', async () => {
      const call = newCall(UNKNOWN, 'twice')
      await call.enter()
      await call.played()
      expect(await call.next()).toEqual([onCaller(call, prompt('enter-account.wav', true)), onCaller(call, collect())])
      await call.played()
      expect(await call.next()).toEqual([])
    })
  })

  describe('ringcentral: real requests (test/fixtures/ringcentral)', () => {
    const post = async (fixture: { body: unknown; headers?: Record<string, string> }) => {
      const response = await server.post('/webhooks/ringcentral', fixture.body, fixture.headers)
      await server.settle()
      return response
    }
    const routedRows = async (session: string) =>
      (await server.decisions(session, 'ringcentral')).filter(
        (row) => !row.action?.startsWith('status:') && !row.rule_name?.startsWith('fallback'),
      )

    it.each([
      ['avapps-doc-call-enter', callEnterDoc],
      ['osaki-test-call-enter-no-to', callEnterNoTo],
    ])('%s: the call entering the app is routed (the demo asks an unknown caller for the account number)', async (_, fixture) => {
      expect((await post(fixture)).status).toBe(204)
      expect(await routedRows(fixture.body.sessionId)).toMatchObject([{ layer: '1', action: 'collect', reason: null }])
      expect((await server.commands(fixture.body.sessionId)).map(({ command }) => command)).toEqual(['play'])
    })

    it('avapps-doc-collect-completed: after its call entered the app, the digits are routed at the step asked for', async () => {
      const { sessionId } = collectCompletedDoc.body
      await post({ body: { ...callEnterDoc.body, sessionId } })
      expect((await post(collectCompletedDoc)).status).toBe(204)
      expect(await routedRows(sessionId)).toMatchObject([
        { layer: '1', action: 'collect' },
        { layer: '5', dtmf: '1', action: 'collect', rule_name: 'No or wrong account number: ask again (twice)' },
      ])
    })

    it.each([
      ['avapps-doc-play-completed', playCompletedDoc, 'status:Play:Completed'],
      ['osaki-test-play-completed', playCompletedNoIds, 'status:Play:Completed'],
      ['avapps-doc-call-exit', callExitDoc, 'status:exit'],
    ])('%s: recorded as a status notice', async (_, fixture, action) => {
      expect((await post(fixture)).status).toBe(204)
      const rows = await server.decisions(fixture.body.sessionId, 'ringcentral')
      expect(rows.at(-1)).toMatchObject({ action })
    })

    it.each([
      ['docs-telephony-session-setup', sessionSetup, 'status:party:Setup'],
      ['docs-telephony-session-answered-inbound', sessionAnsweredInbound, 'status:party:Answered'],
      ['docs-telephony-session-answered-outbound', sessionAnsweredOutbound, 'status:party:Answered'],
    ])('%s: recorded as a status notice of its telephony session', async (_, fixture, action) => {
      expect((await post(fixture)).status).toBe(204)
      expect(await server.decisions(fixture.body.body.telephonySessionId, 'ringcentral')).toMatchObject([{ action, reason: null }])
    })

    it('docs-webhook-validation-request: answered 200 with its Validation-Token echoed, so the subscription is created', async () => {
      const response = await post(webhookValidation)
      expect(response.status).toBe(200)
      expect(response.headers.get('validation-token')).toBe('hello-world')
      expect(await response.text()).toBe('')
    })
  })

  describe('ringcentral: simulator', () => {
    const simulate = async (fields: Record<string, unknown>) => {
      const response = await server.post(
        '/admin/simulate',
        { provider: 'ringcentral', ...fields },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      )
      const text = await response.text()
      expect(response.status, text).toBe(200)
      return JSON.parse(text) as { decision: { action: string }; answer: { status: number; body: unknown } }
    }

    it('a call entering the app: the prompt, then the Collect that waits for it, on placeholder parties', async () => {
      const result = await simulate({ caller: UNKNOWN, did: DID })
      expect(result.decision.action).toBe('collect')
      expect(result.answer).toEqual({
        status: 204,
        contentType: 'application/json; charset=utf-8',
        body: [
          { party: 'p-simulated-caller', ...prompt('enter-account.wav', true) },
          { party: 'p-simulated-caller', ...collect(), after: 'play' },
        ],
      })
    })

    it('digits at a step: routed as the Collect update of that step', async () => {
      const result = await simulate({ caller: UNKNOWN, did: DID, layer: '5', dtmf: MOSHE_PIN })
      expect(result.answer.body).toEqual([{ party: 'p-simulated-app', ...forward({ extensionNumber: '102' }) }])
    })

    it('no digits at a step: the Collect timed out', async () => {
      const result = await simulate({ caller: UNKNOWN, did: DID, layer: '5', dtmf: '', attempt: 3 })
      expect(result.answer.body).toEqual([{ party: 'p-simulated-app', ...forward({ extensionNumber: '100' }) }])
    })
  })
}
