import type { CallEvent, Decision, LookupKey, LookupResult, RenderCheck, SayItem } from '../model/call-event.ts'
import type { Contact } from '../model/contact.ts'
import type { CompiledAction, CompiledFallback, CompiledRule } from './compile-rule.ts'
import { readSayItem } from './say-item.ts'
import type { CompiledSchedule } from './schedule.ts'
import type { Scope } from './scope.ts'
import type { Template } from './template.ts'

/** The rules as loaded from the database: what the engine decides with. */
export interface RuleSnapshot {
  revision: number
  rules: CompiledRule[]
  /** The opening hours rules name (their `schedule` column), by name. */
  schedules?: ReadonlyMap<string, CompiledSchedule>
  fallbacks: CompiledFallback[]
  invalid: InvalidRow[]
}

export interface InvalidRow {
  table: 'rules' | 'fallbacks' | 'menu_keys' | 'schedules' | 'holidays'
  id: number
  name: string
  reason: string
}

/** Used where a rule leaves a detail out. */
export interface DecisionDefaults {
  language: string
  maxCallDuration: number
  maxDialDuration: number
  record: boolean
}

export interface EvaluationInput {
  event: CallEvent
  at: Date
  /** How many requests this call has made from this layer, this one included. */
  attempt: number
  lookups: Partial<Record<LookupKey, LookupResult>>
}

/** A provider's say on a decision: undefined when it can put it into its words, else why not. */

export interface RuleTrace {
  ruleId: number
  name: string
  matched: boolean
  reason?: string
}

export interface Evaluation {
  decision: Decision
  rule?: { id: number; name: string }
  fallback?: { id: number; name: string }
  /** Why no rule or fallback answered, when that happened; or the schedule state a rule answered in. */
  reason?: string
  /** The lookup the deciding rule identified the caller with. */
  lookupKey?: LookupKey
  trace: RuleTrace[]
}

const SCREEN_POP_LIMIT = 128

/**
 * Which lookups the rules that could apply to this call need, so the CRM is asked only what matters.
 * Pure: no I/O.
 */
export const plannedLookups = (snapshot: RuleSnapshot, event: CallEvent, at: Date, attempt: number): LookupKey[] => {
  const keys = new Set<LookupKey>()
  for (const rule of snapshot.rules) {
    if (rule.identifyBy !== 'none' && staticMismatch(rule, event, at, attempt) === undefined) keys.add(rule.identifyBy)
  }
  return [...keys]
}

/**
 * Whether any rule that could apply to this call counts attempts; only then is the call's state read and
 * written, which keeps a database write off most requests. Pure.
 */
export const countsAttempts = (snapshot: RuleSnapshot, event: CallEvent, at: Date): boolean =>
  snapshot.rules.some((rule) => rule.attempt !== undefined && staticMismatch(rule, event, at, undefined) === undefined)

/**
 * Picks the first rule (by priority) that matches and can be rendered, else the fallback. Pure. The trace of
 * every rule considered is kept only when asked (the simulator): a live call does not pay for it.
 */
export const evaluate = (
  snapshot: RuleSnapshot,
  input: EvaluationInput,
  defaults: DecisionDefaults,
  check: RenderCheck,
  { traced = true }: { traced?: boolean } = {},
): Evaluation => {
  const trace: RuleTrace[] = []
  for (const rule of snapshot.rules) {
    const reason = ruleMismatch(rule, input)
    if (reason !== undefined) {
      if (traced) trace.push({ ruleId: rule.id, name: rule.name, matched: false, reason })
      continue
    }
    const scope: Scope = { call: input.event, attempt: input.attempt, contact: contactFor(rule, input) }
    const built = buildDecision(rule.then, scope, defaults)
    const refusal = 'reason' in built ? built.reason : check(built.decision)
    if (refusal !== undefined) {
      if (traced) trace.push({ ruleId: rule.id, name: rule.name, matched: false, reason: refusal })
      continue
    }
    // A rule that answers because of the hours says so: `schedule: closed (holiday: Christmas)`.
    const because = rule.schedule?.schedule ? `schedule: ${rule.schedule.schedule.state(input.at).reason}` : undefined
    if (traced) trace.push({ ruleId: rule.id, name: rule.name, matched: true, ...(because ? { reason: because } : {}) })
    return {
      decision: (built as { decision: Decision }).decision,
      rule: { id: rule.id, name: rule.name },
      ...(because ? { reason: because } : {}),
      lookupKey: rule.identifyBy === 'none' ? undefined : rule.identifyBy,
      trace,
    }
  }
  return { ...fallbackFor(snapshot, input, defaults, check, 'no rule matched'), trace }
}

/** The answer when no rule applies or something failed before the rules could run. Pure. */
export const fallbackFor = (
  snapshot: RuleSnapshot,
  input: EvaluationInput,
  defaults: DecisionDefaults,
  check: RenderCheck,
  why: string,
): Omit<Evaluation, 'trace'> => {
  const { event } = input
  const candidates = snapshot.fallbacks
    .filter(
      (fallback) =>
        (!fallback.providers || fallback.providers.has(event.provider)) &&
        (!fallback.did || matchesNumber(fallback.did, event.did, event.didE164)) &&
        (!fallback.fromLayer || fallback.fromLayer.test(event.layer ?? '')),
    )
    .sort((a, b) => b.specificity - a.specificity || a.id - b.id)
  const refusals: string[] = []
  const scope: Scope = { call: event, attempt: input.attempt, contact: input.lookups.caller?.contact }
  for (const fallback of candidates) {
    const built = buildDecision(fallback.then, scope, defaults)
    const refusal = 'reason' in built ? built.reason : check(built.decision)
    if (refusal === undefined) {
      return {
        decision: (built as { decision: Decision }).decision,
        fallback: { id: fallback.id, name: fallback.name },
        reason: why,
      }
    }
    refusals.push(`fallback ${fallback.id}: ${refusal}`)
  }
  return {
    decision: { action: 'provider_default' },
    reason: [why, candidates.length === 0 ? 'no fallback row for this call' : '', ...refusals].filter(Boolean).join('; '),
  }
}

const ruleMismatch = (rule: CompiledRule, input: EvaluationInput): string | undefined => {
  const staticReason = staticMismatch(rule, input.event, input.at, input.attempt)
  if (staticReason !== undefined) return staticReason
  if (rule.identifyBy === 'none') return undefined
  const result = input.lookups[rule.identifyBy]
  const outcome = result?.outcome ?? 'error'
  if (rule.lookup && !rule.lookup.has(outcome)) return `lookup by ${rule.identifyBy} is ${outcome}`
  if (rule.contactMatch) {
    if (!result?.contact) return `no contact for contact_match`
    const failed = rule.contactMatch.failure({ call: input.event, attempt: input.attempt, contact: result.contact })
    if (failed !== undefined) return `contact_match: ${failed}`
  }
  return undefined
}

/** Conditions that need no CRM data. */
/** `attempt` undefined: the attempt condition is not looked at (the count is not known yet). */
const staticMismatch = (rule: CompiledRule, event: CallEvent, at: Date, attempt: number | undefined): string | undefined => {
  if (rule.providers && !rule.providers.has(event.provider)) return `provider is ${event.provider}`
  if (rule.did && !matchesNumber(rule.did, event.did, event.didE164)) return `did is ${event.did}`
  if (rule.caller && !matchesNumber(rule.caller, event.callerRaw, event.caller)) return `caller is ${event.callerRaw || 'withheld'}`
  if (rule.fromLayer && !rule.fromLayer.test(event.layer ?? '')) return `layer is ${event.layer ?? 'none'}`
  if (rule.dtmf && !rule.dtmf.test(event.dtmf)) return `dtmf is ${event.dtmf === '' ? 'none' : event.dtmf}`
  if (rule.attempt && attempt !== undefined && !rule.attempt.test(attempt)) return `attempt is ${attempt}`
  if (rule.timeWindow && !rule.timeWindow.test(at)) return 'outside the time window'
  if (rule.schedule) {
    const { when, name, schedule } = rule.schedule
    if (!schedule) return `schedule: no schedule named "${name}"`
    const state = schedule.state(at)
    if (state.open !== (when === 'open')) return `schedule: ${state.reason}`
  }
  return undefined
}

const matchesNumber = (pattern: { test(value: string): boolean }, raw: string, e164: string | undefined) =>
  pattern.test(raw) || (e164 !== undefined && pattern.test(e164))

const contactFor = (rule: CompiledRule, input: EvaluationInput): Contact | undefined =>
  rule.identifyBy === 'none' ? undefined : input.lookups[rule.identifyBy]?.contact

type Built = { decision: Decision } | { reason: string }

/** A rule's answer in the words of the provider at hand: its options.providers columns when it has them. */
const forProvider = (action: CompiledAction, provider: string): CompiledAction => action.byProvider[provider] ?? action

const DEFAULT_COLLECT_TIMEOUT_SECONDS = 10
/** A voicemail's longest message when the rule gives no max_message_seconds: two minutes. */
const DEFAULT_MESSAGE_SECONDS = 120

const buildDecision = (general: CompiledAction, scope: Scope, defaults: DecisionDefaults): Built => {
  const action = forProvider(general, scope.call.provider)
  try {
    const { options } = action
    const language = action.language ?? defaults.language
    const items = () => action.say.map((item) => sayItem(item.type, required(item.value, scope, 'say')))
    switch (action.action) {
      case 'provider_default':
        return { decision: { action: 'provider_default' } }
      case 'go_to_layer':
        return {
          decision: {
            action: 'go_to_layer',
            layer: required(action.toLayer, scope, 'to_layer'),
            callerName: optional(options.callerName, scope),
            customData: screenPop(action, scope),
          },
        }
      case 'say':
        return {
          decision: {
            action: 'say',
            items: items(),
            nextLayer: required(action.toLayer, scope, 'to_layer'),
            failedLayer: optional(options.failedLayer, scope),
            language,
            customData: screenPop(action, scope),
          },
        }
      case 'collect':
        return {
          decision: {
            action: 'collect',
            layer: required(action.toLayer, scope, 'to_layer'),
            prompt: items(),
            maxDigits: options.maxDigits,
            timeoutSeconds: options.timeoutSeconds ?? DEFAULT_COLLECT_TIMEOUT_SECONDS,
            language,
            customData: screenPop(action, scope),
          },
        }
      case 'hangup':
        return { decision: { action: 'hangup', items: items(), language, ...sms(action, scope) } }
      case 'voicemail':
        return {
          decision: {
            action: 'voicemail',
            prompt: items(),
            language,
            maxSeconds: options.maxMessageSeconds ?? DEFAULT_MESSAGE_SECONDS,
            customData: screenPop(action, scope),
            ...sms(action, scope),
          },
        }
      case 'dial':
        return {
          decision: {
            action: 'dial',
            targets: action.dial.map((target) => ({
              type: target.type,
              value: required(target.value, scope, 'dial').replace(/[\s()-]/g, ''),
            })),
            announce: items(),
            language,
            callerId: optional(options.callerId, scope),
            callerName: optional(options.callerName, scope),
            maxCallDuration: options.maxCallDuration ?? defaults.maxCallDuration,
            maxDialDuration: options.maxDialDuration ?? defaults.maxDialDuration,
            failedLayer: optional(options.failedLayer, scope) ?? optional(action.toLayer, scope),
            record: options.record ?? defaults.record,
            customData: screenPop(action, scope),
            ...sms(action, scope),
          },
        }
    }
  } catch (error) {
    if (error instanceof MissingValue) return { reason: error.message }
    throw error
  }
}

class MissingValue extends Error {}

const required = (template: Template | undefined, scope: Scope, column: string): string => {
  if (!template) throw new MissingValue(`${column} is empty`)
  const rendered = template.render(scope)
  if ('missing' in rendered) throw new MissingValue(`${column}: {{${rendered.missing}}} has no value`)
  return rendered.value
}

const optional = (template: Template | undefined, scope: Scope): string | undefined => {
  if (!template) return undefined
  const rendered = template.render(scope)
  return 'value' in rendered ? rendered.value : undefined
}

/**
 * The SMS of an answer: its template as the call fills it in. One that renders empty, or names a value the
 * call lacks, sends nothing: the call is routed all the same.
 */
const sms = (action: CompiledAction, scope: Scope): { sms?: string } => {
  const text = optional(action.options.sms, scope)?.trim()
  return text ? { sms: text } : {}
}

const sayItem = (type: SayItem['type'], value: string): SayItem => {
  const item = readSayItem(type, value)
  if ('problem' in item) throw new MissingValue(item.problem)
  return item
}

/** CRM data for the agent's screen pop: the rule's own fields, or a standard set when the contact is known. */
const screenPop = (action: CompiledAction, scope: Scope): Record<string, string> => {
  const data: Record<string, string> = {}
  const { options } = action
  if (options.customData) {
    for (const [key, template] of Object.entries(options.customData)) {
      const value = optional(template, scope)
      if (value !== undefined) data[key] = value.slice(0, SCREEN_POP_LIMIT)
    }
    return data
  }
  const contact = scope.contact
  if (!options.screenPop || !contact) return data
  const standard: Record<string, string | undefined> = {
    CRM_ID: contact.id,
    CRM_SOURCE: contact.source,
    NAME: contact.name,
    COMPANY: contact.company,
    SEGMENT: contact.segment,
    TAGS: contact.tags.join(','),
    OWNER: contact.owner?.name,
    OWNER_EMAIL: contact.owner?.email,
    ...contact.fields,
  }
  for (const [key, value] of Object.entries(standard)) {
    if (value !== undefined && value !== '') data[key] = value.slice(0, SCREEN_POP_LIMIT)
  }
  return data
}
