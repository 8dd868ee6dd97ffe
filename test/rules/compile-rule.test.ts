import { describe, expect, it } from 'vitest'
import type { FallbackRow, RuleRow } from '../../src/db/schema.ts'
import { compileFallback, compileRule } from '../../src/rules/compile-rule.ts'
import type { Scope } from '../../src/rules/scope.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { DEFAULTS, fallback, fallbackRow, rule, ruleRow } from './rows.ts'

const call = sampleCall()
const dana = { id: 'c-1', source: 'local', name: 'Dana', owner: { extension: '101' }, tags: [], fields: { balance: '250' } }
const scope: Scope = { call, attempt: 1, contact: dana }

const ACTION_COLUMNS = { toLayer: '10', say: 'number:5', dial: 'extension:101' }

describe('compileRule', () => {
  it('compiles a plain go_to_layer row', () => {
    const compiled = compileRule(ruleRow({ id: 7, name: 'to sales', priority: 20 }), DEFAULTS)
    expect(compiled.ok).toBe(true)
    if (!compiled.ok) return
    const value = compiled.value
    expect([value.id, value.name, value.priority, value.identifyBy]).toEqual([7, 'to sales', 20, 'caller'])
    expect(value.then.action).toBe('go_to_layer')
    expect(value.then.toLayer?.source).toBe('10')
    expect(value.then.say).toEqual([])
    expect(value.then.dial).toEqual([])
    expect(value.then.language).toBeUndefined()
    expect(value.then.options).toEqual({
      callerName: undefined,
      callerId: undefined,
      failedLayer: undefined,
      maxCallDuration: undefined,
      maxDialDuration: undefined,
      record: undefined,
      customData: undefined,
      screenPop: true,
    })
    expect([value.providers, value.did, value.caller, value.fromLayer, value.dtmf]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect([value.lookup, value.contactMatch, value.attempt, value.timeWindow]).toEqual([undefined, undefined, undefined, undefined])
  })

  describe('actions and their aliases', () => {
    it.each([
      ['go_to_layer', 'go_to_layer'],
      ['GO_TO_LAYER', 'go_to_layer'],
      ['Go_To_Layer', 'go_to_layer'],
      ['goto', 'go_to_layer'],
      ['Layer', 'go_to_layer'],
      ['say', 'say'],
      ['SAY', 'say'],
      ['say_digits', 'say'],
      ['SAY_DIGITS', 'say'],
      ['dial', 'dial'],
      ['Dial', 'dial'],
      [' dial ', 'dial'],
      ['provider_default', 'provider_default'],
      ['PROVIDER_DEFAULT', 'provider_default'],
      ['default', 'provider_default'],
      ['voicemail', 'voicemail'],
      ['VOICE_MAIL', 'voicemail'],
    ])('%j → %s', (action, expected) => {
      expect(rule({ action, ...ACTION_COLUMNS }).then.action).toBe(expected)
    })

    it('needs nothing else for provider_default', () => {
      expect(rule({ action: 'provider_default', toLayer: null }).then.action).toBe('provider_default')
    })

    it('compiles voicemail with its prompt and the longest message (seed 002, action 1)', () => {
      const { then } = rule({
        action: 'voicemail',
        toLayer: null,
        say: 'text:Please leave a message',
        options: '{"max_message_seconds": 90}',
      })
      expect(then.action).toBe('voicemail')
      expect(then.say.map((item) => item.value.source)).toEqual(['Please leave a message'])
      expect(then.options.maxMessageSeconds).toBe(90)
      expect(rule({ action: 'voicemail', toLayer: null }).then.options.maxMessageSeconds).toBeUndefined()
    })

    it('compiles options.sms as a template on the answers that end our part of the call (seed 002, action 5)', () => {
      for (const action of ['hangup', 'voicemail', 'dial']) {
        const { then } = rule({ action, toLayer: null, dial: 'extension:100', options: '{"sms": "Hi {{name}}, pay at example.com"}' })
        expect(then.options.sms?.source).toBe('Hi {{name}}, pay at example.com')
      }
      expect(rule({ action: 'hangup', toLayer: null }).then.options.sms).toBeUndefined()
      // A provider's own answer that cannot carry it (a collect) is not refused: it answers there without the SMS.
      const own = rule({
        action: 'hangup',
        toLayer: null,
        options: '{"sms": "Hi", "providers": {"voicenter": {"action": "go_to_layer", "to_layer": 7}}}',
      })
      expect(own.then.byProvider.voicenter?.action).toBe('go_to_layer')
    })
  })

  it('compiles say items with their types', () => {
    const compiled = rule({
      action: 'say',
      say: 'digits:{{call.caller}}, Number: {{fields.balance | 0}}, date:2026-01-01, datetime:2026-01-01T10:00, recording:welcome, TEXT:hello',
      toLayer: '12',
      language: 'HE',
    })
    expect(compiled.then.say.map((item) => [item.type, item.value.source])).toEqual([
      ['digits', '{{call.caller}}'],
      ['number', '{{fields.balance | 0}}'],
      ['date', '2026-01-01'],
      ['datetime', '2026-01-01T10:00'],
      ['recording', 'welcome'],
      ['text', 'hello'],
    ])
    expect(compiled.then.toLayer?.source).toBe('12')
    expect(compiled.then.language).toBe('HE')
    expect(compiled.then.say[1]?.value.render(scope)).toEqual({ value: '250' })
  })

  it('compiles dial targets with their types', () => {
    const compiled = rule({
      action: 'dial',
      dial: 'ext:101, extension: {{owner.extension}}, Phone: +972 50-123-4567, EXT:9',
      toLayer: null,
    })
    expect(compiled.then.dial.map((target) => [target.type, target.value.source])).toEqual([
      ['extension', '101'],
      ['extension', '{{owner.extension}}'],
      ['phone', '+972 50-123-4567'],
      ['extension', '9'],
    ])
    expect(compiled.then.dial[1]?.value.render(scope)).toEqual({ value: '101' })
    expect(compiled.then.toLayer).toBeUndefined()
  })

  it('compiles every option', () => {
    const options = JSON.stringify({
      caller_name: '{{name}}',
      caller_id: '0722776772',
      failed_layer: 9,
      max_call_duration: 600,
      max_dial_duration: 30,
      record: true,
      custom_data: { CRM_ID: '{{id}}', LEVEL: 5 },
      screen_pop: false,
    })
    const { then } = rule({ action: 'dial', dial: 'extension:101', options })
    expect(then.options.callerName?.render(scope)).toEqual({ value: 'Dana' })
    expect(then.options.callerId?.source).toBe('0722776772')
    expect(then.options.failedLayer?.source).toBe('9')
    expect([then.options.maxCallDuration, then.options.maxDialDuration, then.options.record, then.options.screenPop]).toEqual([
      600,
      30,
      true,
      false,
    ])
    expect(Object.keys(then.options.customData ?? {})).toEqual(['CRM_ID', 'LEVEL'])
    expect(then.options.customData?.CRM_ID?.source).toBe('{{id}}')
    expect(then.options.customData?.LEVEL?.source).toBe('5')
  })

  it.each(['', '  ', '{}'])('takes options %j as none', (options) => {
    expect(rule({ options }).then.options.screenPop).toBe(true)
    expect(rule({ options }).then.options.customData).toBeUndefined()
  })

  it.each(['EN', 'he', 'en-US'])('accepts language %j', (language) => {
    expect(rule({ language }).then.language).toBe(language)
  })

  describe('conditions', () => {
    it('lowercases the providers list', () => {
      expect(rule({ provider: 'Voicenter, Routee,' }).providers).toEqual(new Set(['voicenter', 'routee']))
    })

    it('compiles the pattern columns', () => {
      const compiled = rule({ did: '_072X.', caller: '+97250*', fromLayer: '5, 6', dtmf: '/^\\d{4}$/' })
      expect([compiled.did?.test('0722776772'), compiled.did?.test('0501234567')]).toEqual([true, false])
      expect([compiled.caller?.test('+972501234567'), compiled.caller?.test('+972521234567')]).toEqual([true, false])
      expect([compiled.fromLayer?.test('6'), compiled.fromLayer?.test('7')]).toEqual([true, false])
      expect([compiled.dtmf?.test('1234'), compiled.dtmf?.test('123')]).toEqual([true, false])
    })

    it.each([' ', ''])('takes %j in a condition column as any', (text) => {
      const compiled = rule({
        provider: text,
        did: text,
        caller: text,
        fromLayer: text,
        dtmf: text,
        lookup: text,
        contactMatch: text,
        attempt: text,
      })
      expect([compiled.providers, compiled.did, compiled.caller, compiled.fromLayer, compiled.dtmf]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
      ])
      expect([compiled.lookup, compiled.contactMatch, compiled.attempt]).toEqual([undefined, undefined, undefined])
    })

    it.each([
      ['caller', 'caller'],
      ['', 'caller'],
      ['  ', 'caller'],
      ['PIN', 'pin'],
      [' pin ', 'pin'],
      ['None', 'none'],
    ])('identify_by %j → %s', (identifyBy, expected) => {
      expect(rule({ identifyBy }).identifyBy).toBe(expected)
    })

    it.each([
      ['found', ['found']],
      ['Found, Not Found', ['found', 'not_found']],
      ['not_found,error', ['not_found', 'error']],
    ])('lookup %j → %j', (lookup, expected) => {
      expect(rule({ lookup }).lookup).toEqual(new Set(expected))
    })

    it('compiles contact_match and attempt', () => {
      const compiled = rule({ contactMatch: 'segment = VIP', attempt: '<3' })
      expect(compiled.contactMatch?.failure({ ...scope, contact: { ...dana, segment: 'vip' } })).toBeUndefined()
      expect(compiled.contactMatch?.failure(scope)).toBe('segment = VIP')
      expect([compiled.attempt?.test(2), compiled.attempt?.test(3)]).toEqual([true, false])
    })

    it('uses the default time zone unless the row names one', () => {
      const sundayNightUtc = new Date('2026-11-22T22:30:00Z')
      const jerusalem = { timeZone: 'Asia/Jerusalem' }
      expect(rule({ days: 'mon' }, jerusalem).timeWindow?.test(sundayNightUtc)).toBe(true)
      expect(rule({ days: 'mon', timeZone: 'UTC' }, jerusalem).timeWindow?.test(sundayNightUtc)).toBe(false)
      expect(rule({ days: 'mon', timeZone: '  ' }, jerusalem).timeWindow?.test(sundayNightUtc)).toBe(true)
      expect(rule({ timeFrom: '09:00', timeTo: '17:00' }).timeWindow?.test(new Date('2026-11-22T09:00:00Z'))).toBe(true)
      expect(rule({ timeFrom: '09:00', timeTo: '17:00' }).timeWindow?.test(new Date('2026-11-22T08:59:00Z'))).toBe(false)
    })
  })

  describe('invalid rows', () => {
    it.each<[string, Partial<RuleRow>, string | RegExp]>([
      [
        'an unknown action',
        { action: 'transfer' },
        'action: must be one of go_to_layer, goto, layer, say, say_digits, dial, provider_default, default, collect, ask, hangup, hang_up, voicemail, voice_mail',
      ],
      ['go_to_layer without to_layer', { action: 'go_to_layer', toLayer: null }, 'to_layer: go_to_layer needs the layer to go to'],
      ['go_to_layer with a blank to_layer', { action: 'goto', toLayer: '  ' }, 'to_layer: go_to_layer needs the layer to go to'],
      ['say without items', { action: 'say', say: null }, 'say: say needs what to announce (e.g. number:{{fields.balance}})'],
      ['say with only commas', { action: 'say', say: ' , ' }, 'say: say needs what to announce (e.g. number:{{fields.balance}})'],
      ['say without to_layer', { action: 'say', say: 'number:1', toLayer: null }, 'to_layer: say needs the layer to continue to'],
      ['a say item without a type', { action: 'say', say: '1234' }, /^say: "1234" needs a type: recording:, digits:, number:/],
      ['a say item of an unknown type', { action: 'say', say: 'number:1, money:5' }, /^say: "money:5" needs a type/],
      ['a say item with a bad template', { action: 'say', say: 'number:{{fields.x' }, 'say: unbalanced braces in "{{fields.x"'],
      // With no placeholder the value is the same on every call: one that cannot be said never answers.
      ['a fixed number that is not one', { action: 'say', say: 'number:twelve' }, 'say: "twelve" is not a number'],
      ['fixed digits that are not digits', { action: 'say', say: 'digits:12a4' }, 'say: digits "12a4" are not digits'],
      ['a fixed date that is not a date', { action: 'say', say: 'date:tomorrow' }, 'say: "tomorrow" is not a date (YYYY-MM-DD)'],
      ['an empty text item', { action: 'hangup', say: 'text:' }, 'say: text is empty'],
      [
        "a bad fixed item in a provider's own columns",
        { options: '{"providers": {"routee": {"action": "hangup", "say": "number:1,5"}}}' },
        'options.providers.routee: say: "1,5" is not a number',
      ],
      ['dial without targets', { action: 'dial', dial: null }, 'dial: dial needs targets (e.g. extension:{{owner.extension}})'],
      ['a dial target without a prefix', { action: 'dial', dial: '101' }, 'dial: "101" must start with phone: or extension:'],
      [
        'a dial target with an unknown prefix',
        { action: 'dial', dial: 'phone:1, sip:2' },
        'dial: "sip:2" must start with phone: or extension:',
      ],
      ['a dial target with no value', { action: 'dial', dial: 'phone:' }, 'dial: "phone:" must start with phone: or extension:'],
      ['an unknown call field in to_layer', { toLayer: '{{call.nope}}' }, /^to_layer: "\{\{call\.nope\}\}": call has caller, /],
      ['a bad language', { language: 'english' }, 'language: "english" is not a language code (e.g. EN, HE)'],
      ['bad JSON in options', { options: '{record: true}' }, 'options: is not valid JSON (e.g. {"record": true, "max_dial_duration": 30})'],
      ['options that are not an object', { options: '"record"' }, /^options: /],
      ['an unknown option key', { options: '{"recording": true}' }, /^options: recording: /],
      ['an option of the wrong type', { options: '{"record": "yes"}' }, 'options: record: must be true or false'],
      ['screen_pop of the wrong type', { options: '{"screen_pop": 1}' }, 'options: screen_pop: must be true or false'],
      [
        'a duration that is not a number',
        { options: '{"max_dial_duration": "30"}' },
        'options: max_dial_duration: must be a number of seconds',
      ],
      ['a zero duration', { options: '{"max_call_duration": 0}' }, /^options: max_call_duration: /],
      ['a zero message length', { action: 'voicemail', options: '{"max_message_seconds": 0}' }, /^options: max_message_seconds: /],
      [
        'a message longer than an hour',
        { action: 'voicemail', options: '{"max_message_seconds": 3601}' },
        /^options: max_message_seconds: /,
      ],
      ['a fractional duration', { options: '{"max_dial_duration": 1.5}' }, /^options: max_dial_duration: /],
      [
        'an SMS on an answer that is given again on each retry',
        { action: 'collect', toLayer: '5', options: '{"sms": "Hi"}' },
        'options.sms: only hangup, voicemail, dial answers send an SMS, not collect',
      ],
      ['an SMS that is not text', { action: 'hangup', options: '{"sms": true}' }, /^options: sms: must be text or a number/],
      [
        'a caller_name that is neither text nor number',
        { options: '{"caller_name": true}' },
        'options: caller_name: must be text or a number',
      ],
      [
        'a caller_name with a bad template',
        { options: '{"caller_name": "{{call.bogus}}"}' },
        /^options: caller_name: "\{\{call\.bogus\}\}": call has /,
      ],
      [
        'a custom_data value with a bad template',
        { options: '{"custom_data": {"A": "{{x"}}' },
        'options: custom_data.A: unbalanced braces in "{{x"',
      ],
      ['a bad regex in dtmf', { dtmf: '/[/' }, /^dtmf: invalid regular expression \/\[\/: /],
      ['an unclosed [ in did', { did: '_[12' }, 'did: unclosed [ in "_[12"'],
      ['an empty alternative in caller', { caller: '1,,2' }, 'caller: empty alternative in "1,,2"'],
      ['an empty alternative in from_layer', { fromLayer: ' , ' }, 'from_layer: empty alternative in ","'],
      ['an unknown identify_by', { identifyBy: 'email' }, 'identify_by: must be caller, pin or none'],
      ['an unknown lookup outcome', { lookup: 'found, maybe' }, 'lookup: "maybe" is not a lookup outcome (found, not_found, error)'],
      [
        'a malformed contact_match',
        { contactMatch: 'segment VIP' },
        'contact_match: "segment VIP" is not a condition (e.g. segment = VIP)',
      ],
      [
        'a contact_match comparing with no number',
        { contactMatch: 'fields.balance >' },
        'contact_match: "fields.balance >": > needs a number',
      ],
      ['a bad attempt', { attempt: 'lots' }, 'attempt: "lots" is not a count condition (use 3, <3, >=3 or 1-2)'],
      ['a backwards attempt range', { attempt: '3-1' }, 'attempt: range "3-1" runs backwards'],
      [
        'a bad time zone',
        { days: 'mon-fri', timeZone: 'Mars/Base' },
        'time window: "Mars/Base" is not a time zone (use an IANA name such as Asia/Jerusalem)',
      ],
      ['a bad day', { days: 'funday' }, 'time window: "funday" is not a day (use mon, tue, ... or mon-fri)'],
      ['a bad time', { timeFrom: '9am', timeTo: '17:00' }, 'time window: time_from "9am" is not a time of day (use HH:MM, e.g. 09:00)'],
      ['a lone time_from', { timeFrom: '09:00' }, 'time window: time_from and time_to go together'],
      [
        'identify_by none with lookup',
        { identifyBy: 'none', lookup: 'found' },
        'identify_by: is none, so lookup and contact_match can never hold',
      ],
      [
        'identify_by none with contact_match',
        { identifyBy: 'NONE', contactMatch: 'segment = VIP' },
        'identify_by: is none, so lookup and contact_match can never hold',
      ],
    ])('rejects %s', (_, overrides, reason) => {
      const expected = typeof reason === 'string' ? reason : expect.stringMatching(reason)
      expect(compileRule(ruleRow(overrides), DEFAULTS)).toEqual({ ok: false, reason: expected })
    })

    it('lists every problem, conditions first', () => {
      const compiled = compileRule(ruleRow({ action: 'transfer', attempt: 'lots', days: 'funday' }), DEFAULTS)
      expect(compiled).toEqual({
        ok: false,
        reason:
          'attempt: "lots" is not a count condition (use 3, <3, >=3 or 1-2); ' +
          'action: must be one of go_to_layer, goto, layer, say, say_digits, dial, provider_default, default, collect, ask, hangup, hang_up, voicemail, voice_mail; ' +
          'time window: "funday" is not a day (use mon, tue, ... or mon-fri)',
      })
    })

    it('reports a missing column after a condition problem', () => {
      expect(compileRule(ruleRow({ lookup: 'maybe', toLayer: null }), DEFAULTS)).toEqual({
        ok: false,
        reason: 'lookup: "maybe" is not a lookup outcome (found, not_found, error); to_layer: go_to_layer needs the layer to go to',
      })
    })
  })
})

describe('compileFallback', () => {
  it('compiles a global fallback', () => {
    const compiled = compileFallback(fallbackRow({ id: 3, name: 'operator', action: 'DIAL', dial: 'extension:100', toLayer: null }))
    expect(compiled.ok).toBe(true)
    if (!compiled.ok) return
    expect([compiled.value.id, compiled.value.name, compiled.value.specificity]).toEqual([3, 'operator', 0])
    expect([compiled.value.providers, compiled.value.did, compiled.value.fromLayer]).toEqual([undefined, undefined, undefined])
    expect(compiled.value.then.action).toBe('dial')
    expect(compiled.value.then.dial.map((target) => [target.type, target.value.source])).toEqual([['extension', '100']])
  })

  it('compiles its conditions', () => {
    const compiled = fallback({ provider: 'VoiceNter', did: '_072X.', fromLayer: '5' })
    expect(compiled.providers).toEqual(new Set(['voicenter']))
    expect([compiled.did?.test('0722776772'), compiled.did?.test('0501234567')]).toEqual([true, false])
    expect([compiled.fromLayer?.test('5'), compiled.fromLayer?.test('6')]).toEqual([true, false])
  })

  it.each<[Partial<FallbackRow>, number]>([
    [{}, 0],
    [{ provider: 'voicenter' }, 1],
    [{ did: '0722776772' }, 2],
    [{ provider: 'voicenter', did: '0722776772' }, 3],
    [{ fromLayer: '5' }, 4],
    [{ provider: 'voicenter', fromLayer: '5' }, 5],
    [{ did: '0722776772', fromLayer: '5' }, 6],
    [{ provider: 'voicenter', did: '0722776772', fromLayer: '5' }, 7],
    [{ provider: ' ', did: '', fromLayer: ' ' }, 0],
  ])('%j has specificity %d', (overrides, specificity) => {
    expect(fallback(overrides).specificity).toBe(specificity)
  })

  it.each<[string, Partial<FallbackRow>, string | RegExp]>([
    ['an unknown action', { action: 'transfer' }, /^action: must be one of /],
    ['go_to_layer without to_layer', { toLayer: null }, 'to_layer: go_to_layer needs the layer to go to'],
    ['say without items', { action: 'say', say: '' }, 'say: say needs what to announce (e.g. number:{{fields.balance}})'],
    ['a bad did', { did: '_[12' }, 'did: unclosed [ in "_[12"'],
    ['a bad from_layer', { fromLayer: '/(/' }, /^from_layer: invalid regular expression \/\(\/: /],
    ['bad options', { options: '{"nope": 1}' }, /^options: nope: /],
    ['a bad did and a bad action', { did: '1,', action: 'nope' }, /^did: empty alternative in "1,"; action: must be one of /],
  ])('rejects %s', (_, overrides, reason) => {
    const expected = typeof reason === 'string' ? reason : expect.stringMatching(reason)
    expect(compileFallback(fallbackRow(overrides))).toEqual({ ok: false, reason: expected })
  })
})
