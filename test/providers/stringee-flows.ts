import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import assembledQueueAgentList from '../fixtures/stringee/assembled-queue-agent-list.json' with { type: 'json' }
import docsEventEnded from '../fixtures/stringee/docs-event-ended.json' with { type: 'json' }
import docsEventStarted from '../fixtures/stringee/docs-event-started.json' with { type: 'json' }
import docsNumberAnswerUrl from '../fixtures/stringee/docs-number-answer-url.json' with { type: 'json' }
import docsProjectAnswerUrl from '../fixtures/stringee/docs-project-answer-url.json' with { type: 'json' }
import docsSigningProjectAnswerUrl from '../fixtures/stringee/docs-signing-project-answer-url.json' with { type: 'json' }
import erxesAnswerUrl from '../fixtures/stringee/erxes-answer-url-sample.json' with { type: 'json' }
import serverSamplesInputEvent from '../fixtures/stringee/server-samples-input-event.json' with { type: 'json' }
import serverSamplesNumberAnswerUrl from '../fixtures/stringee/server-samples-number-answer-url.json' with { type: 'json' }
import serverSamplesProjectAnswerUrl from '../fixtures/stringee/server-samples-project-answer-url.json' with { type: 'json' }
import serverSamplesSoftphoneAnswerUrl from '../fixtures/stringee/server-samples-softphone-answer-url.json' with { type: 'json' }
import type { ServiceHarness, StartHarness } from '../helpers/harness.ts'
import { isStringeeScco, isStringeeSorry } from './stringee-answer.ts'

/**
 * A running service as the Stringee flows need it: Stringee's answer_url is a GET, and each step of a call
 * is checked in the decision log. Node (stringee-flows.test.ts) and workerd (test/workers/stringee-flows.test.ts)
 * each give one.
 */
export interface StringeeHarness extends ServiceHarness {
  /** The decision-log rows of one Stringee call, oldest first. */
  rows(callId: string): Promise<DecisionRow[]>
  /**
   * What the fake Stringee SMS API (test/helpers/fake-stringee.ts) received for a number, read from it over
   * HTTP (workerd cannot read its memory). The harness points STRINGEE_API_URL and the API key at it.
   */
  smsTo(to: string): Promise<ReceivedSms[]>
}

/** An SMS as the fake Stringee SMS API received it; `r` is Stringee's result code (0: sent). */
export interface ReceivedSms {
  from: string
  to: string
  text: string
  r: number
}
export type StartStringeeHarness = (env?: Record<string, string>) => Promise<StringeeHarness>

/** Where the fake Stringee SMS API listens and the API key it takes (test/helpers/fake-stringee.ts). */
export interface FakeStringeeSms {
  url: string
  keySid: string
  keySecret: string
  brandname: string
}

/** A runtime's harness (Node or workerd) as the Stringee flows need it, its SMS sent to the given fake. */
export const stringeeHarness =
  (start: StartHarness, sms: FakeStringeeSms): StartStringeeHarness =>
  async (env = {}) => {
    const harness = await start({
      STRINGEE_API_URL: sms.url,
      STRINGEE_API_KEY_SID: sms.keySid,
      STRINGEE_API_KEY_SECRET: sms.keySecret,
      STRINGEE_SMS_FROM: sms.brandname,
      ...env,
    })
    return {
      ...harness,
      rows: (callId) => harness.decisions(callId, 'stringee'),
      smsTo: async (to) => {
        await harness.settle()
        return (await fetch(`${sms.url}/fake/sms?to=${encodeURIComponent(to)}`)).json()
      },
    }
  }

export interface DecisionRow {
  layer: string | null
  attempt: number | null
  dtmf: string | null
  action: string | null
  rule_name: string | null
  reason: string | null
  duration_ms: number | null
}

/** A real request of the corpus (../shared/corpus/stringee), kept with its source. */
export interface StringeeFixture {
  source: string
  method: string
  query: Record<string, string>
  body: unknown
  kind: string
  note: string
}

/** Every Stringee fixture, by file name: the Node suite checks that none in test/fixtures/stringee is left out. */
export const STRINGEE_CORPUS: Record<string, StringeeFixture> = {
  'assembled-queue-agent-list.json': assembledQueueAgentList,
  'docs-event-ended.json': docsEventEnded,
  'docs-event-started.json': docsEventStarted,
  'docs-number-answer-url.json': docsNumberAnswerUrl,
  'docs-project-answer-url.json': docsProjectAnswerUrl,
  'docs-signing-project-answer-url.json': docsSigningProjectAnswerUrl,
  'erxes-answer-url-sample.json': erxesAnswerUrl,
  'server-samples-input-event.json': serverSamplesInputEvent,
  'server-samples-number-answer-url.json': serverSamplesNumberAnswerUrl,
  'server-samples-project-answer-url.json': serverSamplesProjectAnswerUrl,
  'server-samples-softphone-answer-url.json': serverSamplesSoftphoneAnswerUrl,
}

interface Party {
  type: string
  number: string
  alias?: string
}
export interface Action {
  action: string
  text?: string
  bargeIn?: boolean
  eventUrl?: string
  submitOnHash?: boolean
  timeout?: number
  from?: Party
  to?: Party
  format?: string
  beepStart?: boolean
  silenceTimeout?: number
  peerToPeerCall?: boolean
  continueOnFail?: boolean
  onFailEventUrl?: string
}

const DID = '842471001234'
const PROMPT = 'Please enter your account number and then press the pound key.'
const RETRY = 'Sorry, that account number was not found. Please enter it again and then press the pound key.'
const ADMIN_TOKEN = 'stringee-flows-admin-token'
const SIGNING_SECRET = 'stringee-flows-signing-secret'
/** The demo's reception desk, dialled by the fallback on Stringee. */
const RECEPTION = { type: 'external', number: '972722776700', alias: '+972722776700' }

/** Whole Stringee calls replayed step by step, as Stringee sends them, against the demo rules. */
export const testStringeeFlows = (start: StartStringeeHarness) => {
  describe('stringee: call flows', () => {
    let server: StringeeHarness
    beforeAll(async () => {
      // The demo contacts are Israeli; the queue rings two desk agents after the owner.
      server = await start({ STRINGEE_DEFAULT_COUNTRY: 'IL', ADMIN_TOKEN, STRINGEE_QUEUE_AGENTS: 'desk_1, desk_2' })
    })
    afterAll(() => server.close())

    const scco = async (response: Response) => {
      const text = await response.text()
      expect(response.status, text).toBe(200)
      const actions = JSON.parse(text) as Action[]
      expect(isStringeeScco(actions), text).toBe(true)
      return actions
    }
    /** The number's (or the project's) answer_url: a GET with the call in the query. */
    const answerUrl = async (query: Record<string, string>) => scco(await server.get(`/webhooks/stringee?${new URLSearchParams(query)}`))
    /** A POST to a URL we handed Stringee, as Stringee sends it (our host is the harness's). */
    const postTo = async (url: string | undefined, body: unknown) => {
      expect(url).toMatch(/\/webhooks\/stringee\?state=/)
      const { pathname, search } = new URL(url as string)
      return scco(await server.post(pathname + search, body))
    }
    const input = (actions: Action[], body: Record<string, unknown>) =>
      postTo(
        actions.find((action) => action.action === 'input')?.eventUrl,
        // The shape of server-samples-input-event.json.
        { time: '1530870073736', customField: '', timeout: false, ...body },
      )
    const connectOf = (actions: Action[]) => actions.find((action) => action.action === 'connect') as Action
    /** Stringee's post to a connect's onFailEventUrl when the called party is busy, offline or does not answer. */
    const connectFails = (actions: Action[], callId: string) => {
      const connect = connectOf(actions)
      return postTo(connect.onFailEventUrl, {
        call_status: 'connect_failed',
        project_id: 25,
        agent_status: 'ended',
        call_id: callId,
        from: { number: connect.from?.number, alias: connect.from?.alias, type: connect.from?.type },
        to: { number: connect.to?.number, alias: connect.to?.alias, type: connect.to?.type },
        start_time: 1538369461077,
      })
    }
    const status = async (body: Record<string, unknown>) => {
      const response = await server.post('/webhooks/stringee', body)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({})
    }
    const rows = async (callId: string) => {
      await server.settle()
      return server.rows(callId)
    }
    const spoken = (actions: Action[]) => actions.filter((action) => action.action === 'talk').map((action) => action.text)

    it('an unknown caller is asked for the account number; digits typed during the prompt are read (uuid-only answer_url, call_id in the input event)', async () => {
      // A number's answer_url gives the call as a uuid; the input event names it by Stringee's call id.
      const prompt = await answerUrl({ from: '0539999999', to: DID, uuid: '890ccbe2-f9a6-11e7-be7b-000000000001', fromInternal: 'false' })
      expect(prompt).toEqual([
        { action: 'talk', text: PROMPT, voice: 'female', bargeIn: true },
        { action: 'input', eventUrl: expect.any(String), submitOnHash: true, timeout: 10 },
      ])
      const callId = 'call-vn-1-FLOWEARLY1-1530721745779'
      const routed = await input(prompt, { dtmf: '1234', call_id: callId })
      expect(spoken(routed)).toEqual(['Your balance is 112, due on 2026-12-14. Connecting you to Sara Cohen.'])
      expect(connectOf(routed)).toMatchObject({
        // The caller's own number, as Stringee sent it, is what the owner sees.
        from: { type: 'external', number: '0539999999', alias: '0539999999' },
        to: { type: 'external', number: '972541000102', alias: '+972541000102' },
        continueOnFail: true,
      })
      expect(await rows('890ccbe2-f9a6-11e7-be7b-000000000001')).toMatchObject([
        { layer: '1', attempt: 1, action: 'collect', rule_name: 'Unknown callers are asked for their account number' },
      ])
      expect(await rows(callId)).toMatchObject([
        { layer: '5', attempt: 1, dtmf: '1234', action: 'dial', rule_name: 'Account number with a balance due: announce it' },
      ])
    })

    it('digits typed without # and ended by the timeout still count (late input)', async () => {
      const prompt = await answerUrl({ from: '0539999999', to: DID, uuid: 'flow-late-1' })
      const callId = 'call-vn-1-FLOWLATE01-1530721745780'
      const routed = await input(prompt, { dtmf: '12345678', call_id: callId, timeout: true })
      expect(spoken(routed)).toEqual(['Thank you, Dana Levi. Connecting you to John Doe.'])
      expect(connectOf(routed).to).toEqual({ type: 'external', number: '972541000101', alias: '+972541000101' })
      expect(await rows(callId)).toMatchObject([
        { layer: '5', dtmf: '12345678', rule_name: 'Account number found: to the representatives' },
      ])
    })

    it('a wrong account number is asked again twice, then a person (a Stringee user) takes the call', async () => {
      const callId = 'call-vn-1-FLOWWRONG1-1542377678717'
      // A newer answer_url: uuid and callId both (as erxes-answer-url-sample.json).
      let step = await answerUrl({ from: '0539999999', to: DID, uuid: 'flow-wrong-uuid', callId, fromInternal: 'false' })
      step = await input(step, { dtmf: '999', call_id: callId })
      expect(spoken(step)).toEqual([RETRY])
      step = await input(step, { dtmf: '888#', call_id: callId })
      expect(spoken(step)).toEqual([RETRY])
      step = await input(step, { dtmf: '777', call_id: callId })
      expect(connectOf(step)).toMatchObject({
        from: { type: 'external', number: '0539999999' },
        to: { type: 'internal', number: '100', alias: 'Unidentified caller' },
        continueOnFail: true,
      })
      expect((await rows(callId)).map((row) => [row.layer, row.attempt, row.dtmf, row.action])).toEqual([
        ['1', 1, '', 'collect'],
        ['5', 1, '999', 'collect'],
        ['5', 2, '888#', 'collect'],
        ['5', 3, '777', 'dial'],
      ])
    })

    it('a caller who types nothing hears the retry prompt each time, then a person takes the call', async () => {
      const callId = 'call-vn-1-FLOWSILENT-1542377678718'
      let step = await answerUrl({ from: '0539999999', to: DID, callId })
      for (const expected of [RETRY, RETRY]) {
        step = await input(step, { dtmf: '', call_id: callId, timeout: true })
        expect(spoken(step)).toEqual([expected])
      }
      step = await input(step, { dtmf: '', call_id: callId, timeout: 'true' })
      expect(connectOf(step).to).toEqual({ type: 'internal', number: '100', alias: 'Unidentified caller' })
      expect((await rows(callId)).map((row) => row.action)).toEqual(['collect', 'collect', 'collect', 'dial'])
    })

    it("a VIP caller rings the owner's Stringee user, recorded; the owner is offline, so the failed connect comes back and the rules send the call on", async () => {
      const callId = 'call-vn-1-FLOWVIP001-1515820305477'
      await status({ ...docsEventStarted.body, call_id: callId, from: { number: '0501234567' }, to: { number: DID } })
      const ring = await answerUrl({ from: '0501234567', to: DID, uuid: 'flow-vip-uuid', callId, fromInternal: 'false' })
      expect(ring.map((action) => action.action)).toEqual(['record', 'connect'])
      expect(ring[0]).toEqual({
        action: 'record',
        eventUrl: expect.stringMatching(/\/webhooks\/stringee\?notice=record&call=/),
        format: 'mp3',
      })
      expect(connectOf(ring)).toMatchObject({
        from: { type: 'external', number: '0501234567', alias: '0501234567' },
        to: { type: 'internal', number: '101', alias: 'Dana Levi' },
        timeout: 30,
        peerToPeerCall: false,
        continueOnFail: true,
      })
      // The owner's app is offline: the rule's failed_layer (20) answers, which on Stringee is the reception desk.
      const desk = await connectFails(ring, callId)
      expect(spoken(desk)).toEqual(['Connecting you to our team.'])
      expect(connectOf(desk)).toMatchObject({ from: { type: 'external', number: '0501234567' }, to: RECEPTION, continueOnFail: true })
      // The recording is ready (Stringee posts to the record action's eventUrl), then the call is answered and ends.
      const recorded = new URL(ring[0]?.eventUrl as string)
      expect((await server.post(recorded.pathname + recorded.search, { call_id: callId })).status).toBe(200)
      await status({ call_status: 'answered', call_id: callId, from: { number: '0501234567' }, to: { number: '972722776700' } })
      await status({ ...docsEventEnded.body, call_id: callId, endCallCause: 'NORMAL_CLEARING', duration: 42, answerDuration: 40 })
      expect(await rows(callId)).toMatchObject([
        { action: 'status:started' },
        { layer: '1', attempt: 1, action: 'dial', rule_name: 'VIP callers ring their account manager' },
        { layer: '20', attempt: 1, dtmf: '', action: 'dial', rule_name: 'fallback: Everything else: operators' },
        { action: 'status:recorded' },
        { action: 'status:answered' },
        { action: 'status:ended', duration_ms: 42_000 },
      ])
    })

    it('a failed connect whose rule names no failed layer is answered by the fallback of its step', async () => {
      const rule = await server.post(
        '/admin/rules',
        {
          name: 'Sales line rings a phone',
          priority: 1,
          did: '842470000001',
          identify_by: 'none',
          action: 'dial',
          dial: 'phone:+84901111111',
        },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      )
      expect(rule.status, await rule.clone().text()).toBe(201)
      const callId = 'call-vn-1-FLOWNOFAIL-1515820305478'
      const ring = await answerUrl({ from: '0539999999', to: '842470000001', callId })
      expect(connectOf(ring)).toMatchObject({ to: { type: 'external', number: '84901111111' }, continueOnFail: true })
      const desk = await connectFails(ring, callId)
      expect(connectOf(desk).to).toEqual(RECEPTION)
      expect(await rows(callId)).toMatchObject([
        { layer: '1', action: 'dial', rule_name: 'Sales line rings a phone' },
        { layer: '1', action: 'dial', rule_name: 'fallback: Everything else: operators' },
      ])
      expect((await rows(callId))[1]?.reason).toMatch(/could not connect the call and the rule names no failed_layer/)
    })

    it('connects that keep failing stop coming back after three, so a desk that is down cannot ring in a loop', async () => {
      const callId = 'call-vn-1-FLOWLOOP01-1515820305479'
      let step = await answerUrl({ from: '0501234567', to: DID, callId })
      for (let failed = 1; failed <= 3; failed++) {
        expect(connectOf(step).continueOnFail).toBe(true)
        step = await connectFails(step, callId)
        expect(connectOf(step).to).toEqual(RECEPTION)
      }
      expect(connectOf(step)).not.toHaveProperty('continueOnFail')
      expect((await rows(callId)).map((row) => row.layer)).toEqual(['1', '20', '20', '20'])
    })

    it('an app call without uuid or callId is routed; its own from (a user id or the app number) is what connect shows', async () => {
      const prompt = await answerUrl(serverSamplesProjectAnswerUrl.query)
      expect(spoken(prompt)).toEqual([PROMPT])
      const callId = 'call-vn-1-FLOWAPP001-1542377678719'
      const routed = await input(prompt, { dtmf: '1234', call_id: callId })
      expect(connectOf(routed).from).toEqual({ type: 'internal', number: '02473065979', alias: '02473065979' })
      const users = await answerUrl(docsSigningProjectAnswerUrl.query)
      expect(spoken(users)).toEqual([PROMPT])
      expect(await rows(docsSigningProjectAnswerUrl.query.callId)).toMatchObject([{ action: 'collect', rule_name: expect.any(String) }])
    })

    it('a state bound to one call is refused for another, and the first state of a uuid-only call binds to its first call id', async () => {
      const bound = await answerUrl({ from: '0539999999', to: DID, uuid: 'flow-bind-a', callId: 'call-vn-1-FLOWBIND01-1' })
      expect(connectOf(await input(bound, { dtmf: '1234', call_id: 'call-vn-1-SOMEONEELSE-1' })).to).toEqual(RECEPTION)
      const unbound = await answerUrl({ from: '0539999999', to: DID, uuid: 'flow-bind-b' })
      expect(spoken(await input(unbound, { dtmf: '1234', call_id: 'call-vn-1-FLOWBIND02-1' }))[0]).toMatch(/^Your balance is 112/)
      // Stringee sends a request again: the same call id is still this call.
      expect(spoken(await input(unbound, { dtmf: '1234', call_id: 'call-vn-1-FLOWBIND02-1' }))[0]).toMatch(/^Your balance is 112/)
      expect(connectOf(await input(unbound, { dtmf: '1234', call_id: 'call-vn-1-FLOWBIND03-1' })).to).toEqual(RECEPTION)
      expect(await rows('call-vn-1-FLOWBIND03-1')).toMatchObject([{ reason: expect.stringMatching(/belongs to another call/) }])
    })

    it('a caller who presses the voicemail key hears the prompt, then leaves a message; the notice that it is ready is logged (seed 002, action 1)', async () => {
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
      // The support line asks for one key; its menu's key 1 is voicemail, as Stringee's IVR node key action 1.
      const menuRule = await server.post(
        '/admin/rules',
        {
          name: 'Support line menu',
          priority: 1,
          provider: 'stringee',
          did: '842470000002',
          from_layer: '1',
          identify_by: 'none',
          action: 'collect',
          to_layer: 'support',
          say: 'text:Press 1 to leave a message.',
          options: { max_digits: 1 },
        },
        admin,
      )
      expect(menuRule.status, await menuRule.clone().text()).toBe(201)
      const key = await server.post(
        '/admin/menu-keys',
        {
          layer: 'support',
          key: '1',
          provider: 'stringee',
          action: 'voicemail',
          say: 'text:Nobody is free right now. Please leave your message after the tone.',
          options: { max_message_seconds: 60 },
        },
        admin,
      )
      expect(key.status, await key.clone().text()).toBe(201)
      const callId = 'call-vn-1-FLOWVMAIL1-1542377678720'
      const menu = await answerUrl({ from: '0539999999', to: '842470000002', uuid: 'flow-voicemail-uuid', callId })
      expect(menu).toEqual([
        { action: 'talk', text: 'Press 1 to leave a message.', voice: 'female', bargeIn: true },
        { action: 'input', eventUrl: expect.any(String), submitOnHash: true, timeout: 10, maxDigits: 1 },
      ])
      const voicemail = await input(menu, { dtmf: '1', call_id: callId })
      expect(voicemail).toEqual([
        { action: 'talk', text: 'Nobody is free right now. Please leave your message after the tone.', voice: 'female', bargeIn: false },
        {
          action: 'recordMessage',
          eventUrl: expect.stringMatching(/\/webhooks\/stringee\?notice=voicemail&call=call-vn-1-FLOWVMAIL1-1542377678720$/),
          format: 'mp3',
          beepStart: true,
          timeout: 60,
          silenceTimeout: 5,
        },
      ])
      // The message is ready (Stringee posts to the recordMessage's eventUrl), then the call ends.
      const ready = new URL(voicemail[1]?.eventUrl as string)
      const notice = await server.post(ready.pathname + ready.search, { call_id: callId })
      expect(notice.status).toBe(200)
      await status({ ...docsEventEnded.body, call_id: callId, endCallCause: 'NORMAL_CLEARING', duration: 35, answerDuration: 35 })
      expect(await rows(callId)).toMatchObject([
        { layer: '1', action: 'collect', rule_name: 'Support line menu' },
        { layer: 'support', dtmf: '1', action: 'voicemail', rule_name: 'menu support key 1' },
        { action: 'status:voicemail' },
        { action: 'status:ended', duration_ms: 35_000 },
      ])
    })

    it('a caller who presses the SMS key hears the goodbye and the call ends; the SMS reaches their number after the answer (seed 002, action 5)', async () => {
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
      const menuRule = await server.post(
        '/admin/rules',
        {
          name: 'Billing line menu',
          priority: 1,
          provider: 'stringee',
          did: '842470000003',
          from_layer: '1',
          identify_by: 'none',
          action: 'collect',
          to_layer: 'billing',
          say: 'text:Press 5 to get the payment link by SMS.',
          options: { max_digits: 1 },
        },
        admin,
      )
      expect(menuRule.status, await menuRule.clone().text()).toBe(201)
      const key = await server.post(
        '/admin/menu-keys',
        {
          layer: 'billing',
          key: '5',
          provider: 'stringee',
          action: 'sms',
          target: 'Pay your bill at https://pay.example.com',
          say: 'text:We have sent you the link. Goodbye.',
        },
        admin,
      )
      expect(key.status, await key.clone().text()).toBe(201)
      const callId = 'call-vn-1-FLOWSMS001-1542377678721'
      const menu = await answerUrl({ from: '0531112233', to: '842470000003', uuid: 'flow-sms-uuid', callId })
      expect(spoken(menu)).toEqual(['Press 5 to get the payment link by SMS.'])
      const goodbye = await input(menu, { dtmf: '5', call_id: callId })
      // The answer is the goodbye alone: the SMS is no SCCO action, it goes out through the SMS API afterwards.
      expect(goodbye).toEqual([{ action: 'talk', text: 'We have sent you the link. Goodbye.', voice: 'female', bargeIn: false }])
      expect(await rows(callId)).toMatchObject([
        { layer: '1', action: 'collect', rule_name: 'Billing line menu' },
        { layer: 'billing', dtmf: '5', action: 'hangup', rule_name: 'menu billing key 5' },
      ])
      // The caller's number as Stringee writes numbers (country code first, no plus), from the brandname.
      expect(await server.smsTo('972531112233')).toEqual([
        { from: 'ACME', to: '972531112233', text: 'Pay your bill at https://pay.example.com', r: 0 },
      ])
    })

    it("the queue rings the caller's owner first, then the queue's agents; a caller with no owner still gets the agents", async () => {
      const response = await server.post('/webhooks/stringee', {
        queueId: 'QU_1',
        projectId: 25,
        calls: [
          { callId: 'call-vn-1-QUEUE00001-1', from: '0501234567', to: DID },
          { callId: 'call-vn-1-QUEUE00002-1', from: '0539999999', to: DID },
        ],
      })
      const agent = (id: string) => ({ stringee_user_id: id, routing_type: 1, answer_timeout: 15 })
      expect(await response.json()).toEqual({
        version: 2,
        calls: [
          { callId: 'call-vn-1-QUEUE00001-1', agents: [agent('101'), agent('desk_1'), agent('desk_2')] },
          { callId: 'call-vn-1-QUEUE00002-1', agents: [agent('desk_1'), agent('desk_2')] },
        ],
      })
    })
  })

  describe('stringee: every corpus request is handled', () => {
    let server: StringeeHarness
    beforeAll(async () => {
      server = await start({ STRINGEE_DEFAULT_COUNTRY: 'IL', STRINGEE_QUEUE_AGENTS: 'desk_1' })
    })
    afterAll(() => server.close())

    const routeSteps = Object.entries(STRINGEE_CORPUS).filter(([, fixture]) => fixture.kind === 'route-step' && fixture.method === 'GET')
    it.each(routeSteps)('%s is routed by the rules', async (_, fixture) => {
      const response = await server.get(`/webhooks/stringee?${new URLSearchParams(fixture.query)}`)
      const actions = (await response.json()) as Action[]
      expect(isStringeeScco(actions)).toBe(true)
      // Callers unknown to the demo directory: asked for their account number, as the rules say.
      expect(actions.map((action) => action.text ?? action.action)).toEqual([PROMPT, 'input'])
      const id = fixture.query.callId ?? fixture.query.uuid
      // The call's last row: in workerd the suites of this file share one D1.
      if (id)
        expect((await settled(server, id)).at(-1)).toMatchObject({
          layer: '1',
          rule_name: 'Unknown callers are asked for their account number',
        })
    })

    it('server-samples-input-event.json, posted to an eventUrl we handed out, is routed by the rules', async () => {
      const fixture = STRINGEE_CORPUS['server-samples-input-event.json'] as StringeeFixture
      const prompt = (await (await server.get(`/webhooks/stringee?from=0539999999&to=${DID}&uuid=corpus-input-uuid`)).json()) as Action[]
      const { pathname, search } = new URL(prompt[1]?.eventUrl as string)
      const actions = (await (await server.post(pathname + search, fixture.body)).json()) as Action[]
      expect(actions.map((action) => action.text)).toEqual([RETRY, undefined])
      const callId = (fixture.body as { call_id: string }).call_id
      expect((await settled(server, callId)).at(-1)).toMatchObject({
        layer: '5',
        dtmf: '0',
        rule_name: 'No or wrong account number: ask again (twice)',
      })
    })

    it.each(Object.entries(STRINGEE_CORPUS).filter(([, fixture]) => fixture.kind === 'status'))(
      '%s is recorded as a status',
      async (_, fixture) => {
        const response = await server.post('/webhooks/stringee', fixture.body)
        expect(await response.json()).toEqual({})
        const body = fixture.body as { call_id: string; call_status: string }
        expect((await settled(server, body.call_id)).at(-1)).toMatchObject({ action: `status:${body.call_status}` })
      },
    )

    it('assembled-queue-agent-list.json is answered with agents for every call', async () => {
      const response = await server.post('/webhooks/stringee', assembledQueueAgentList.body)
      const agent = { stringee_user_id: 'desk_1', routing_type: 1, answer_timeout: 15 }
      expect(await response.json()).toEqual({
        version: 2,
        calls: assembledQueueAgentList.body.calls.map((call) => ({ callId: call.callId, agents: [agent] })),
      })
    })
  })

  describe('stringee: signed requests', () => {
    let server: StringeeHarness
    beforeAll(async () => {
      server = await start({ STRINGEE_DEFAULT_COUNTRY: 'IL', STRINGEE_SIGNING_SECRET: SIGNING_SECRET })
    })
    afterAll(() => server.close())

    it('accepts a GET signed over the Request-URI as Stringee sends it, with a raw \' and " in the query', async () => {
      // Stringee signs the URI as it sends it: only a space becomes %20. The runtime in front of us escapes
      // the quotes (workerd always, Node's fetch on the way out here), and the signature must still match.
      const uri = `/webhooks/stringee?from=0539999999&to=${DID}&fromInternal=true&userId=user_1&callId=call-vn-1-SIGNED0001-1&custom=it's%20"vip"`
      const response = await server.get(uri, { 'x-stringee-signature': await hmacSha1(SIGNING_SECRET, uri) })
      expect(response.status).toBe(200)
      expect(isStringeeSorry(await response.json())).toBe(false)
    })

    it('still refuses a signature over another URI', async () => {
      const uri = `/webhooks/stringee?from=0539999999&to=${DID}&uuid=signed-2&custom=it's`
      const response = await server.get(uri, { 'x-stringee-signature': await hmacSha1(SIGNING_SECRET, `${uri}x`) })
      expect(response.status).toBe(401)
    })
  })
}

const settled = async (server: StringeeHarness, callId: string) => {
  await server.settle()
  return server.rows(callId)
}

/** What Stringee puts in X-STRINGEE-SIGNATURE (Web Crypto, so the same on Node and in workerd). */
export const hmacSha1 = async (secret: string, data: string) => {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)))))
}
