import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import docsCaseExample from '../fixtures/voicenter/docs-case-example-id-entry.json' with { type: 'json' }
import docsRequest from '../fixtures/voicenter/docs-request-example.json' with { type: 'json' }
import sdkValues from '../fixtures/voicenter/sdk-readme-parameter-values.json' with { type: 'json' }
import { isVoicenterAnswer } from './voicenter-answer.ts'
import type { FlowHarness, StartFlowHarness } from './voipnow-flows.ts'

interface VoicenterAnswer {
  STATUS: number
  ACTION: string
  LAYER?: number
  NEXT_LAYER?: number
  NEXT_LAYER_IF_FAILED?: number
  LANGUAGE?: string
  DATA?: { RecordType: string; Content: string }[]
  CALLER_ID?: string
  CALLER_NAME?: string
  NEXT_VO_ID?: number
  RECORDING?: string
  MAX_DIAL_DURATION?: number
  TARGETS?: { TYPE: string; TARGET: string }[]
  CUSTOM_DATA?: Record<string, string>
}

const DID = '0722776772'
const STRANGER = '0529999999'
/** Where the demo sends an identified caller (representatives) and one who could not identify (extension 100). */
const REPRESENTATIVES = { STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 12 }
const ASK_AT_LAYER_5 = { STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 5, CUSTOM_DATA: {} }
const RECEPTION = {
  STATUS: 0,
  ACTION: 'DIAL',
  CALLER_NAME: 'Unidentified caller',
  NEXT_VO_ID: 20,
  RECORDING: 'no',
  TARGETS: [{ TYPE: 'EXTENSION', TARGET: '100' }],
}

/**
 * Whole Voicenter calls through the demo IVR (src/db/demo-seed.ts, after Voicenter's External Layer docs),
 * as Voicenter sends them: a layer with "mini external IVR" POSTs IVR_LAYER_INPUT with the digits it collected
 * (MiniExternalDTMFLen, then Delay) and runs the answer. Layer 1 greets and sends the caller ID; layer 5 plays
 * its own prompt and collects the account number ("0" when nothing was typed); 12 = representatives,
 * 20 = operators (the DIAL failover, NEXT_VO_ID), 22/23 = account managers' layers.
 */
export const testVoicenterFlows = (start: StartFlowHarness) => {
  describe('voicenter: call flows', () => {
    let server: FlowHarness
    beforeAll(async () => {
      server = await start()
    })
    afterAll(() => server.close())

    /** One call: every step posts IVR_LAYER_INPUT with this IVR_UNIQUE_ID, from the layer Voicenter is at. */
    const call = (callId: string, callerId: string | null = STRANGER) => {
      let previous = '0'
      const step = async (layer: string, dtmf: string | null, extra: Record<string, unknown> = {}) => {
        const data = { DID, CALLER_ID: callerId, IVR_UNIQUE_ID: callId, DTMF: dtmf, LAYER_ID: layer, PREVIOUS_LAYER_ID: previous, ...extra }
        previous = layer
        const response = await server.post('/webhooks/voicenter', { METHOD: 'IVR_LAYER_INPUT', DATA: data })
        expect(response.status).toBe(200)
        const answer = (await response.json()) as VoicenterAnswer
        expect(isVoicenterAnswer(answer), JSON.stringify(answer)).toBe(true)
        return answer
      }
      return {
        /** Layer 1, the greeting: Voicenter sends the caller ID ("0": nothing typed). */
        greeting: (dtmf = '0') => step('1', dtmf),
        /** Layer 5 after its prompt: what the caller typed within MiniExternalDTMFLen and Delay. */
        account: (dtmf: string | null, extra?: Record<string, unknown>) => step('5', dtmf, extra),
        step,
        decisions: () => server.decisions(callId),
      }
    }

    it('a caller the CRM does not know is sent to layer 5, types the account number and reaches the representatives', async () => {
      const vc = call('vc-flow-right')
      expect(await vc.greeting()).toEqual(ASK_AT_LAYER_5)
      const found = await vc.account('12345678')
      expect(found).toMatchObject({ ...REPRESENTATIVES, CALLER_NAME: 'Dana Levi' })
      expect(found.CUSTOM_DATA).toMatchObject({ CRM_ID: '1', CRM_client_ID: '12345', OWNER: 'John Doe' })
      expect(await vc.decisions()).toMatchObject([
        { layer: '1', dtmf: '', attempt: 1, rule_name: 'Unknown callers are asked for their account number', action: 'collect' },
        { layer: '5', dtmf: '12345678', attempt: 1, rule_name: 'Account number found: to the representatives', action: 'go_to_layer' },
      ])
    })

    it('an account with a balance due hears it with SAY_DIGITS, then goes on to the representatives', async () => {
      const vc = call('vc-flow-balance', '0529999998')
      await vc.greeting()
      expect(await vc.account('1234')).toEqual({
        STATUS: 0,
        ACTION: 'SAY_DIGITS',
        NEXT_LAYER: 12,
        NEXT_LAYER_IF_FAILED: 12,
        LANGUAGE: 'EN',
        DATA: [
          { RecordType: 'Recording', Content: 'your_balance_is.mp3' },
          { RecordType: 'Number', Content: '112' },
          { RecordType: 'Recording', Content: 'due_on.mp3' },
          { RecordType: 'Date', Content: '2026-12-14' },
        ],
      })
    })

    it('digits typed early, during the greeting, are not an account-number try: layer 5 still gives three', async () => {
      const vc = call('vc-flow-early', '0529999997')
      expect(await vc.greeting('12345678')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('0')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('12345678')).toMatchObject({ ...REPRESENTATIVES, CALLER_NAME: 'Dana Levi' })
      expect((await vc.decisions()).map((row) => [row.layer, row.attempt])).toEqual([
        ['1', 1],
        ['5', 1],
        ['5', 2],
      ])
    })

    it('typed too late (after the layer\'s Delay): "0" arrives, the caller is asked again, and the retry gets through', async () => {
      const vc = call('vc-flow-late', '0529999996')
      await vc.greeting()
      expect(await vc.account('0')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('12345678')).toMatchObject(REPRESENTATIVES)
      expect((await vc.decisions()).map((row) => [row.dtmf, row.attempt, row.rule_name])).toEqual([
        ['', 1, 'Unknown callers are asked for their account number'],
        ['', 1, 'No or wrong account number: ask again (twice)'],
        ['12345678', 2, 'Account number found: to the representatives'],
      ])
    })

    it('wrong, then too short, then right: the third try still identifies the caller', async () => {
      const vc = call('vc-flow-wrong-right', '0529999995')
      await vc.greeting()
      expect(await vc.account('99999999')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('123')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('12345678')).toMatchObject({ ...REPRESENTATIVES, CALLER_NAME: 'Dana Levi' })
    })

    it("wrong, nothing, wrong: the third failure DIALs reception (extension 100) with the caller's own number", async () => {
      const vc = call('vc-flow-fail', '0529999994')
      await vc.greeting()
      expect(await vc.account('99999999')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('0')).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account('11111111')).toMatchObject({ ...RECEPTION, CALLER_ID: '0529999994' })
      expect((await vc.decisions()).map((row) => [row.layer, row.attempt, row.rule_name, row.action])).toEqual([
        ['1', 1, 'Unknown callers are asked for their account number', 'collect'],
        ['5', 1, 'No or wrong account number: ask again (twice)', 'collect'],
        ['5', 2, 'No or wrong account number: ask again (twice)', 'collect'],
        ['5', 3, 'Third failed account number: a person takes the call', 'dial'],
      ])
    })

    it.each([
      ['null', null],
      ['"Anonymous"', 'Anonymous'],
      ['empty', ''],
    ])('a withheld caller (CALLER_ID %s) who types nothing (DTMF null) reaches reception, shown with the DID', async (_, callerId) => {
      const vc = call(`vc-flow-withheld-${callerId}`, callerId)
      expect(await vc.greeting()).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account(null)).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account(null)).toEqual(ASK_AT_LAYER_5)
      expect(await vc.account(null)).toMatchObject({ ...RECEPTION, CALLER_ID: DID })
      for (const row of await vc.decisions()) expect(row.reason ?? '').not.toContain('invalid')
    })

    it('a VIP is recognised by caller ID and DIALled straight to the account manager, recorded, operators if unreachable', async () => {
      const vc = call('vc-flow-vip', '0501234567')
      const dial = await vc.greeting()
      expect(dial).toMatchObject({
        STATUS: 0,
        ACTION: 'DIAL',
        CALLER_ID: '0501234567',
        CALLER_NAME: 'Dana Levi',
        MAX_DIAL_DURATION: 30,
        NEXT_VO_ID: 20,
        RECORDING: 'yes',
        TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      })
      expect(dial.CUSTOM_DATA).toMatchObject({ SEGMENT: 'VIP', OWNER: 'John Doe' })
    })

    it("a known caller goes to the account manager's layer; one without a manager to the operators", async () => {
      expect(await call('vc-flow-known', '0541112233').greeting()).toMatchObject({
        STATUS: 0,
        ACTION: 'GO_TO_LAYER',
        LAYER: 23,
        CALLER_NAME: 'Moshe Cohen',
      })
      const operators = await call('vc-flow-no-owner', '0527654321').greeting()
      // No rule for a contact without a manager: the operators fallback, with the contact as the screen pop.
      expect(operators).toMatchObject({ STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 20 })
      expect(operators.CUSTOM_DATA).toMatchObject({ NAME: 'Avi Mizrahi', CRM_client_ID: '12347' })
    })

    it('CUSTOM_DATA Voicenter echoes back, nested values included, comes back with the next answer as text', async () => {
      const vc = call('vc-flow-custom', '0529999993')
      await vc.greeting()
      const echoed = { ticket: { id: 7, open: true }, source: 'web', none: null }
      const answer = await vc.account('12345678', { CUSTOM_DATA: echoed })
      expect(answer).toMatchObject(REPRESENTATIVES)
      expect(answer.CUSTOM_DATA).toMatchObject({ ticket: '{"id":7,"open":true}', source: 'web', none: '', NAME: 'Dana Levi' })
    })

    it.each([
      ['docs request example', docsRequest],
      ['docs case example (ID entry)', docsCaseExample],
      ['SDK README parameter values', sdkValues],
    ])("Voicenter's own request (corpus: %s) is routed as a call step", async (_, fixture) => {
      const response = await server.post('/webhooks/voicenter', fixture.body, { 'content-type': fixture.contentType })
      const answer = (await response.json()) as VoicenterAnswer
      expect(isVoicenterAnswer(answer), JSON.stringify(answer)).toBe(true)
      expect(answer.STATUS).toBe(0)
      const rows = await server.decisions(fixture.body.DATA.IVR_UNIQUE_ID)
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) {
        expect(row.action).not.toMatch(/^status:/)
        expect(row.reason ?? '').not.toContain('invalid')
        expect(row.layer).toBe(fixture.body.DATA.LAYER_ID)
      }
    })
  })
}
