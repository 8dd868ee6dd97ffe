import type { FallbackRow, RuleRow } from '../../src/db/schema.ts'
import {
  type CompileDefaults,
  type CompiledFallback,
  type CompiledRule,
  compileFallback,
  compileRule,
} from '../../src/rules/compile-rule.ts'

export const DEFAULTS: CompileDefaults = { timeZone: 'UTC' }

export const ruleRow = (overrides: Partial<RuleRow> = {}): RuleRow => ({
  id: 1,
  name: 'rule',
  priority: 100,
  enabled: 1,
  provider: null,
  did: null,
  caller: null,
  fromLayer: null,
  dtmf: null,
  identifyBy: 'caller',
  lookup: null,
  contactMatch: null,
  attempt: null,
  days: null,
  timeFrom: null,
  timeTo: null,
  timeZone: null,
  schedule: null,
  action: 'go_to_layer',
  toLayer: '10',
  say: null,
  dial: null,
  language: null,
  options: null,
  note: null,
  ...overrides,
})

export const fallbackRow = (overrides: Partial<FallbackRow> = {}): FallbackRow => ({
  id: 1,
  name: 'fallback',
  enabled: 1,
  provider: null,
  did: null,
  fromLayer: null,
  action: 'go_to_layer',
  toLayer: '99',
  say: null,
  dial: null,
  language: null,
  options: null,
  note: null,
  ...overrides,
})

/** Compiles a row that must be valid. */
export const rule = (overrides: Partial<RuleRow> = {}, defaults: CompileDefaults = DEFAULTS): CompiledRule => {
  const compiled = compileRule(ruleRow(overrides), defaults)
  if (!compiled.ok) throw new Error(`rule ${overrides.id ?? 1} is invalid: ${compiled.reason}`)
  return compiled.value
}

/** Compiles a fallback row that must be valid. */
export const fallback = (overrides: Partial<FallbackRow> = {}): CompiledFallback => {
  const compiled = compileFallback(fallbackRow(overrides))
  if (!compiled.ok) throw new Error(`fallback ${overrides.id ?? 1} is invalid: ${compiled.reason}`)
  return compiled.value
}
