import { describe, expect, it } from 'vitest'
import type { ProviderCapabilities } from '../../src/model/provider-capabilities.ts'
import { capabilityVerdict, checkCapabilities } from '../../src/rules/capability-check.ts'
import { compileRule } from '../../src/rules/compile-rule.ts'
import { menuKeyRule } from '../../src/rules/menu-key.ts'
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
  capabilityVerdict(checkCapabilities(row, CAPABILITIES), kind, REGISTERED)

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

  it('fallbacks and menu keys are worded for what they have', () => {
    expect(verdictOf(fallback({ provider: 'routee' }), 'fallback').error).toContain('or scope the fallback with provider')
    const key = rule({ provider: 'routee', action: 'dial', dial: 'extension:103' })
    expect(verdictOf(key, 'menu key').error).toBe(
      'action: no provider this menu key applies to can dial extension targets (routee) — scope the key with provider',
    )
    expect(verdictOf(rule({ action: 'dial', dial: 'extension:103' }), 'menu key').warnings).toEqual([
      "routee: dials phone targets only (set the key's provider to leave routee out)",
      "voipnow: has no dial (set the key's provider to leave voipnow out)",
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
