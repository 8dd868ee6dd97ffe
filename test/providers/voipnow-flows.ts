import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import hangupForm from '../fixtures/voipnow/assembled-hangup-form.json' with { type: 'json' }
import ivrGet from '../fixtures/voipnow/ucom4b-call-interactive-ivr-get.json' with { type: 'json' }
import ivrPostForm from '../fixtures/voipnow/ucom4b-call-interactive-ivr-post-form.json' with { type: 'json' }
import type { ServiceHarness, StartHarness } from '../helpers/harness.ts'
import { isVoipNowAnswer } from './voipnow-answer.ts'

/** The shared harness (test/helpers/harness.ts): the flows read a call's decision-log rows through it. */
export type FlowHarness = ServiceHarness
export type StartFlowHarness = StartHarness

/** The fake HubSpot on 127.0.0.1 (test/helpers/fake-hubspot.ts) as the flows use it: its settings and the calls it holds. */
export interface FlowHubSpot {
  env: Record<string, string>
  loggedCalls(): Promise<Record<string, string | null>[]>
}

/** What one VoipNow answer does to the call, in order: what the caller hears, then where the call goes. */
interface Heard {
  /** PlayTTS text and PlaySound files, in the order played. */
  hears: string[]
  /** The CRM name and number SetCaller puts on the call, when there is one. */
  caller?: { name: string; number: string }
  /** SetVar: the screen pop the next context and the agent's CRM integration read. */
  vars: Record<string, string>
  /** Where the IVR goes on: `context:option:priority`. */
  jump?: string
  hangup: boolean
  /** Nothing at all: the IVR goes on with its own context (our failover, and the answer to notices). */
  empty: boolean
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> }
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
})

const hear = (body: string): Heard => {
  const document = parser.parse(body) as Node[]
  const response = (document.find((node) => 'Response' in node)?.Response ?? []) as Node[]
  const heard: Heard = { hears: [], caller: undefined, vars: {}, jump: undefined, hangup: false, empty: response.length === 0 }
  for (const node of response) {
    const [verb] = Object.keys(node).filter((key) => key !== ':@')
    const attributes = node[':@'] ?? {}
    const text = ((node[verb as string] as { '#text'?: string }[])[0]?.['#text'] ?? '').trim()
    switch (verb) {
      case 'PlayTTS':
        heard.hears.push(text)
        break
      case 'PlaySound':
        heard.hears.push(`sound ${text}`)
        break
      case 'SetCaller':
        heard.caller = { name: attributes.name as string, number: attributes.number as string }
        break
      case 'SetVar':
        heard.vars[attributes.name as string] = text
        break
      case 'Jump':
        heard.jump = `${attributes.context}:${attributes.option}:${attributes.priority}`
        break
      case 'Hangup':
        heard.hangup = true
        break
    }
  }
  return heard
}

const ASK = 'Please enter your account number and then press the pound key.'
const ASK_AGAIN = 'Sorry, that account number was not found. Please enter it again and then press the pound key.'
const DID = '0722776772'
const STRANGER = '0529999999'

/**
 * Whole VoipNow calls through the demo IVR, as VoipNow sends them: its IVR runs a Call Interactive action
 * whose script URL carries our static `layer` and the interactive `digits=$account` (docs/providers/voipnow.md),
 * POSTs its default parameters form-encoded (CallStatus ANSWER, CallFlow IN, as its own sample request),
 * and runs the XML we answer; the Hangup event has its own script URL (`?event=hangup`).
 *
 * Step 1 greets and looks the caller up; context 5 records the account number into $account; 12 =
 * representatives, reception takes callers who could not identify, agents:<extension> rings an owner.
 */
export const testVoipNowFlows = (start: StartFlowHarness, hubspot: () => FlowHubSpot) => {
  describe('voipnow: call flows', () => {
    let server: FlowHarness
    beforeAll(async () => {
      server = await start({ VOIPNOW_DEFAULT_COUNTRY: 'IL' })
    })
    afterAll(() => server.close())

    /** One call: each step is one request of VoipNow's IVR for this CallID. */
    const call = (callId: string, callerIdNum = STRANGER) => {
      const base = {
        CallID: callId,
        CallAPIID: `3584705175:${callId}`,
        CallerIDNum: callerIdNum,
        CallerIDName: callerIdNum,
        CalledDID: DID,
        CalledNumber: DID,
        CallStatus: 'ANSWER',
        CallFlow: 'IN',
      }
      const send = async (query: Record<string, string>, fields: Record<string, string> = {}) => {
        const response = await server.post(
          `/webhooks/voipnow?${new URLSearchParams(query)}`,
          new URLSearchParams({ ...base, ...fields }).toString(),
          {
            'content-type': 'application/x-www-form-urlencoded',
          },
        )
        const body = await response.text()
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toContain('text/xml')
        expect(isVoipNowAnswer(body), body).toBe(true)
        return hear(body)
      }
      return {
        /** The Dial-In script URL of step 1. */
        dialIn: () => send({ layer: '1' }),
        /** Context 5's script URL after "Record digits to variable": `$account` as VoipNow substituted it. */
        account: (digits: string) => send({ layer: '5', digits }),
        /** The Hangup event's script URL. */
        hangup: (callStatus: string) => send({ event: 'hangup' }, { CallStatus: callStatus }),
        decisions: () => server.decisions(callId),
      }
    }

    it('a caller the CRM does not know is asked for the account number, types it right and reaches the representatives', async () => {
      const vn = call('vn-flow-right')
      expect(await vn.dialIn()).toMatchObject({ hears: [ASK], jump: '5:s:1', caller: undefined })
      const found = await vn.account('12345678')
      expect(found).toMatchObject({ hears: [], jump: '12:s:1', caller: { name: 'Dana Levi', number: STRANGER } })
      expect(found.vars).toMatchObject({ CRM_ID: '1', NAME: 'Dana Levi', CRM_client_ID: '12345', OWNER: 'John Doe' })
      expect(await vn.hangup('ANSWER')).toMatchObject({ empty: true })
      expect(await vn.decisions()).toMatchObject([
        { layer: '1', attempt: 1, rule_name: 'Unknown callers are asked for their account number', action: 'collect' },
        { layer: '5', dtmf: '12345678', attempt: 1, rule_name: 'Account number found: to the representatives', action: 'go_to_layer' },
        { action: 'status:ANSWER', rule_name: null },
      ])
    })

    it('an account with a balance due: the balance and due date are announced, then the representatives', async () => {
      const vn = call('vn-flow-balance', '0529999998')
      await vn.dialIn()
      const balance = await vn.account('1234')
      expect(balance).toMatchObject({
        hears: ['sound your_balance_is.mp3', '112', 'sound due_on.mp3', '2026-12-14'],
        jump: '12:s:1',
      })
      expect(balance.vars).toMatchObject({ NAME: 'Moshe Cohen', balance: '112' })
    })

    it('digits typed early, with the pound key the prompt asks for, are the account number', async () => {
      const vn = call('vn-flow-early', '0529999997')
      await vn.dialIn()
      expect(await vn.account('12345678#')).toMatchObject({ jump: '12:s:1', caller: { name: 'Dana Levi' } })
      expect((await vn.decisions())[1]).toMatchObject({ dtmf: '12345678#', attempt: 1, action: 'go_to_layer' })
    })

    it('typed too late: nothing reached the variable, the caller is asked again, and the retry gets through', async () => {
      const vn = call('vn-flow-late', '0529999996')
      await vn.dialIn()
      // VoipNow did not substitute an unset variable: the literal $account arrives.
      expect(await vn.account('$account')).toMatchObject({ hears: [ASK_AGAIN], jump: '5:s:1' })
      expect(await vn.account('12345678')).toMatchObject({ jump: '12:s:1', caller: { name: 'Dana Levi' } })
      expect((await vn.decisions()).map((row) => [row.dtmf, row.attempt, row.action])).toEqual([
        ['', 1, 'collect'],
        ['', 1, 'collect'],
        ['12345678', 2, 'go_to_layer'],
      ])
    })

    it('wrong twice, then right: the third try still identifies the caller', async () => {
      const vn = call('vn-flow-wrong-right', '0529999995')
      await vn.dialIn()
      expect(await vn.account('9999')).toMatchObject({ hears: [ASK_AGAIN], jump: '5:s:1' })
      expect(await vn.account('123')).toMatchObject({ hears: [ASK_AGAIN], jump: '5:s:1' })
      expect(await vn.account('12345678')).toMatchObject({ jump: '12:s:1', caller: { name: 'Dana Levi' } })
    })

    it('wrong, nothing, wrong: after the third try reception takes the call, with the caller shown as unidentified', async () => {
      const vn = call('vn-flow-fail', '0529999994')
      await vn.dialIn()
      expect(await vn.account('9999')).toMatchObject({ hears: [ASK_AGAIN], jump: '5:s:1' })
      expect(await vn.account('')).toMatchObject({ hears: [ASK_AGAIN], jump: '5:s:1' })
      expect(await vn.account('1111')).toMatchObject({
        hears: [],
        jump: 'reception:s:1',
        caller: { name: 'Unidentified caller', number: '0529999994' },
        hangup: false,
      })
      expect(await vn.hangup('NOANSWER')).toMatchObject({ empty: true })
      expect((await vn.decisions()).map((row) => [row.layer, row.attempt, row.rule_name, row.action])).toEqual([
        ['1', 1, 'Unknown callers are asked for their account number', 'collect'],
        ['5', 1, 'No or wrong account number: ask again (twice)', 'collect'],
        ['5', 2, 'No or wrong account number: ask again (twice)', 'collect'],
        // The rule dials extension 100; its VoipNow column jumps to reception instead.
        ['5', 3, 'Third failed account number: a person takes the call', 'go_to_layer'],
        [null, null, null, 'status:NOANSWER'],
      ])
    })

    it.each([
      ['empty', ''],
      ['"anonymous"', 'anonymous'],
    ])('a withheld caller (CallerIDNum %s) goes the same way, and no SetCaller without a number is sent', async (_, withheld) => {
      const vn = call(`vn-flow-withheld-${withheld}`, withheld)
      expect(await vn.dialIn()).toMatchObject({ hears: [ASK], jump: '5:s:1' })
      await vn.account('$account')
      await vn.account('$account')
      const reception = await vn.account('$account')
      expect(reception).toMatchObject({ jump: 'reception:s:1', caller: undefined })
      expect(await vn.hangup('ANSWER')).toMatchObject({ empty: true })
    })

    it("a VIP is recognised by caller ID and jumps straight to the account manager's agents context", async () => {
      const vn = call('vn-flow-vip', '0501234567')
      const vip = await vn.dialIn()
      expect(vip).toMatchObject({ hears: [], jump: 'agents:101:1', caller: { name: 'Dana Levi', number: '0501234567' } })
      expect(vip.vars).toMatchObject({ SEGMENT: 'VIP', OWNER: 'John Doe' })
      expect((await vn.decisions())[0]).toMatchObject({ rule_name: 'VIP callers ring their account manager', action: 'go_to_layer' })
    })

    it("a known caller with an account manager goes to the manager's context; one without goes to the operators", async () => {
      expect(await call('vn-flow-known', '0541112233').dialIn()).toMatchObject({ jump: '23:s:1', caller: { name: 'Moshe Cohen' } })
      expect(await call('vn-flow-no-owner', '0527654321').dialIn()).toMatchObject({ jump: '20:s:1', caller: undefined })
    })

    it("VoipNow's own Call Interactive requests (corpus) are routing steps, GET and POST, with and without our layer", async () => {
      const get = async (query: Record<string, string>) => {
        // The harness posts; VoipNow's GET puts everything in the query, read the same way.
        const response = await server.post(`/webhooks/voipnow?${new URLSearchParams(query)}`, '', { 'content-type': '' })
        return hear(await response.text())
      }
      const form = (query: Record<string, string>) =>
        server.post(`/webhooks/voipnow?${new URLSearchParams(query)}`, ivrPostForm.body, { 'content-type': ivrPostForm.contentType })
      // Caller 000*306 is an extension, unknown to the CRM: at step 1 it is asked for the account number.
      expect(await get({ ...ivrGet.query, layer: '1' })).toMatchObject({ hears: [ASK], jump: '5:s:1' })
      expect(hear(await (await form({ layer: '1' })).text())).toMatchObject({ hears: [ASK], jump: '5:s:1' })
      // Without a layer no step rule applies: the operators fallback, still a routing step, never an empty answer.
      expect(hear(await (await form({})).text())).toMatchObject({ jump: '20:s:1', empty: false })
      const rows = await server.decisions(ivrGet.query.CallID)
      expect(rows.map((row) => row.action)).toEqual(['collect', 'collect', 'go_to_layer'])
      for (const row of rows) expect(row.reason ?? '').not.toContain('invalid')
    })

    it('the Hangup event (assembled from the corpus) is recorded as a status notice and answered empty', async () => {
      const response = await server.post(`/webhooks/voipnow?${new URLSearchParams(hangupForm.query)}`, hangupForm.body, {
        'content-type': hangupForm.contentType,
      })
      expect(hear(await response.text())).toMatchObject({ empty: true })
      const rows = await server.decisions('5205dc5cc5a411e5ab9eb3691b90ea15')
      expect(rows.at(-1)).toMatchObject({ action: 'status:NOANSWER', rule_name: null })
    })
  })

  describe('voipnow: the call log in HubSpot', () => {
    let server: FlowHarness
    let crm: FlowHubSpot
    beforeAll(async () => {
      crm = hubspot()
      server = await start({
        ...crm.env,
        CRM_PLUGINS: 'hubspot,local-directory',
        HUBSPOT_SEGMENT_PROPERTY: 'segment',
        VOIPNOW_DEFAULT_COUNTRY: 'IL',
        CALL_LOG_DELAY_SECONDS: '0',
      })
    })
    afterAll(() => server.close())

    it("a HubSpot contact's call: its steps and how it ended (the Hangup event) are logged on the contact", async () => {
      const post = (query: Record<string, string>, fields: Record<string, string>) =>
        server.post(
          `/webhooks/voipnow?${new URLSearchParams(query)}`,
          new URLSearchParams({
            CallID: 'vn-flow-hubspot',
            CallerIDNum: '0501234567',
            CalledDID: DID,
            CallFlow: 'IN',
            ...fields,
          }).toString(),
          { 'content-type': 'application/x-www-form-urlencoded' },
        )
      const vip = hear(await (await post({ layer: '1' }, { CallStatus: 'ANSWER' })).text())
      expect(vip).toMatchObject({ jump: 'agents:101:1', caller: { name: 'Dana Levi', number: '0501234567' } })
      expect(vip.vars).toMatchObject({ CRM_SOURCE: 'hubspot' })
      // The caller talks for a while before hanging up: the step's log is queued by then.
      await server.settle()
      expect(hear(await (await post({ event: 'hangup' }, { CallStatus: 'NOANSWER' })).text())).toMatchObject({ empty: true })
      await server.settle()
      expect(await server.deliverCallLogs()).toEqual({ delivered: 1, failed: 0 })
      const logged = (await crm.loggedCalls()).filter((call) => call.hs_call_body?.includes('voipnow layer 1'))
      expect(logged).toEqual([
        expect.objectContaining({
          hs_call_status: 'NO_ANSWER',
          hs_call_body: expect.stringMatching(
            /voipnow layer 1: rule "VIP callers ring their account manager" → layer agents:101\nCall ended: NOANSWER$/,
          ),
        }),
      ])
    })
  })
}
