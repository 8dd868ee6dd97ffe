import { describe, expect, it } from 'vitest'
import type { ProviderCapabilities } from '../../src/model/provider-capabilities.ts'
import { PROVIDER_CAPABILITIES } from '../../src/providers/capabilities.ts'
import { capabilityVerdict, checkCapabilities, judgeCapabilities, type RowKind } from '../../src/rules/capability-check.ts'
import { compileRule } from '../../src/rules/compile-rule.ts'
import { type MenuKeyInput, menuKeyRule } from '../../src/rules/menu-key.ts'
import { DEFAULTS, fallback, rule } from './rows.ts'

/** Providers as the registry declares them, in its order. */
const CAPABILITIES: Record<string, ProviderCapabilities> = {
  voicenter: {
    actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'],
    dialTargets: ['phone', 'extension'],
    noInput: 'callback',
  },
  routee: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone'], noInput: 'in-answer' },
  voipnow: { actions: ['go_to_layer', 'say', 'collect', 'hangup', 'provider_default'], dialTargets: [], noInput: 'callback' },
}
const REGISTERED = Object.keys(CAPABILITIES)

const verdictOf = (row: Parameters<typeof checkCapabilities>[0], kind: 'rule' | 'fallback' | 'menu key' = 'rule') =>
  capabilityVerdict(checkCapabilities(row, CAPABILITIES, kind), kind, REGISTERED)

describe('checkCapabilities', () => {
  it('a row without a scope applies to every registered provider', () => {
    const report = checkCapabilities(rule({ action: 'go_to_layer', toLayer: '3' }), CAPABILITIES)
    expect(report.appliesTo).toEqual(['voicenter', 'routee', 'voipnow'])
    expect(report.answersOn).toEqual(['voicenter', 'voipnow'])
    expect(report.gaps).toEqual([
      {
        provider: 'routee',
        field: 'action',
        action: 'go_to_layer',
        reason: 'has no go_to_layer',
        asks: 'answer "go_to_layer"',
        kind: 'action',
        targets: [],
        overridden: false,
      },
    ])
    expect(report.unknownScope).toEqual([])
  })

  it('a scoped row applies to its providers only', () => {
    const report = checkCapabilities(rule({ provider: 'voicenter', action: 'go_to_layer', toLayer: '3' }), CAPABILITIES)
    expect(report).toMatchObject({ appliesTo: ['voicenter'], answersOn: ['voicenter'], gaps: [] })
  })

  it("a provider's own columns are what is checked on that provider", () => {
    const report = checkCapabilities(
      rule({
        action: 'go_to_layer',
        toLayer: '3',
        options: JSON.stringify({ providers: { routee: { action: 'dial', dial: 'phone:+972501234567' } } }),
      }),
      CAPABILITIES,
    )
    expect(report.answersOn).toEqual(['voicenter', 'routee', 'voipnow'])
  })

  it('a dial needs at least one target type the provider can ring', () => {
    const mixed = checkCapabilities(rule({ action: 'dial', dial: 'extension:101, phone:+972501234567' }), CAPABILITIES)
    expect(mixed.answersOn).toEqual(['voicenter', 'routee'])
    const extension = checkCapabilities(rule({ action: 'dial', dial: 'extension:101' }), CAPABILITIES)
    expect(extension.gaps.map((gap) => [gap.provider, gap.field, gap.reason])).toEqual([
      ['routee', 'dial', 'dials phone targets only'],
      ['voipnow', 'action', 'has no dial'],
    ])
  })

  it('names scope entries and options.providers entries that are not registered', () => {
    const report = checkCapabilities(
      rule({ provider: 'voicenter, skype', options: JSON.stringify({ providers: { rotuee: { action: 'hangup' } } }) }),
      CAPABILITIES,
    )
    expect(report.appliesTo).toEqual(['voicenter'])
    expect(report.unknownScope).toEqual(['skype'])
    expect(report.unknownOverrides).toEqual(['rotuee'])
  })

  it('checks fallbacks and menu keys the same way', () => {
    expect(checkCapabilities(fallback({ action: 'hangup', toLayer: null }), CAPABILITIES).answersOn).toEqual(['routee', 'voipnow'])
    const key = menuKeyRule({
      id: 4,
      layer: '7',
      key: '1',
      provider: 'routee',
      action: 'queue',
      target: '31',
      say: null,
      priority: 1000,
      enabled: 1,
      options: null,
    })
    if (!('row' in key)) throw new Error(key.reason)
    const compiled = compileRule(key.row, DEFAULTS)
    if (!compiled.ok) throw new Error(compiled.reason)
    expect(checkCapabilities(compiled.value, CAPABILITIES).gaps.map((gap) => gap.provider)).toEqual(['routee'])
  })
})

describe('capabilityVerdict: the policy', () => {
  it('a row every provider it applies to can answer is fine', () => {
    expect(verdictOf(rule({ action: 'collect', toLayer: '5' }))).toEqual({ warnings: [] })
  })

  it('a row some providers cannot answer is kept, with a warning each', () => {
    expect(verdictOf(rule({ action: 'dial', dial: 'extension:101' }))).toEqual({
      warnings: [
        'routee: dials phone targets only (give options.providers.routee)',
        'voipnow: has no dial (give options.providers.voipnow)',
      ],
    })
  })

  it('a warning says to change the columns a provider already has', () => {
    const row = rule({ action: 'collect', toLayer: '5', options: JSON.stringify({ providers: { routee: { action: 'go_to_layer' } } }) })
    expect(verdictOf(row).warnings).toEqual(['routee: has no go_to_layer (change options.providers.routee)'])
  })

  it('a row no provider it applies to can answer is an error naming the field', () => {
    expect(verdictOf(rule({ provider: 'routee', action: 'go_to_layer', toLayer: '3' }))).toEqual({
      error:
        'action: no provider this rule applies to can answer "go_to_layer" (routee) — give options.providers.<id> or scope the rule with provider',
      warnings: [],
    })
    expect(verdictOf(rule({ provider: 'routee, voipnow', action: 'dial', dial: 'extension:1' })).error).toBe(
      'dial: no provider this rule applies to can dial extension targets (routee); ' +
        'action: no provider this rule applies to can answer "dial" (voipnow) — give options.providers.<id> or scope the rule with provider',
    )
  })

  it("an error names the provider's own columns when they are what cannot answer", () => {
    const row = rule({
      provider: 'routee',
      action: 'collect',
      toLayer: '5',
      options: JSON.stringify({ providers: { routee: { action: 'dial', dial: 'extension:1' } } }),
    })
    expect(verdictOf(row).error).toMatch(
      /^options\.providers\.routee\.dial: no provider this rule applies to can dial extension targets \(routee\)/,
    )
  })

  it('fallbacks and menu keys are worded for what they have: a menu key has options.providers too, and names its own columns', () => {
    expect(verdictOf(fallback({ provider: 'routee' }), 'fallback').error).toContain('or scope the fallback with provider')
    const key = rule({ provider: 'routee', action: 'dial', dial: 'extension:103' })
    expect(verdictOf(key, 'menu key').error).toBe(
      'action: no provider this menu key applies to can dial extension targets (routee) — give options.providers.<id> or scope the menu key with provider',
    )
    expect(verdictOf(rule({ action: 'dial', dial: 'extension:103' }), 'menu key').warnings).toEqual([
      'routee: dials phone targets only (give options.providers.routee)',
      'voipnow: has no dial (give options.providers.voipnow)',
    ])
  })

  it('a scope naming a provider that is not registered is an error; unused provider columns a warning', () => {
    expect(verdictOf(rule({ provider: 'voicenter, skype' })).error).toBe(
      'provider: "skype" is not a registered provider (voicenter, routee, voipnow)',
    )
    expect(verdictOf(rule({ options: JSON.stringify({ providers: { rotuee: { action: 'hangup' } } }) })).warnings).toContain(
      'options.providers.rotuee: "rotuee" is not a registered provider, so these columns are never used',
    )
  })

  it('with no provider registered there is nothing to hold a row against', () => {
    expect(capabilityVerdict(checkCapabilities(rule(), {}), 'rule', [])).toEqual({ warnings: [] })
  })
})

/** What the built-in providers declare (src/providers/<id>/capabilities.ts). */
const BUILT_IN = PROVIDER_CAPABILITIES

/** The gaps of a row on the built-in providers, as `provider field: reason`. */
const gapsOf = (overrides: Parameters<typeof rule>[0], kind: RowKind = 'rule') =>
  checkCapabilities(kind === 'fallback' ? fallback(overrides as never) : rule(overrides), BUILT_IN, kind).gaps.map(
    (gap) => `${gap.provider} ${gap.field}: ${gap.reason}`,
  )
const judged = (overrides: Parameters<typeof rule>[0]) => judgeCapabilities(rule(overrides), BUILT_IN, 'rule')

describe('what is fixed in a row, held against what each provider takes', () => {
  describe('the rules that can never fire on Voicenter', () => {
    it('a dial with no failed layer (NEXT_VO_ID)', () => {
      expect(judged({ provider: 'voicenter', action: 'dial', dial: 'extension:100', toLayer: null }).error).toBe(
        'options.failed_layer: no provider this rule applies to can dial without a failed layer (voicenter) — give options.providers.<id> or scope the rule with provider',
      )
      expect(
        judged({ provider: 'voicenter', action: 'dial', dial: 'extension:100', toLayer: null, options: '{"failed_layer": 20}' }),
      ).toEqual({
        warnings: [],
      })
      // to_layer is where a failed dial goes when options.failed_layer is not given.
      expect(judged({ provider: 'voicenter', action: 'dial', dial: 'extension:100', toLayer: '20' })).toEqual({ warnings: [] })
    })

    it('a language it does not speak', () => {
      expect(judged({ provider: 'voicenter', action: 'say', say: 'digits:1234', toLayer: '12', language: 'FR' }).error).toBe(
        'language: no provider this rule applies to can speak FR (voicenter: speaks HE, EN, AR, RU) — give options.providers.<id> or scope the rule with provider',
      )
      expect(judged({ provider: 'voicenter', action: 'say', say: 'digits:1234', toLayer: '12', language: 'he' })).toEqual({ warnings: [] })
    })

    it('text in SAY_DIGITS', () => {
      expect(judged({ provider: 'voicenter', action: 'say', say: 'text:Your balance is', toLayer: '12' }).error).toBe(
        'say: no provider this rule applies to can say text items (voicenter: says recording, digits, number, date, datetime items only) — give options.providers.<id> or scope the rule with provider',
      )
    })

    it('a number that is not whole', () => {
      expect(judged({ provider: 'voicenter', action: 'say', say: 'number:12.50', toLayer: '12' }).error).toBe(
        'say: no provider this rule applies to can say the number 12.50 (voicenter: says whole numbers only) — give options.providers.<id> or scope the rule with provider',
      )
    })

    it('a layer that is not a number, wherever Voicenter would go to it', () => {
      expect(judged({ provider: 'voicenter', action: 'go_to_layer', toLayer: 'abc' }).error).toBe(
        'to_layer: no provider this rule applies to can go to layer "abc" (voicenter: layers are numbers) — give options.providers.<id> or scope the rule with provider',
      )
      expect(gapsOf({ provider: 'voicenter', action: 'collect', toLayer: 'pin' })).toEqual([
        'voicenter to_layer: layers are numbers, not "pin"',
      ])
      expect(gapsOf({ provider: 'voicenter', action: 'say', say: 'digits:1', toLayer: '12', options: '{"failed_layer": "x"}' })).toEqual([
        'voicenter options.failed_layer: layers are numbers, not "x"',
      ])
      expect(gapsOf({ provider: 'voicenter', action: 'dial', dial: 'extension:1', options: '{"failed_layer": "x"}' })).toEqual([
        'voicenter options.failed_layer: layers are numbers, not "x"',
      ])
      expect(gapsOf({ provider: 'voicenter', action: 'dial', dial: 'extension:1', toLayer: 'x' })).toEqual([
        'voicenter to_layer: layers are numbers, not "x"',
      ])
    })

    it("what Voicenter does not play is not held against it: a collect's prompt (the layer's own) and a dial's announcement", () => {
      expect(gapsOf({ provider: 'voicenter', action: 'collect', toLayer: '5', say: 'text:Your account number?', language: 'FR' })).toEqual(
        [],
      )
      expect(
        gapsOf({ provider: 'voicenter', action: 'dial', dial: 'extension:1', say: 'text:Connecting', options: '{"failed_layer": 20}' }),
      ).toEqual([])
    })
  })

  it('a value a template fills in is only known on the call: never held against a provider', () => {
    for (const overrides of [
      { action: 'go_to_layer', toLayer: '{{owner.layer}}' },
      { action: 'say', say: 'number:{{fields.balance}}', toLayer: '12' },
      { action: 'say', say: 'digits:1', toLayer: '12', options: '{"failed_layer": "{{owner.layer}}"}' },
      { action: 'dial', dial: 'extension:1', options: '{"failed_layer": "{{owner.layer}}"}' },
      { action: 'dial', dial: 'extension:1', toLayer: '{{owner.layer}}' },
      { action: 'collect', toLayer: '{{call.layer}}' },
    ]) {
      expect(gapsOf({ provider: 'voicenter', ...overrides }), JSON.stringify(overrides)).toEqual([])
    }
    expect(gapsOf({ provider: 'routee', action: 'dial', dial: 'phone:{{owner.phone}}' })).toEqual([])
    expect(gapsOf({ provider: 'ringcentral', action: 'hangup', say: 'recording:{{fields.goodbye}}' })).toEqual([])
  })

  it('voicemail is answered on Stringee only (its recordMessage); every other provider has no way to take a message', () => {
    expect(gapsOf({ action: 'voicemail', toLayer: null, say: 'text:Please leave a message' })).toEqual([
      'voicenter action: has no voicemail',
      'routee action: has no voicemail',
      'voipnow action: has no voicemail',
      'ringcentral action: has no voicemail',
    ])
    expect(judged({ provider: 'stringee', action: 'voicemail', toLayer: null })).toEqual({ warnings: [] })
    expect(judged({ provider: 'routee', action: 'voicemail', toLayer: null }).error).toMatch(/routee/)
  })

  it('an SMS is sent on Stringee only: a row scoped elsewhere is refused, one for several providers kept with a warning', () => {
    const sms = '{"sms": "Pay at example.com"}'
    expect(gapsOf({ provider: 'stringee, routee', action: 'hangup', toLayer: null, options: sms })).toEqual([
      'routee options.sms: sends no SMS',
    ])
    expect(judged({ provider: 'stringee', action: 'hangup', toLayer: null, options: sms })).toEqual({ warnings: [] })
    expect(judged({ provider: 'routee', action: 'hangup', toLayer: null, options: sms }).error).toBe(
      'options.sms: no provider this rule applies to can send an SMS (routee) — give options.providers.<id> or scope the rule with provider',
    )
    expect(judged({ provider: 'stringee, routee', action: 'dial', dial: 'phone:+84901111111', toLayer: null, options: sms })).toEqual({
      warnings: ['routee: sends no SMS (give options.providers.routee)'],
    })
    // A provider's own answer that carries no SMS (a layer on Voicenter) is no gap there.
    const own = '{"sms": "Hi", "providers": {"voicenter": {"action": "go_to_layer", "to_layer": 7}}}'
    expect(gapsOf({ provider: 'stringee, voicenter', action: 'hangup', toLayer: null, options: own })).toEqual([])
  })

  it('VoipNow: the layers it jumps to are contexts', () => {
    expect(gapsOf({ provider: 'voipnow', action: 'go_to_layer', toLayer: 'agents:101:2' })).toEqual([])
    expect(gapsOf({ provider: 'voipnow', action: 'collect', toLayer: 'pin entry' })).toEqual([
      'voipnow to_layer: layers are contexts (context, context:option or context:option:priority), not "pin entry"',
    ])
    // It never goes to a failed layer, so that one is not its business.
    expect(gapsOf({ provider: 'voipnow', action: 'say', say: 'text:Hi', toLayer: 'main', options: '{"failed_layer": "a b"}' })).toEqual([])
  })

  it('RingCentral: audio files from URLs only', () => {
    expect(gapsOf({ provider: 'ringcentral', action: 'collect', toLayer: '5', say: 'text:Your account number?' })).toEqual([
      'ringcentral say: says recording items only, not text',
    ])
    expect(gapsOf({ provider: 'ringcentral', action: 'hangup', say: 'recording:bye.wav' })).toEqual([
      'ringcentral say: plays recordings from http(s) URLs only, not "bye.wav"',
    ])
    expect(gapsOf({ provider: 'ringcentral', action: 'dial', dial: 'extension:1', say: 'recording:https://example.com/hi.wav' })).toEqual(
      [],
    )
  })

  it('Routee: its languages when it speaks, recordings from URLs, phone numbers in E.164', () => {
    expect(gapsOf({ provider: 'routee', action: 'hangup', say: 'text:Shalom', language: 'HE' })).toEqual([
      'routee language: speaks en-US, en-GB, de-DE, fr-FR, it-IT, pt-BR, es-ES, es-LA, el-GR, bg-BG, pl-PL, hu-HU, sv-SE, ru-RU, not HE',
    ])
    for (const language of ['EN', 'en-gb', 'fr', 'EL']) {
      expect(gapsOf({ provider: 'routee', action: 'hangup', say: 'text:Bye', language }), language).toEqual([])
    }
    // Recordings play in any language.
    expect(gapsOf({ provider: 'routee', action: 'hangup', say: 'recording:https://example.com/bye.mp3', language: 'HE' })).toEqual([])
    expect(gapsOf({ provider: 'routee', action: 'hangup', say: 'recording:bye.mp3' })).toEqual([
      'routee say: plays recordings from http(s) URLs only, not "bye.mp3"',
    ])
    expect(gapsOf({ provider: 'routee', action: 'dial', dial: 'phone:0501234567' })).toEqual([
      'routee dial: dials phone numbers in E.164 only (phone:+…), not 0501234567',
    ])
    expect(gapsOf({ provider: 'routee', action: 'dial', dial: 'phone:0501234567, phone:+30 210 123 4567' })).toEqual([])
  })

  it("names the provider's own column only where its options.providers entry sets it", () => {
    const row = {
      provider: 'voicenter, routee',
      action: 'say',
      say: 'digits:1',
      toLayer: '12',
      options: JSON.stringify({ providers: { routee: { action: 'hangup', say: 'text:Bye' } } }),
    }
    expect(gapsOf({ ...row, language: 'HE' })).toEqual([expect.stringMatching(/^routee language: speaks en-US/)])
    const own = { ...row, options: JSON.stringify({ providers: { routee: { action: 'hangup', say: 'text:Bye', language: 'HE' } } }) }
    expect(gapsOf(own)).toEqual([expect.stringMatching(/^routee options\.providers\.routee\.language: speaks en-US/)])
  })

  it("a menu key's findings name its columns: target, layer, action", () => {
    const menuKey = (overrides: Partial<MenuKeyInput>) => {
      const key = menuKeyRule({
        id: 9,
        layer: '7',
        key: '1',
        provider: 'voicenter',
        action: 'go_to_layer',
        target: '31',
        say: null,
        priority: 1000,
        enabled: 1,
        options: null,
        ...overrides,
      })
      if ('reason' in key) throw new Error(key.reason)
      const compiled = compileRule(key.row, DEFAULTS)
      if (!compiled.ok) throw new Error(compiled.reason)
      return judgeCapabilities(compiled.value, BUILT_IN, 'menu key').error
    }
    expect(menuKey({ target: 'sales' })).toMatch(
      /^target: no provider this menu key applies to can go to layer "sales" \(voicenter: layers are numbers\)/,
    )
    expect(menuKey({ layer: 'main', action: 'extension', target: '103' })).toMatch(
      /^layer: no provider this menu key applies to can go to layer "main"/,
    )
    expect(menuKey({ provider: 'routee', action: 'phone', target: '0501234567' })).toMatch(
      /^target: no provider this menu key applies to can dial 0501234567/,
    )
    expect(menuKey({ provider: 'routee', action: 'extension', target: '103' })).toMatch(
      /^action: no provider this menu key applies to can dial extension targets/,
    )
    expect(
      menuKey({ provider: 'stringee', options: '{"providers": {"stringee": {"action": "collect", "say": "text:Sales"}}}' }),
    ).toBeUndefined()
  })

  it('a provider that declares nothing beyond its actions takes any fixed value', () => {
    const plain: Record<string, ProviderCapabilities> = {
      acme: {
        actions: ['go_to_layer', 'say', 'dial', 'collect', 'hangup', 'provider_default'],
        dialTargets: ['phone', 'extension'],
        noInput: 'callback',
      },
    }
    for (const overrides of [
      { action: 'go_to_layer', toLayer: 'any step name' },
      { action: 'say', say: 'text:Hi, number:12.50, recording:hi.wav', toLayer: 'x', language: 'FR' },
      { action: 'dial', dial: 'phone:0501234567' },
    ]) {
      expect(checkCapabilities(rule(overrides), plain).gaps, JSON.stringify(overrides)).toEqual([])
    }
  })
})
