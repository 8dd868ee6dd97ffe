import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import assembledStatus from '../fixtures/routee/assembled-status-callback-completed.json' with { type: 'json' }
import collectOne from '../fixtures/routee/buildingidgr-collect-1.json' with { type: 'json' }
import collectNine from '../fixtures/routee/buildingidgr-collect-9.json' with { type: 'json' }
import collectEmptyAfterHangup from '../fixtures/routee/buildingidgr-collect-empty-after-hangup.json' with { type: 'json' }
import inboundFixture from '../fixtures/routee/buildingidgr-dialplan-url-inbound.json' with { type: 'json' }
import tutorialCollect from '../fixtures/routee/docs-pin-tutorial-collect.json' with { type: 'json' }
import type { DecisionRecord, ServiceHarness, StartHarness } from '../helpers/harness.ts'
import { isRouteeDialPlan } from './routee-answer.ts'
import { type CallerKeys, type PlanOutcome, playDialPlan, type RouteeVerb } from './routee-caller.ts'

/** The demo number and an unknown caller (both as Routee writes them in its docs). */
const DID = '+302111234567'
const STRANGER = '+306911111111'
const RECEPTION = '+972722776700'

// What the demo rules (src/db/demo-seed.ts) make a Routee caller hear.
const PROMPT = 'Please enter your account number and then press the pound key.'
const NOT_FOUND = 'Sorry, that account number was not found. Please enter it again and then press the pound key.'
const TO_A_PERSON = 'Let me connect you to our team.'
const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'
const RULE = {
  ask: 'Unknown callers are asked for their account number',
  balance: 'Account number with a balance due: announce it',
  found: 'Account number found: to the representatives',
  again: 'No or wrong account number: ask again (twice)',
  person: 'Third failed account number: a person takes the call',
}

/** Where a row came from and what it did, without the parts that differ run to run. */
const step = (row: DecisionRecord) => [row.layer, row.attempt, row.dtmf, row.rule_name, row.action]

/**
 * Whole Routee calls, replayed request by request as Routee sends them, against the demo rules: the inbound
 * call, the caller typing early (over the prompt), late (in the pause), wrongly or not at all, the retries,
 * the DIAL or the end of the call, Routee's post after hang-up, the status callbacks, and the call's rows in
 * the decision log. What the caller hears and does is played by playDialPlan, from Routee's verb reference.
 * Runs on Node (routee-flows.test.ts) and in workerd (test/workers/routee-flows.test.ts), in the default
 * configuration (no ROUTEE_CALLER_ID, no PUBLIC_URL).
 */
export const testRouteeFlows = (start: StartHarness) => {
  describe('Routee call flows, replayed as Routee sends them', () => {
    let service: ServiceHarness
    beforeAll(async () => {
      service = await start()
    })
    afterAll(() => service.close())

    const send = async (path: string, body: unknown, contentType = 'application/json') => {
      const response = await service.post(path, body, { 'content-type': contentType })
      expect(response.status).toBe(200)
      return (await response.json()) as unknown
    }
    /** A request whose answer must be a dial plan Routee can run. */
    const planFor = async (path: string, body: unknown, contentType?: string) => {
      const answer = await send(path, body, contentType)
      expect(isRouteeDialPlan(answer), JSON.stringify(answer)).toBe(true)
      return (answer as { verbs: RouteeVerb[] }).verbs
    }
    /** Routee posts to the number's dial-plan URL when the call is answered. */
    const inbound = (callId: string, from = STRANGER, contentType?: string) =>
      planFor('/webhooks/routee', { messageId: `m-${callId}`, conversationTrackingId: callId, from, to: DID }, contentType)
    const pathOf = (eventUrl: string | undefined) => {
      const url = new URL(eventUrl ?? '')
      return url.pathname + url.search
    }
    /** The caller hears the plan and types; Routee posts the tones, as its docs show them, where the plan says. */
    const typeInto = async (callId: string, verbs: RouteeVerb[], keys: CallerKeys) => {
      const outcome = playDialPlan(verbs, keys)
      if (outcome.kind !== 'post') throw new Error(`nothing was posted: ${JSON.stringify(outcome)}`)
      const next = await planFor(pathOf(outcome.eventUrl), {
        messageId: `m-${callId}`,
        conversationTrackingId: callId,
        collectedTones: outcome.collectedTones,
      })
      return { outcome, next }
    }
    /** The plan ran to its end: Routee posts the COLLECT's tones once more, empty, and the status callbacks follow. */
    const callEnds = async (callId: string, verbs: RouteeVerb[], statuses: [string, unknown?][]) => {
      const collect = verbs.find((verb) => verb.type === 'COLLECT')
      if (collect) {
        const body = { from: STRANGER, to: DID, messageId: `m-${callId}`, conversationTrackingId: callId, collectedTones: '' }
        expect(await send(pathOf(collect.eventUrl), body)).toEqual({})
      }
      for (const [name, duration] of statuses) {
        const body = {
          messageId: `m-${callId}`,
          conversationTrackingId: callId,
          to: DID,
          from: STRANGER,
          status: { name, updatedDate: '2026-11-23T08:01:00.000Z' },
          direction: 'Inbound',
          originatingService: 'Voice',
          respectQuietHours: false,
          ...(duration === undefined ? {} : { duration }),
          price: 0.02,
        }
        expect(await send('/webhooks/routee', body)).toEqual({})
      }
    }
    const log = (callId: string) => service.decisions(callId, 'routee')
    const dialTo = (to: string, heard: string[]): PlanOutcome => ({ kind: 'dial', from: DID, to, heard })

    it('typed early: the whole PIN, typed over the prompt, reaches the rules; then the DIAL, the statuses and the log', async () => {
      const first = await inbound('early')
      // The prompt cannot be cut short by the first tone: that tone would be posted alone.
      expect(first.filter((verb) => verb.bargeIn === true)).toEqual([])
      const { outcome, next } = await typeInto('early', first, { 'SAY#1': '12345678#' })
      expect(outcome).toMatchObject({ heard: [PROMPT], collectedTones: '1,2,3,4,5,6,7,8' })
      expect(playDialPlan(next)).toEqual(dialTo('+972541000101', ['Thank you, Dana Levi. Connecting you to John Doe.']))
      await callEnds('early', next, [['Ringing'], ['InProgress'], ['Completed', '95']])
      const rows = await log('early')
      expect(rows.map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        ['5', 1, '12345678', RULE.found, 'dial'],
        [null, null, null, null, 'status:Ringing'],
        [null, null, null, null, 'status:InProgress'],
        [null, null, null, null, 'status:Completed'],
      ])
      expect(rows.at(-1)?.duration_ms).toBe(95_000)
    })

    it('typed late: in the pause after the prompt, as Routee tones without commas', async () => {
      const first = await inbound('late')
      const outcome = playDialPlan(first, { 'PAUSE#1': '1234#' }, 'plain')
      expect(outcome).toMatchObject({ kind: 'post', heard: [PROMPT], collectedTones: '1234' })
      if (outcome.kind !== 'post') return
      const next = await planFor(pathOf(outcome.eventUrl), {
        from: STRANGER,
        to: DID,
        messageId: 'm-late',
        conversationTrackingId: 'late',
        collectedTones: outcome.collectedTones,
      })
      expect(playDialPlan(next)).toEqual(dialTo('+972541000102', ['Your balance is 112, due on 2026-12-14. Connecting you to Sara Cohen.']))
      expect((await log('late')).map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        ['5', 1, '1234', RULE.balance, 'dial'],
      ])
    })

    it('digits typed without #, then # over the re-prompt: the digits typed before count', async () => {
      const first = await inbound('no-hash')
      const { outcome, next } = await typeInto('no-hash', first, { 'PAUSE#1': '1234', 'SAY#2': '#' })
      expect(outcome).toMatchObject({ heard: [PROMPT, NOT_FOUND], collectedTones: '1,2,3,4' })
      expect(playDialPlan(next).kind).toBe('dial')
    })

    it('wrong, then right: asked again, and the re-prompt has its own single COLLECT', async () => {
      const first = await inbound('wrong-right')
      const retry = await typeInto('wrong-right', first, { 'SAY#1': '9999#' })
      expect(playDialPlan(retry.next).heard[0]).toBe(NOT_FOUND)
      const done = await typeInto('wrong-right', retry.next, { 'SAY#1': '12345678#' })
      expect(done.outcome.heard).toEqual([NOT_FOUND])
      expect(playDialPlan(done.next)).toMatchObject({ kind: 'dial', to: '+972541000101' })
      expect((await log('wrong-right')).map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        ['5', 1, '9999', RULE.again, 'collect'],
        ['5', 2, '12345678', RULE.found, 'dial'],
      ])
    })

    it('wrong three times: asked again twice, then a person takes the call', async () => {
      let verbs = await inbound('wrong-3')
      for (const pin of ['9999', '8888', '7777']) verbs = (await typeInto('wrong-3', verbs, { 'SAY#1': `${pin}#` })).next
      expect(playDialPlan(verbs)).toEqual(dialTo(RECEPTION, [TO_A_PERSON]))
      await callEnds('wrong-3', verbs, [['Completed', 31]])
      expect((await log('wrong-3')).map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        ['5', 1, '9999', RULE.again, 'collect'],
        ['5', 2, '8888', RULE.again, 'collect'],
        ['5', 3, '7777', RULE.person, 'dial'],
        [null, null, null, null, 'status:Completed'],
      ])
    })

    it('typed over the re-prompt of the no-input path: the tones reach the one COLLECT, at its attempt', async () => {
      const first = await inbound('over-reprompt')
      expect(first.filter((verb) => verb.type === 'COLLECT')).toHaveLength(1)
      const { outcome, next } = await typeInto('over-reprompt', first, { 'SAY#2': '1234#' })
      expect(outcome.heard).toEqual([PROMPT, NOT_FOUND])
      expect(playDialPlan(next)).toMatchObject({ kind: 'dial', to: '+972541000102' })
      expect((await log('over-reprompt')).map(step)[1]).toEqual(['5', 1, '1234', RULE.balance, 'dial'])
    })

    it('silent: the first answer carries the whole no-input path, and it ends where a Voicenter caller ends', async () => {
      const first = await inbound('silent')
      const heard = playDialPlan(first)
      // Asked, asked again twice, then the rule for a third failed attempt: a person.
      expect(heard).toEqual(dialTo(RECEPTION, [PROMPT, NOT_FOUND, NOT_FOUND, TO_A_PERSON]))
      await callEnds('silent', first, [['Completed', '48']])
      const rows = await log('silent')
      // Routee posted nothing while the caller was silent: one routed step, its answer the whole path.
      expect(rows.map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        [null, null, null, null, 'status:NoInput'],
        [null, null, null, null, 'status:Completed'],
      ])
      // The same rules, the same silence on Voicenter (which posts each timeout): the same rule ends the call.
      const voicenter = (layer: string) => ({
        METHOD: 'IVR_LAYER_INPUT',
        DATA: {
          DID: '0722776772',
          CALLER_ID: '0539999999',
          IVR_UNIQUE_ID: 'silent-vc',
          DTMF: '',
          LAYER_ID: layer,
          PREVIOUS_LAYER_ID: layer,
        },
      })
      for (const layer of ['1', '5', '5', '5']) await send('/webhooks/voicenter', voicenter(layer))
      const voicenterRows = await service.decisions('silent-vc', 'voicenter')
      expect(voicenterRows.map((row) => row.rule_name)).toEqual([RULE.ask, RULE.again, RULE.again, RULE.person])
    })

    it('the pound key alone: not a step, and Routee plays on to the no-input path', async () => {
      const first = await inbound('hash-only')
      const outcome = playDialPlan(first, { 'SAY#1': '#' })
      expect(outcome).toMatchObject({ kind: 'post', collectedTones: '' })
      if (outcome.kind !== 'post') return
      // Not a dial plan: Routee keeps the plan it runs, whose PAUSE and no-input path answer "nothing typed".
      expect(await send(pathOf(outcome.eventUrl), { messageId: 'm', conversationTrackingId: 'hash-only', collectedTones: '' })).toEqual({})
      expect((await log('hash-only')).map(step)).toEqual([
        ['1', 1, '', RULE.ask, 'collect'],
        [null, null, null, null, 'status:NoInput'],
      ])
    })

    it('status callbacks as Routee documents their fields (numbers as text too) are statuses, never a new call', async () => {
      await inbound('statuses')
      for (const [name, duration] of [
        ['Ringing', ''],
        ['InProgress', 'null'],
        ['No Answer', '0'],
      ] as const) {
        const body = {
          messageId: 'm',
          conversationTrackingId: 'statuses',
          to: DID,
          from: STRANGER,
          status: { name, updatedDate: '2026-11-23T08:01:00.000Z' },
          direction: 'Inbound',
          originatingService: 'Voice',
          respectQuietHours: 'false',
          duration,
          price: '0.00',
        }
        expect(await send('/webhooks/routee', body)).toEqual({})
      }
      const rows = await log('statuses')
      expect(rows.map((row) => [row.action, row.action?.startsWith('status:') ? row.duration_ms : 'routed'])).toEqual([
        ['collect', 'routed'],
        ['status:Ringing', null],
        ['status:InProgress', null],
        ['status:No Answer', 0],
      ])
    })

    it('a JSON body sent with a form content type is read as the JSON it is', async () => {
      const form = 'application/x-www-form-urlencoded'
      const first = await inbound('as-form', '972501234567', form)
      expect(playDialPlan(first)).toEqual(dialTo('+972541000101', ['Hello Dana Levi, connecting you to John Doe.']))
      const asked = await inbound('as-form-2', STRANGER, form)
      const outcome = playDialPlan(asked, { 'SAY#1': '1234#' })
      if (outcome.kind !== 'post') throw new Error('nothing posted')
      const body = {
        from: STRANGER,
        to: DID,
        messageId: 'm=1&x=2',
        conversationTrackingId: 'as-form-2',
        collectedTones: outcome.collectedTones,
      }
      expect(playDialPlan(await planFor(pathOf(outcome.eventUrl), JSON.stringify(body), form))).toMatchObject({ to: '+972541000102' })
    })

    it('a caller number without its plus, as Routee writes numbers, is the caller the CRM knows', async () => {
      // Dana Levi (+972501234567, VIP) calling a Greek number: not +30972501234567.
      expect(playDialPlan(await inbound('no-plus', '972501234567'))).toEqual(
        dialTo('+972541000101', ['Hello Dana Levi, connecting you to John Doe.']),
      )
    })

    it('default configuration: the fallback DIAL goes out from the number called, and never says "connecting" without one', async () => {
      const first = await inbound('forged')
      const url = new URL(first.find((verb) => verb.type === 'COLLECT')?.eventUrl ?? '')
      const forged = `${url.pathname}?state=not-a-token`
      // Routee's field posts name the number called: the fallback dials from it.
      const withNumbers = await planFor(forged, {
        from: STRANGER,
        to: DID,
        messageId: 'm',
        conversationTrackingId: 'forged',
        collectedTones: '1234',
      })
      expect(playDialPlan(withNumbers)).toEqual(dialTo(RECEPTION, ['Connecting you to our team.']))
      // The documented post names none: no DIAL can go out, so the caller is not told "connecting you".
      const without = await planFor(forged, { messageId: 'm', conversationTrackingId: 'forged', collectedTones: '1234' })
      expect(playDialPlan(without)).toEqual({ kind: 'hangup', heard: [SORRY] })
      const rows = await log('forged')
      expect(rows.map((row) => [row.rule_name, row.action])).toEqual([
        [RULE.ask, 'collect'],
        ['fallback: Everything else: operators', 'dial'],
        [null, 'provider_default'],
      ])
      expect(rows[2]?.reason).toContain('no DIAL `from`')
    })

    describe('the shared corpus, each request as Routee sent it', () => {
      interface CorpusFile {
        body: { messageId: string; conversationTrackingId: string; from?: string; to?: string; collectedTones?: string }
        kind: string
      }
      /** Routee posts a collect's tones to the eventUrl our answer to that call handed out. */
      const eventUrlFor = async (callId: string, from = STRANGER, to = DID) => {
        const verbs = await planFor('/webhooks/routee', { messageId: `m-${callId}`, conversationTrackingId: callId, from, to })
        return pathOf(verbs.find((verb) => verb.type === 'COLLECT')?.eventUrl)
      }

      it('the dial-plan URL request of an inbound call is routed: asked for the account number', async () => {
        const { body } = inboundFixture as CorpusFile
        const verbs = await planFor('/webhooks/routee', body)
        expect(playDialPlan(verbs).heard[0]).toBe(PROMPT)
        expect((await log(body.conversationTrackingId)).map(step)).toEqual([['1', 1, '', RULE.ask, 'collect']])
      })

      it.each([
        ['buildingidgr-collect-1', collectOne, '1'],
        ['buildingidgr-collect-9', collectNine, '9'],
      ])('%s is routed at the step its eventUrl names: a wrong account number, asked again', async (_, file, dtmf) => {
        const { body } = file as CorpusFile
        const path = await eventUrlFor(body.conversationTrackingId, body.from, body.to)
        expect(playDialPlan(await planFor(path, body)).heard[0]).toBe(NOT_FOUND)
        const rows = await log(body.conversationTrackingId)
        expect(rows.map(step).slice(-1)).toEqual([['5', 1, dtmf, RULE.again, 'collect']])
      })

      it("Routee's PIN tutorial post is routed: the account is found", async () => {
        const { body } = tutorialCollect as CorpusFile
        const path = await eventUrlFor(body.conversationTrackingId)
        expect(playDialPlan(await planFor(path, body))).toMatchObject({ kind: 'dial', to: '+972541000102' })
        expect((await log(body.conversationTrackingId)).map(step).slice(-1)).toEqual([['5', 1, '1234', RULE.balance, 'dial']])
      })

      it('the empty post after hang-up is recorded as a status notice, not routed', async () => {
        const { body } = collectEmptyAfterHangup as CorpusFile
        const path = await eventUrlFor(body.conversationTrackingId, body.from, body.to)
        expect(await send(path, body)).toEqual({})
        // Also where it carries no state (the source's own eventUrl had none).
        expect(await send('/webhooks/routee', body)).toEqual({})
        expect((await log(body.conversationTrackingId)).map(step)).toEqual([
          ['1', 1, '', RULE.ask, 'collect'],
          [null, null, null, null, 'status:NoInput'],
          [null, null, null, null, 'status:NoInput'],
        ])
      })

      it('a status callback is recorded as one', async () => {
        const { body } = assembledStatus as unknown as { body: { conversationTrackingId: string } }
        expect(await send('/webhooks/routee', body)).toEqual({})
        // The tutorial's conversation: its statuses only.
        const rows = (await log(body.conversationTrackingId)).filter((row) => row.action?.startsWith('status:'))
        expect(rows.map((row) => [row.action, row.duration_ms])).toEqual([['status:Completed', 42_000]])
      })
    })
  })
}
