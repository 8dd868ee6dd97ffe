import { describe, expect, it } from 'vitest'
import type { RuleRow } from '../../src/db/schema.ts'
import type { CallEvent, Decision, LookupKey, LookupResult, RenderCheck } from '../../src/model/call-event.ts'
import type { Contact } from '../../src/model/contact.ts'
import type { CompiledFallback, CompiledRule } from '../../src/rules/compile-rule.ts'
import {
  type DecisionDefaults,
  type EvaluationInput,
  evaluate,
  fallbackFor,
  plannedLookups,
  type RuleSnapshot,
} from '../../src/rules/engine.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { fallback, rule } from './rows.ts'

const MONDAY_NOON = new Date('2026-11-23T12:00:00Z')
const SATURDAY_NOON = new Date('2026-11-21T12:00:00Z')

const OTHER_PROVIDER = 'routee' as unknown as CallEvent['provider']

const DECISION_DEFAULTS: DecisionDefaults = { language: 'EN', maxCallDuration: 3600, maxDialDuration: 45, record: false }
const accept: RenderCheck = () => undefined

const event = sampleCall

const DANA: Contact = {
  id: 'c-1',
  source: 'local',
  name: 'Dana Levi',
  company: 'Acme',
  owner: { name: 'Ron', email: 'ron@example.com', extension: '101', phone: '+972 (50) 111-1111', layer: '7' },
  segment: 'VIP',
  tags: ['vip', 'gold'],
  fields: { balance: '250', plan: 'pro', empty: '' },
}

const contact = (overrides: Partial<Contact> = {}): Contact => ({ ...DANA, ...overrides })

const lookup = (outcome: LookupResult['outcome'], found?: Contact, key: LookupKey = 'caller'): LookupResult => ({
  key,
  outcome,
  contact: found,
  plugins: [],
  ms: 1,
})
const found = (who: Contact = DANA, key: LookupKey = 'caller') => lookup('found', who, key)

const snapshot = (rules: CompiledRule[], fallbacks: CompiledFallback[] = []): RuleSnapshot => ({
  revision: 1,
  rules,
  fallbacks,
  invalid: [],
})

const input = (overrides: Partial<EvaluationInput> = {}): EvaluationInput => ({
  event: event(),
  at: MONDAY_NOON,
  attempt: 1,
  lookups: {},
  ...overrides,
})

const run = (rules: CompiledRule[], over: Partial<EvaluationInput> = {}, fallbacks: CompiledFallback[] = [], check = accept) =>
  evaluate(snapshot(rules, fallbacks), input(over), DECISION_DEFAULTS, check)

/** Rule 1 carries the conditions under test; rule 2 answers any call that rule 1 lets through. */
const firstOrCatchAll = (conditions: Partial<RuleRow>) => [
  rule({ id: 1, name: 'first', priority: 10, toLayer: '1', ...conditions }),
  rule({ id: 2, name: 'catch-all', priority: 20, toLayer: '2', identifyBy: 'none' }),
]

const layerOf = (decision: Decision) => (decision.action === 'go_to_layer' ? decision.layer : decision.action)

describe('evaluate', () => {
  describe('rule conditions', () => {
    it.each<[string, Partial<RuleRow>, Partial<EvaluationInput>, string | undefined]>([
      ['provider matches', { provider: 'voicenter' }, {}, undefined],
      ['provider matches in any case', { provider: 'VoiceCenter, Voicenter' }, {}, undefined],
      ['provider differs', { provider: 'routee' }, {}, 'provider is voicenter'],
      ['did matches raw', { did: '0722776772' }, {}, undefined],
      ['did matches E.164', { did: '+972722776772' }, {}, undefined],
      ['did matches an Asterisk pattern', { did: '_07[2-3]X.' }, {}, undefined],
      ['did differs', { did: '0733333333' }, {}, 'did is 0722776772'],
      ['did E.164 missing', { did: '+972*' }, { event: event({ didE164: undefined }) }, 'did is 0722776772'],
      ['caller matches raw', { caller: '0501234567' }, {}, undefined],
      ['caller matches E.164', { caller: '+97250*' }, {}, undefined],
      ['caller matches a list', { caller: '0509999999, +972501234567' }, {}, undefined],
      ['caller differs', { caller: '+97252*' }, {}, 'caller is 0501234567'],
      ['caller withheld matches none', { caller: 'none' }, { event: event({ callerRaw: '', caller: undefined }) }, undefined],
      [
        'caller withheld does not match any',
        { caller: 'any' },
        { event: event({ callerRaw: '', caller: undefined }) },
        'caller is withheld',
      ],
      ['caller present does not match none', { caller: 'none' }, {}, 'caller is 0501234567'],
      ['from_layer matches', { fromLayer: '5' }, {}, undefined],
      ['from_layer matches a list', { fromLayer: '3, 5' }, {}, undefined],
      ['from_layer differs', { fromLayer: '6' }, {}, 'layer is 5'],
      ['no layer matches none', { fromLayer: 'none' }, { event: event({ layer: undefined }) }, undefined],
      ['no layer does not match any', { fromLayer: 'any' }, { event: event({ layer: undefined }) }, 'layer is none'],
      ['dtmf matches', { dtmf: '1' }, { event: event({ dtmf: '1' }) }, undefined],
      ['dtmf matches a regex', { dtmf: '/^\\d{4}$/' }, { event: event({ dtmf: '1234' }) }, undefined],
      ['dtmf differs', { dtmf: '1' }, { event: event({ dtmf: '12' }) }, 'dtmf is 12'],
      ['nothing typed matches none', { dtmf: 'none' }, {}, undefined],
      ['nothing typed does not match any', { dtmf: 'any' }, {}, 'dtmf is none'],
      ['attempt below the limit', { attempt: '<3' }, { attempt: 2 }, undefined],
      ['attempt at the limit', { attempt: '<3' }, { attempt: 3 }, 'attempt is 3'],
      ['attempt from the limit', { attempt: '>=3' }, { attempt: 3 }, undefined],
      ['weekday inside mon-fri', { days: 'mon-fri' }, {}, undefined],
      ['Saturday outside mon-fri', { days: 'mon-fri' }, { at: SATURDAY_NOON }, 'outside the time window'],
      [
        'inside hours in the rule zone',
        { timeFrom: '09:00', timeTo: '17:00', timeZone: 'Asia/Jerusalem' },
        { at: new Date('2026-11-23T07:30:00Z') },
        undefined,
      ],
      [
        'outside hours in the rule zone',
        { timeFrom: '09:00', timeTo: '17:00', timeZone: 'Asia/Jerusalem' },
        { at: new Date('2026-11-23T15:30:00Z') },
        'outside the time window',
      ],
      ['lookup found', { lookup: 'found' }, { lookups: { caller: found() } }, undefined],
      [
        'lookup not found where found is needed',
        { lookup: 'found' },
        { lookups: { caller: lookup('not_found') } },
        'lookup by caller is not_found',
      ],
      ['lookup not found', { lookup: 'not_found' }, { lookups: { caller: lookup('not_found') } }, undefined],
      ['lookup error', { lookup: 'error' }, { lookups: { caller: lookup('error') } }, undefined],
      ['lookup error where found is needed', { lookup: 'found' }, { lookups: { caller: lookup('error') } }, 'lookup by caller is error'],
      ['no lookup counts as an error', { lookup: 'error' }, {}, undefined],
      ['no lookup where found is needed', { lookup: 'found' }, {}, 'lookup by caller is error'],
      ['lookup found or not found', { lookup: 'found, not found' }, { lookups: { caller: lookup('not_found') } }, undefined],
      ['pin lookup found', { identifyBy: 'pin', lookup: 'found' }, { lookups: { pin: found(DANA, 'pin') } }, undefined],
      ['pin lookup missing', { identifyBy: 'pin', lookup: 'found' }, { lookups: { caller: found() } }, 'lookup by pin is error'],
      ['no lookup condition', { identifyBy: 'caller' }, {}, undefined],
      ['identify_by none', { identifyBy: 'none' }, { lookups: { caller: lookup('error') } }, undefined],
      ['contact matches', { contactMatch: 'segment = VIP' }, { lookups: { caller: found() } }, undefined],
      [
        'contact does not match',
        { contactMatch: 'segment = VIP; owner.extension' },
        { lookups: { caller: found(contact({ segment: 'Gold' })) } },
        'contact_match: segment = VIP',
      ],
      [
        'contact_match without a contact',
        { contactMatch: 'segment = VIP' },
        { lookups: { caller: lookup('not_found') } },
        'no contact for contact_match',
      ],
      [
        'contact_match reads the pin contact',
        { identifyBy: 'pin', contactMatch: 'segment = VIP' },
        { lookups: { pin: found(DANA, 'pin') } },
        undefined,
      ],
      [
        'contact_match ignores the other lookup',
        { identifyBy: 'pin', contactMatch: 'segment = VIP' },
        { lookups: { caller: found(), pin: lookup('not_found', undefined, 'pin') } },
        'no contact for contact_match',
      ],
    ])('%s', (_, conditions, over, reason) => {
      const result = run(firstOrCatchAll(conditions), over)
      if (reason === undefined) {
        expect(result.rule).toEqual({ id: 1, name: 'first' })
        expect(layerOf(result.decision)).toBe('1')
        expect(result.trace).toEqual([{ ruleId: 1, name: 'first', matched: true }])
      } else {
        expect(result.rule).toEqual({ id: 2, name: 'catch-all' })
        expect(layerOf(result.decision)).toBe('2')
        expect(result.trace).toEqual([
          { ruleId: 1, name: 'first', matched: false, reason },
          { ruleId: 2, name: 'catch-all', matched: true },
        ])
      }
    })

    it('keeps no trace for a live call, and decides the same', () => {
      const rules = firstOrCatchAll({ dtmf: '2' })
      const traced = run(rules)
      const live = evaluate(snapshot(rules, []), input(), DECISION_DEFAULTS, accept, { traced: false })
      expect(traced.trace).toHaveLength(2)
      expect(live.trace).toEqual([])
      expect({ ...live, trace: undefined }).toEqual({ ...traced, trace: undefined })
    })

    it('needs every condition of a rule to hold', () => {
      const rules = firstOrCatchAll({ provider: 'voicenter', did: '0722776772', fromLayer: '5', dtmf: '2', lookup: 'found' })
      expect(run(rules, { event: event({ dtmf: '2' }), lookups: { caller: found() } }).rule?.id).toBe(1)
      expect(run(rules, { event: event({ dtmf: '2' }), lookups: { caller: lookup('not_found') } }).rule?.id).toBe(2)
      expect(run(rules, { event: event({ dtmf: '3' }), lookups: { caller: found() } }).rule?.id).toBe(2)
    })
  })

  describe('order', () => {
    it('answers with the first matching rule and stops there', () => {
      const rules = [
        rule({ id: 5, name: 'vip', priority: 10, contactMatch: 'segment = VIP', toLayer: 'vip' }),
        rule({ id: 3, name: 'known', priority: 20, lookup: 'found', toLayer: 'known' }),
        rule({ id: 1, name: 'anyone', priority: 30, identifyBy: 'none', toLayer: 'anyone' }),
      ]
      const vip = run(rules, { lookups: { caller: found() } })
      expect(vip.rule).toEqual({ id: 5, name: 'vip' })
      expect(vip.trace).toEqual([{ ruleId: 5, name: 'vip', matched: true }])

      const known = run(rules, { lookups: { caller: found(contact({ segment: 'Gold' })) } })
      expect(known.rule).toEqual({ id: 3, name: 'known' })
      expect(layerOf(known.decision)).toBe('known')
      expect(known.trace.map((entry) => entry.matched)).toEqual([false, true])

      const stranger = run(rules, { lookups: { caller: lookup('not_found') } })
      expect(stranger.rule).toEqual({ id: 1, name: 'anyone' })
      expect(stranger.trace).toEqual([
        { ruleId: 5, name: 'vip', matched: false, reason: 'no contact for contact_match' },
        { ruleId: 3, name: 'known', matched: false, reason: 'lookup by caller is not_found' },
        { ruleId: 1, name: 'anyone', matched: true },
      ])
    })

    it('names the lookup the deciding rule identified the caller with', () => {
      const byPin = rule({ id: 1, identifyBy: 'pin', lookup: 'found' })
      const byCaller = rule({ id: 2, identifyBy: 'caller' })
      const anyone = rule({ id: 3, identifyBy: 'none' })
      expect(run([byPin, byCaller], { lookups: { pin: found(DANA, 'pin') } }).lookupKey).toBe('pin')
      expect(run([byPin, byCaller], {}).lookupKey).toBe('caller')
      expect(run([anyone], { lookups: { caller: found() } }).lookupKey).toBeUndefined()
    })
  })

  describe('decisions', () => {
    it('dials the owner extension', () => {
      const rules = [
        rule({
          id: 1,
          name: 'owner',
          action: 'dial',
          dial: 'extension:{{owner.extension}}',
          toLayer: null,
          options: '{"screen_pop": false}',
        }),
      ]
      const result = run(rules, { lookups: { caller: found() } })
      expect(result.decision).toEqual({
        action: 'dial',
        targets: [{ type: 'extension', value: '101' }],
        announce: [],
        language: 'EN',
        maxCallDuration: 3600,
        maxDialDuration: 45,
        record: false,
        customData: {},
      })
      expect(result.reason).toBeUndefined()
      expect(result.fallback).toBeUndefined()
    })

    it('cleans phone numbers and fills the dial options', () => {
      const options = JSON.stringify({
        caller_id: '{{call.did}}',
        caller_name: 'VIP {{name}}',
        max_call_duration: 600,
        max_dial_duration: 20,
        record: true,
        failed_layer: '{{fields.missing | 30}}',
        screen_pop: false,
      })
      const rules = [rule({ action: 'dial', dial: 'phone:{{owner.phone}}, ext: 1 0 2', toLayer: '9', options })]
      expect(run(rules, { lookups: { caller: found() } }).decision).toEqual({
        action: 'dial',
        targets: [
          { type: 'phone', value: '+972501111111' },
          { type: 'extension', value: '102' },
        ],
        announce: [],
        language: 'EN',
        callerId: '0722776772',
        callerName: 'VIP Dana Levi',
        maxCallDuration: 600,
        maxDialDuration: 20,
        failedLayer: '30',
        record: true,
        customData: {},
      })
    })

    it('falls back to to_layer when a dial has no failed_layer', () => {
      const rules = [rule({ action: 'dial', dial: 'extension:100', toLayer: '9', options: '{"screen_pop": false}' })]
      const decision = run(rules).decision
      expect(decision.action === 'dial' && decision.failedLayer).toBe('9')
    })

    it('leaves out an optional value that does not render', () => {
      const rules = [
        rule({ action: 'dial', dial: 'extension:100', options: '{"caller_name": "{{name}}", "caller_id": "{{owner.phone}}"}' }),
      ]
      const decision = run(rules).decision
      expect(decision.action).toBe('dial')
      if (decision.action !== 'dial') return
      expect(decision.callerName).toBeUndefined()
      expect(decision.callerId).toBeUndefined()
      expect(decision.targets).toEqual([{ type: 'extension', value: '100' }])
    })

    it('says the balance and moves on', () => {
      const rules = [
        rule({ action: 'say', say: 'number:{{fields.balance}}', toLayer: '20', options: '{"failed_layer": "21", "screen_pop": false}' }),
      ]
      expect(run(rules, { lookups: { caller: found() } }).decision).toEqual({
        action: 'say',
        items: [{ type: 'number', value: '250' }],
        nextLayer: '20',
        failedLayer: '21',
        language: 'EN',
        customData: {},
      })
    })

    it('says in the rule language', () => {
      const rules = [
        rule({ action: 'SAY_DIGITS', say: 'digits:{{call.caller}}', toLayer: '20', language: 'HE', options: '{"screen_pop": false}' }),
      ]
      expect(run(rules).decision).toEqual({
        action: 'say',
        items: [{ type: 'digits', value: '972501234567' }],
        nextLayer: '20',
        language: 'HE',
        customData: {},
      })
    })

    it('goes to the owner layer with a caller name', () => {
      const rules = [rule({ toLayer: '{{owner.layer}}', options: '{"caller_name": "{{name}} ({{segment}})", "screen_pop": false}' })]
      expect(run(rules, { lookups: { caller: found() } }).decision).toEqual({
        action: 'go_to_layer',
        layer: '7',
        callerName: 'Dana Levi (VIP)',
        customData: {},
      })
    })

    it('answers provider_default as it is', () => {
      const result = run([rule({ action: 'provider_default', toLayer: null })], { lookups: { caller: found() } })
      expect(result.decision).toEqual({ action: 'provider_default' })
      expect(result.rule?.id).toBe(1)
    })
  })

  describe('rules that cannot answer', () => {
    it.each<[string, Partial<RuleRow>, string]>([
      ['a dial target', { action: 'dial', dial: 'extension:{{owner.extension}}', toLayer: null }, 'dial: {{owner.extension}} has no value'],
      ['a layer', { toLayer: '{{owner.layer}}' }, 'to_layer: {{owner.layer}} has no value'],
      ['a say item', { action: 'say', say: 'number:{{fields.balance}}' }, 'say: {{fields.balance}} has no value'],
      [
        'a say next layer',
        { action: 'say', say: 'number:5', toLayer: 'layer-{{call.custom.next}}' },
        'to_layer: {{call.custom.next}} has no value',
      ],
    ])('skips a rule when %s has no value', (_, columns, reason) => {
      const result = run(firstOrCatchAll(columns), { lookups: { caller: found(contact({ owner: undefined, fields: {} })) } })
      expect(result.rule).toEqual({ id: 2, name: 'catch-all' })
      expect(result.trace).toEqual([
        { ruleId: 1, name: 'first', matched: false, reason },
        { ruleId: 2, name: 'catch-all', matched: true },
      ])
    })

    it('renders a template default instead of skipping', () => {
      const rules = firstOrCatchAll({ action: 'say', say: 'number:{{fields.balance | 0}}', toLayer: '1' })
      const result = run(rules, { lookups: { caller: lookup('not_found') } })
      expect(result.rule?.id).toBe(1)
      expect(result.decision.action === 'say' && result.decision.items).toEqual([{ type: 'number', value: '0' }])
    })

    it('skips a rule whose identify_by none hides the contact from its template', () => {
      const rules = firstOrCatchAll({ identifyBy: 'none', toLayer: '{{owner.layer}}' })
      const result = run(rules, { lookups: { caller: found() } })
      expect(result.trace[0]).toEqual({ ruleId: 1, name: 'first', matched: false, reason: 'to_layer: {{owner.layer}} has no value' })
      expect(result.rule?.id).toBe(2)
    })

    it('lets the next rule answer when the provider refuses a decision', () => {
      const refuseSay: RenderCheck = (decision) => (decision.action === 'say' ? 'cannot say number' : undefined)
      const rules = firstOrCatchAll({ action: 'say', say: 'number:5', toLayer: '1' })
      const result = run(rules, {}, [], refuseSay)
      expect(result.rule).toEqual({ id: 2, name: 'catch-all' })
      expect(result.trace).toEqual([
        { ruleId: 1, name: 'first', matched: false, reason: 'cannot say number' },
        { ruleId: 2, name: 'catch-all', matched: true },
      ])
    })

    it('shows the provider the rendered decision', () => {
      const seen: Decision[] = []
      const rules = [rule({ toLayer: '{{owner.layer}}', options: '{"screen_pop": false}' })]
      run(rules, { lookups: { caller: found() } }, [], (decision) => {
        seen.push(decision)
        return undefined
      })
      expect(seen).toEqual([{ action: 'go_to_layer', layer: '7', customData: {} }])
    })
  })

  describe('say items', () => {
    it.each([
      ['digits', '+972 50 123 4567', '972501234567'],
      ['digits', '(050) 123-4567', '0501234567'],
      ['digits', '1234', '1234'],
      ['number', '250', '250'],
      ['number', ' 42 ', '42'],
      ['number', '-12.5', '-12.5'],
      ['number', '0', '0'],
      ['date', '2026-03-05', '2026-03-05'],
      ['date', '2026-03-05T10:00:00Z', '2026-03-05'],
      ['date', '2026-03-05 10:00', '2026-03-05'],
      ['datetime', '2026-03-05T10:00', '2026-03-05T10:00:00'],
      ['datetime', '2026-03-05 10:00:30', '2026-03-05T10:00:30'],
      ['datetime', '2026-03-05T10:00:30.123Z', '2026-03-05T10:00:30'],
      ['datetime', '2026-03-05T10:00:30+02:00', '2026-03-05T10:00:30'],
      ['text', '  hello there ', 'hello there'],
      ['recording', 'welcome.wav', 'welcome.wav'],
    ])('%s of %j → %j', (type, raw, value) => {
      const rules = firstOrCatchAll({ action: 'say', say: `${type}:{{fields.value}}`, toLayer: '1' })
      const result = run(rules, { lookups: { caller: found(contact({ fields: { value: raw } })) } })
      expect(result.rule?.id).toBe(1)
      expect(result.decision.action === 'say' && result.decision.items).toEqual([{ type, value }])
    })

    it.each([
      ['digits', 'abc', 'say: digits "abc" are not digits'],
      ['digits', '050-12x', 'say: digits "050-12x" are not digits'],
      ['digits', '+', 'say: digits "+" are not digits'],
      ['number', '1,000', 'say: "1,000" is not a number'],
      ['number', 'lots', 'say: "lots" is not a number'],
      ['number', '12.', 'say: "12." is not a number'],
      ['date', '05/03/2026', 'say: "05/03/2026" is not a date (YYYY-MM-DD)'],
      ['date', '2026-13-45', 'say: "2026-13-45" is not a date (YYYY-MM-DD)'],
      ['date', '2026-03-05x', 'say: "2026-03-05x" is not a date (YYYY-MM-DD)'],
      ['datetime', '2026-03-05', 'say: "2026-03-05" is not a date and time (YYYY-MM-DDTHH:MM:SS)'],
      ['datetime', 'tomorrow 10:00', 'say: "tomorrow 10:00" is not a date and time (YYYY-MM-DDTHH:MM:SS)'],
      ['text', '   ', 'say: text is empty'],
      ['recording', '  ', 'say: recording is empty'],
    ])('skips %s of %j', (type, raw, reason) => {
      const rules = firstOrCatchAll({ action: 'say', say: `${type}:{{fields.value}}`, toLayer: '1' })
      const result = run(rules, { lookups: { caller: found(contact({ fields: { value: raw } })) } })
      expect(result.rule?.id).toBe(2)
      expect(result.trace[0]).toEqual({ ruleId: 1, name: 'first', matched: false, reason })
    })

    it('says several items in order', () => {
      const rules = [
        rule({
          action: 'say',
          say: 'recording:balance_is, number:{{fields.balance}}, text:NIS',
          toLayer: '1',
          options: '{"screen_pop": false}',
        }),
      ]
      const decision = run(rules, { lookups: { caller: found() } }).decision
      expect(decision.action === 'say' && decision.items).toEqual([
        { type: 'recording', value: 'balance_is' },
        { type: 'number', value: '250' },
        { type: 'text', value: 'NIS' },
      ])
    })
  })

  describe('voicemail', () => {
    it('says the prompt and takes a message of at most max_message_seconds, two minutes by default', () => {
      const prompt = 'text:Sorry {{name}}, nobody is free. Please leave a message.'
      const decision = run([rule({ action: 'voicemail', toLayer: null, say: prompt, options: '{"max_message_seconds": 45}' })], {
        lookups: { caller: found() },
      }).decision
      expect(decision).toEqual({
        action: 'voicemail',
        prompt: [{ type: 'text', value: 'Sorry Dana Levi, nobody is free. Please leave a message.' }],
        language: 'EN',
        maxSeconds: 45,
        customData: expect.objectContaining({ CRM_ID: 'c-1', NAME: 'Dana Levi' }),
      })
      const plain = run([rule({ action: 'voicemail', toLayer: null, identifyBy: 'none' })]).decision
      expect(plain).toEqual({ action: 'voicemail', prompt: [], language: 'EN', maxSeconds: 120, customData: {} })
    })
  })

  describe('sms (seed 002, action 5)', () => {
    it('fills in the text for the caller on hangup, voicemail and dial; empty or missing values send none', () => {
      const sms = '{"sms": "Hi {{name}}, your balance is {{fields.balance}}"}'
      const lookups = { caller: found() }
      const text = 'Hi Dana Levi, your balance is 250'
      expect(run([rule({ action: 'hangup', toLayer: null, options: sms })], { lookups }).decision).toEqual({
        action: 'hangup',
        items: [],
        language: 'EN',
        sms: text,
      })
      expect(run([rule({ action: 'voicemail', toLayer: null, options: sms })], { lookups }).decision).toMatchObject({ sms: text })
      expect(run([rule({ action: 'dial', dial: 'extension:100', options: sms })], { lookups }).decision).toMatchObject({ sms: text })
      // A value the call lacks, or a text that comes out blank: the call is routed, with no SMS.
      const missing = run([rule({ action: 'hangup', toLayer: null, identifyBy: 'none', options: sms })]).decision
      expect(missing).toEqual({ action: 'hangup', items: [], language: 'EN' })
      const blank = run([rule({ action: 'hangup', toLayer: null, options: '{"sms": " {{fields.empty}} "}' })], { lookups }).decision
      expect(blank).not.toHaveProperty('sms')
    })
  })

  describe('screen pop', () => {
    const customData = (columns: Partial<RuleRow>, lookups: EvaluationInput['lookups']) => {
      const decision = run([rule(columns)], { lookups }).decision
      if (decision.action === 'provider_default' || decision.action === 'hangup') throw new Error('expected custom data')
      return decision.customData
    }

    it('sends the standard fields and the free fields of a known caller', () => {
      expect(customData({}, { caller: found() })).toEqual({
        CRM_ID: 'c-1',
        CRM_SOURCE: 'local',
        NAME: 'Dana Levi',
        COMPANY: 'Acme',
        SEGMENT: 'VIP',
        TAGS: 'vip,gold',
        OWNER: 'Ron',
        OWNER_EMAIL: 'ron@example.com',
        balance: '250',
        plan: 'pro',
      })
    })

    it('leaves out what the contact does not have', () => {
      const bare = contact({ company: undefined, segment: '', tags: [], owner: undefined, fields: {} })
      expect(customData({}, { caller: found(bare) })).toEqual({ CRM_ID: 'c-1', CRM_SOURCE: 'local', NAME: 'Dana Levi' })
    })

    it('sends it with every kind of decision', () => {
      const expected = { CRM_ID: 'c-1', NAME: 'Dana Levi' }
      const small = contact({ company: undefined, segment: undefined, tags: [], owner: undefined, fields: {}, source: '' })
      expect(customData({ action: 'dial', dial: 'extension:100' }, { caller: found(small) })).toEqual(expected)
      expect(customData({ action: 'say', say: 'number:1' }, { caller: found(small) })).toEqual(expected)
      expect(customData({ action: 'go_to_layer' }, { caller: found(small) })).toEqual(expected)
      expect(customData({ action: 'voicemail' }, { caller: found(small) })).toEqual(expected)
    })

    it('is empty for an unknown caller', () => {
      expect(customData({}, { caller: lookup('not_found') })).toEqual({})
      expect(customData({}, {})).toEqual({})
    })

    it('is empty when the rule identifies nobody', () => {
      expect(customData({ identifyBy: 'none' }, { caller: found() })).toEqual({})
    })

    it('uses the contact the rule identified', () => {
      const byPin = customData({ identifyBy: 'pin' }, { caller: found(), pin: found(contact({ id: 'c-2', name: 'Pin Person' }), 'pin') })
      expect([byPin.CRM_ID, byPin.NAME]).toEqual(['c-2', 'Pin Person'])
    })

    it('cuts values to 128 characters', () => {
      const long = contact({ name: 'N'.repeat(200), fields: { note: 'x'.repeat(129), short: 'y'.repeat(128) } })
      const data = customData({}, { caller: found(long) })
      expect(data.NAME).toBe('N'.repeat(128))
      expect(data.note).toBe('x'.repeat(128))
      expect(data.short).toBe('y'.repeat(128))
    })

    it('is disabled by screen_pop false', () => {
      expect(customData({ options: '{"screen_pop": false}' }, { caller: found() })).toEqual({})
    })

    it('sends only the rule custom_data when it has some', () => {
      const options = JSON.stringify({
        custom_data: {
          ID: '{{id}}',
          BALANCE: '{{fields.balance}}',
          GONE: '{{fields.missing}}',
          LONG: '{{fields.long}}',
          FIXED: 'ivr',
          LEVEL: 3,
        },
      })
      const long = contact({ fields: { balance: '250', long: 'z'.repeat(300) } })
      expect(customData({ options }, { caller: found(long) })).toEqual({
        ID: 'c-1',
        BALANCE: '250',
        LONG: 'z'.repeat(128),
        FIXED: 'ivr',
        LEVEL: '3',
      })
    })

    it('sends custom_data even without a contact or a screen pop', () => {
      const options = '{"custom_data": {"SOURCE": "ivr", "CALLER": "{{call.caller}}", "NAME": "{{name}}"}, "screen_pop": false}'
      expect(customData({ options }, {})).toEqual({ SOURCE: 'ivr', CALLER: '+972501234567' })
    })
  })

  describe('fallbacks', () => {
    const layered = [
      fallback({ id: 1, name: 'global', toLayer: 'global' }),
      fallback({ id: 2, name: 'provider', provider: 'voicenter', toLayer: 'provider' }),
      fallback({ id: 3, name: 'did', did: '0722776772', toLayer: 'did' }),
      fallback({ id: 4, name: 'layer', fromLayer: '5', toLayer: 'layer' }),
    ]

    it.each<[string, Partial<CallEvent>, string]>([
      ['layer beats DID', {}, 'layer'],
      ['DID beats provider', { layer: '6' }, 'did'],
      ['provider beats global', { layer: '6', did: '0733333333', didE164: '+972733333333' }, 'provider'],
      ['global answers the rest', { layer: '6', did: '0733333333', didE164: undefined, provider: OTHER_PROVIDER }, 'global'],
    ])('%s', (_, change, layer) => {
      const result = run([], { event: event(change) }, layered)
      expect(layerOf(result.decision)).toBe(layer)
      expect(result.fallback?.name).toBe(layer)
      expect(result.reason).toBe('no rule matched')
      expect(result.rule).toBeUndefined()
    })

    it('prefers the most specific combination, then the lower id', () => {
      const fallbacks = [
        fallback({ id: 9, name: 'layer', fromLayer: '5', toLayer: 'layer' }),
        fallback({ id: 8, name: 'did+provider', did: '0722776772', provider: 'voicenter', toLayer: 'did+provider' }),
        fallback({ id: 7, name: 'layer+provider', fromLayer: '5', provider: 'voicenter', toLayer: 'layer+provider' }),
        fallback({ id: 6, name: 'layer+provider again', fromLayer: 'any', provider: 'voicenter', toLayer: 'again' }),
      ]
      expect(run([], {}, fallbacks).fallback).toEqual({ id: 6, name: 'layer+provider again' })
      expect(run([], { event: event({ layer: undefined }) }, fallbacks).fallback).toEqual({ id: 8, name: 'did+provider' })
    })

    it('matches a fallback DID in E.164', () => {
      const fallbacks = [fallback({ id: 1, toLayer: 'global' }), fallback({ id: 2, did: '+972722776772', toLayer: 'did' })]
      expect(layerOf(run([], {}, fallbacks).decision)).toBe('did')
    })

    it('keeps the rule trace when a fallback answers', () => {
      const rules = [rule({ id: 1, name: 'routee only', provider: 'routee' })]
      const result = run(rules, {}, [fallback({ id: 1, name: 'global' })])
      expect(result.trace).toEqual([{ ruleId: 1, name: 'routee only', matched: false, reason: 'provider is voicenter' }])
      expect(result.fallback).toEqual({ id: 1, name: 'global' })
      expect(result.lookupKey).toBeUndefined()
    })

    it('skips a fallback whose template cannot render', () => {
      const fallbacks = [
        fallback({ id: 1, name: 'operator', action: 'dial', dial: 'extension:100', toLayer: null, options: '{"screen_pop": false}' }),
        fallback({ id: 2, name: 'owner layer', fromLayer: '5', toLayer: '{{owner.layer}}' }),
      ]
      const result = run([], { lookups: { caller: lookup('not_found') } }, fallbacks)
      expect(result.fallback).toEqual({ id: 1, name: 'operator' })
      expect(result.decision.action === 'dial' && result.decision.targets).toEqual([{ type: 'extension', value: '100' }])
      expect(result.reason).toBe('no rule matched')
    })

    it('renders fallback templates with the caller contact', () => {
      const fallbacks = [fallback({ id: 2, name: 'owner layer', toLayer: '{{owner.layer}}' })]
      const result = run([], { lookups: { caller: found() } }, fallbacks)
      expect(result.decision).toEqual({
        action: 'go_to_layer',
        layer: '7',
        customData: {
          CRM_ID: 'c-1',
          CRM_SOURCE: 'local',
          NAME: 'Dana Levi',
          COMPANY: 'Acme',
          SEGMENT: 'VIP',
          TAGS: 'vip,gold',
          OWNER: 'Ron',
          OWNER_EMAIL: 'ron@example.com',
          balance: '250',
          plan: 'pro',
        },
      })
    })

    it('skips a fallback the provider refuses', () => {
      const fallbacks = [
        fallback({ id: 1, name: 'global', toLayer: 'global' }),
        fallback({ id: 2, name: 'say', action: 'say', say: 'number:1', fromLayer: '5' }),
      ]
      const refuseSay: RenderCheck = (decision) => (decision.action === 'say' ? 'no say here' : undefined)
      expect(run([], {}, fallbacks, refuseSay).fallback).toEqual({ id: 1, name: 'global' })
    })

    it('answers provider_default when there is no fallback row', () => {
      expect(run([], {}, [fallback({ provider: 'routee' })])).toEqual({
        decision: { action: 'provider_default' },
        reason: 'no rule matched; no fallback row for this call',
        trace: [],
      })
    })

    it('answers provider_default with every refusal when no fallback works', () => {
      const fallbacks = [
        fallback({ id: 1, name: 'global', toLayer: '{{owner.layer}}' }),
        fallback({ id: 2, name: 'layer', fromLayer: '5', action: 'say', say: 'number:{{fields.balance}}' }),
      ]
      const rules = [rule({ id: 4, name: 'pin', identifyBy: 'pin', lookup: 'found' })]
      expect(run(rules, {}, fallbacks)).toEqual({
        decision: { action: 'provider_default' },
        reason: 'no rule matched; fallback 2: say: {{fields.balance}} has no value; fallback 1: to_layer: {{owner.layer}} has no value',
        trace: [{ ruleId: 4, name: 'pin', matched: false, reason: 'lookup by pin is error' }],
      })
    })
  })
})

describe('fallbackFor', () => {
  it('answers with the fallback and the given reason', () => {
    const snap = snapshot([rule()], [fallback({ id: 3, name: 'global', toLayer: 'sorry' })])
    expect(fallbackFor(snap, input(), DECISION_DEFAULTS, accept, 'lookup failed')).toEqual({
      decision: { action: 'go_to_layer', layer: 'sorry', customData: {} },
      fallback: { id: 3, name: 'global' },
      reason: 'lookup failed',
    })
  })

  it('gives the reason and provider_default without fallbacks', () => {
    expect(fallbackFor(snapshot([]), input(), DECISION_DEFAULTS, accept, 'bad request')).toEqual({
      decision: { action: 'provider_default' },
      reason: 'bad request; no fallback row for this call',
    })
  })
})

describe('plannedLookups', () => {
  const planned = (rules: CompiledRule[], change: Partial<CallEvent> = {}, at = MONDAY_NOON, attempt = 1) =>
    plannedLookups(snapshot(rules), event(change), at, attempt)

  const callerRule = rule({ id: 1, identifyBy: 'caller', lookup: 'found' })
  const pinRule = rule({ id: 2, identifyBy: 'pin', fromLayer: '7', lookup: 'found' })
  const openRule = rule({ id: 3, identifyBy: 'none' })

  it.each<[string, CompiledRule[], Partial<CallEvent>, LookupKey[]]>([
    ['no rules', [], {}, []],
    ['a caller rule', [callerRule], {}, ['caller']],
    ['a pin rule on another layer', [callerRule, pinRule], {}, ['caller']],
    ['a pin rule on its layer', [callerRule, pinRule], { layer: '7' }, ['caller', 'pin']],
    ['only the pin rule on its layer', [pinRule], { layer: '7' }, ['pin']],
    ['only rules that identify nobody', [openRule, rule({ id: 4, identifyBy: 'none', did: '0722776772' })], {}, []],
    ['two caller rules', [callerRule, rule({ id: 5, contactMatch: 'segment = VIP' })], {}, ['caller']],
    ['a caller rule for another provider', [rule({ provider: 'routee' })], {}, []],
    ['a caller rule for another DID', [rule({ did: '0733333333' })], {}, []],
    ['a caller rule for this DID in E.164', [rule({ did: '+972722776772' })], {}, ['caller']],
    ['a caller rule for other callers', [rule({ caller: '+97252*' })], {}, []],
    ['a caller rule waiting for digits', [rule({ dtmf: 'any' })], {}, []],
    ['a caller rule with the digits typed', [rule({ dtmf: 'any' })], { dtmf: '4' }, ['caller']],
  ])('%s → %j', (_, rules, change, keys) => {
    expect(planned(rules, change)).toEqual(keys)
  })

  it('leaves out rules outside their time window or attempts', () => {
    const weekdays = rule({ id: 1, days: 'mon-fri' })
    const retries = rule({ id: 2, identifyBy: 'pin', attempt: '>=2' })
    expect(planned([weekdays, retries], {}, MONDAY_NOON, 1)).toEqual(['caller'])
    expect(planned([weekdays, retries], {}, SATURDAY_NOON, 1)).toEqual([])
    expect(planned([weekdays, retries], {}, SATURDAY_NOON, 2)).toEqual(['pin'])
    expect(planned([weekdays, retries], {}, MONDAY_NOON, 2)).toEqual(['caller', 'pin'])
  })

  it('lists keys in rule order', () => {
    expect(planned([rule({ id: 1, identifyBy: 'pin' }), rule({ id: 2, identifyBy: 'caller' })])).toEqual(['pin', 'caller'])
  })
})
