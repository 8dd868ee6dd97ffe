import * as v from 'valibot'
import type { FallbackRow, RuleRow } from '../db/schema.ts'
import { describeIssues } from '../lib/issues.ts'
import { errorMessage } from '../lib/logger.ts'
import { compileNumberRange, type NumberRange } from '../lib/number-range.ts'
import { compilePattern, type Pattern } from '../lib/pattern.ts'
import { compileTimeWindow, type TimeWindow } from '../lib/time-window.ts'
import type { DecisionAction, LookupKey, LookupOutcome, SayItemType } from '../model/call-event.ts'
import { type ContactMatch, compileContactMatch } from './contact-match.ts'
import { readSayItem } from './say-item.ts'
import {
  type Compiled,
  type CompiledSchedule,
  type InvalidScheduleRow,
  parseScheduleCondition,
  type ScheduleCondition,
} from './schedule.ts'
import { compileTemplate, type Template } from './template.ts'

export interface CompiledAction {
  action: DecisionAction
  /** The same answer with a provider's own columns (options.providers), e.g. a phone to dial on Routee. */
  byProvider: Record<string, CompiledAction>
  /** On a provider's own answer: the columns its options.providers entry sets (`action`, `to_layer`, …). */
  ownColumns?: readonly string[]
  toLayer?: Template
  say: { type: SayItemType; value: Template }[]
  dial: { type: 'phone' | 'extension'; value: Template }[]
  language?: string
  options: CompiledOptions
}

export interface CompiledOptions {
  callerName?: Template
  callerId?: Template
  failedLayer?: Template
  maxCallDuration?: number
  maxDialDuration?: number
  record?: boolean
  customData?: Record<string, Template>
  screenPop: boolean
  maxDigits?: number
  timeoutSeconds?: number
  /** voicemail: the longest message taken. */
  maxMessageSeconds?: number
  /** A text message to the caller once the answer is given (hangup, voicemail, dial): seed 002's action 5. */
  sms?: Template
}

export interface CompiledRule {
  id: number
  name: string
  priority: number
  providers?: Set<string>
  did?: Pattern
  caller?: Pattern
  fromLayer?: Pattern
  dtmf?: Pattern
  identifyBy: LookupKey | 'none'
  lookup?: Set<LookupOutcome>
  contactMatch?: ContactMatch
  attempt?: NumberRange
  timeWindow?: TimeWindow
  schedule?: CompiledScheduleCondition
  then: CompiledAction
}

export interface CompiledFallback {
  id: number
  name: string
  providers?: Set<string>
  did?: Pattern
  fromLayer?: Pattern
  /** Layer beats DID beats provider: the most specific matching row answers. */
  specificity: number
  then: CompiledAction
}

export type { Compiled } from './schedule.ts'

/** A rule's `schedule` condition; `schedule` is absent when it was compiled without the schedules (a syntax check). */
export interface CompiledScheduleCondition extends ScheduleCondition {
  schedule?: CompiledSchedule
}

const ACTION_ALIASES: Record<string, DecisionAction> = {
  go_to_layer: 'go_to_layer',
  goto: 'go_to_layer',
  layer: 'go_to_layer',
  say: 'say',
  say_digits: 'say',
  dial: 'dial',
  provider_default: 'provider_default',
  default: 'provider_default',
  collect: 'collect',
  ask: 'collect',
  hangup: 'hangup',
  hang_up: 'hangup',
  voicemail: 'voicemail',
  voice_mail: 'voicemail',
}

const SAY_TYPES: Record<string, SayItemType> = {
  recording: 'recording',
  digits: 'digits',
  number: 'number',
  date: 'date',
  datetime: 'datetime',
  text: 'text',
}

const SAY_ITEM_BOUNDARY = /,(?=\s*[A-Za-z_]+\s*:)/

const LOOKUP_OUTCOMES: readonly LookupOutcome[] = ['found', 'not_found', 'error']

/** A column whose text compiles to something; the compiler's error becomes the column's issue. */
const compiledColumn = <T>(compile: (text: string) => T) =>
  v.pipe(
    v.nullish(v.string()),
    v.rawTransform<string | null | undefined, T | undefined>(({ dataset, addIssue, NEVER }) => {
      const text = dataset.value?.trim()
      if (!text) return undefined
      try {
        return compile(text)
      } catch (error) {
        addIssue({ message: errorMessage(error) })
        return NEVER
      }
    }),
  )

const templateSchema = v.pipe(
  v.union([v.string(), v.number()], 'must be text or a number'),
  v.rawTransform<string | number, Template>(({ dataset, addIssue, NEVER }) => {
    try {
      return compileTemplate(String(dataset.value))
    } catch (error) {
      addIssue({ message: errorMessage(error) })
      return NEVER
    }
  }),
)

const durationSchema = v.pipe(v.number('must be a number of seconds'), v.integer(), v.minValue(1))

const OptionsSchema = v.strictObject({
  caller_name: v.optional(templateSchema),
  caller_id: v.optional(templateSchema),
  failed_layer: v.optional(templateSchema),
  max_call_duration: v.optional(durationSchema),
  max_dial_duration: v.optional(durationSchema),
  record: v.optional(v.boolean('must be true or false')),
  custom_data: v.optional(v.record(v.string(), templateSchema)),
  screen_pop: v.optional(v.boolean('must be true or false')),
  max_digits: v.optional(v.pipe(v.number('must be a number'), v.integer(), v.minValue(1), v.maxValue(30))),
  timeout: v.optional(durationSchema),
  max_message_seconds: v.optional(v.pipe(durationSchema, v.maxValue(3600))),
  sms: v.optional(templateSchema),
  /** Per provider, columns that replace the row's: {"routee": {"dial": "phone:{{owner.phone}}"}}. */
  providers: v.optional(
    v.record(
      v.string(),
      v.strictObject({
        action: v.optional(v.string()),
        to_layer: v.optional(v.union([v.string(), v.number()])),
        say: v.optional(v.string()),
        dial: v.optional(v.string()),
        language: v.optional(v.string()),
      }),
    ),
  ),
})

const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)

const ActionColumns = v.object({
  action: v.pipe(
    v.string(),
    v.transform((text): string => ACTION_ALIASES[text.trim().toLowerCase()] ?? text),
    v.picklist(
      ['go_to_layer', 'say', 'dial', 'collect', 'hangup', 'voicemail', 'provider_default'] as const,
      `must be one of ${Object.keys(ACTION_ALIASES).join(', ')}`,
    ),
  ),
  toLayer: compiledColumn(compileTemplate),
  // Items are split only at a comma that starts a new typed item, so spoken text may contain commas.
  say: compiledColumn((text) =>
    text
      .split(SAY_ITEM_BOUNDARY)
      .map((item) => item.trim())
      .filter((item) => item.replace(/,/g, '').trim() !== '')
      .map((item) => {
        const separator = item.indexOf(':')
        const type = SAY_TYPES[item.slice(0, separator).trim().toLowerCase()]
        if (separator < 0 || !type) {
          throw new Error(`"${item}" needs a type: ${Object.keys(SAY_TYPES).join(':, ')}: (e.g. number:{{fields.balance}})`)
        }
        const value = compileTemplate(item.slice(separator + 1).trim())
        // A value with no placeholder is the same on every call: if it cannot be said, the rule never answers.
        const fixed = value.constant ? readSayItem(type, value.source) : undefined
        if (fixed && 'problem' in fixed) throw new Error(fixed.problem.replace(/^say: /, ''))
        return { type, value }
      }),
  ),
  dial: compiledColumn((text) =>
    splitList(text).map((item) => {
      const match = /^(ext|extension|phone)\s*:\s*(.+)$/i.exec(item)
      if (!match) throw new Error(`"${item}" must start with phone: or extension:`)
      const type = (match[1] as string).toLowerCase() === 'phone' ? ('phone' as const) : ('extension' as const)
      return { type, value: compileTemplate((match[2] as string).trim()) }
    }),
  ),
  language: compiledColumn((text) => {
    if (!/^[A-Za-z]{2}(-[A-Za-z]{2})?$/.test(text)) throw new Error(`"${text}" is not a language code (e.g. EN, HE)`)
    return text
  }),
  options: compiledColumn((text) => {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new Error('is not valid JSON (e.g. {"record": true, "max_dial_duration": 30})')
    }
    const parsed = v.safeParse(OptionsSchema, json)
    if (!parsed.success) throw new Error(formatIssues(parsed.issues))
    return parsed.output
  }),
})

const ConditionColumns = v.object({
  provider: compiledColumn((text) => new Set(splitList(text.toLowerCase()))),
  did: compiledColumn(compilePattern),
  caller: compiledColumn(compilePattern),
  fromLayer: compiledColumn(compilePattern),
  dtmf: compiledColumn(compilePattern),
  identifyBy: v.pipe(
    v.nullish(v.string()),
    v.transform((text) => (text?.trim() || 'caller').toLowerCase()),
    v.picklist(['caller', 'pin', 'none'], 'must be caller, pin or none'),
  ),
  lookup: compiledColumn((text) => {
    const outcomes = splitList(text.toLowerCase().replace(/not found/g, 'not_found'))
    for (const outcome of outcomes) {
      if (!LOOKUP_OUTCOMES.includes(outcome as LookupOutcome)) {
        throw new Error(`"${outcome}" is not a lookup outcome (${LOOKUP_OUTCOMES.join(', ')})`)
      }
    }
    return new Set(outcomes as LookupOutcome[])
  }),
  contactMatch: compiledColumn(compileContactMatch),
  attempt: compiledColumn(compileNumberRange),
})

/** The schedules rules may name, by name, and those that could not be compiled (why). */
export interface ScheduleBook {
  byName: ReadonlyMap<string, CompiledSchedule>
  invalid: readonly InvalidScheduleRow[]
}

export interface CompileDefaults {
  timeZone: string
  /**
   * The schedules a rule's `schedule` column may name: a rule naming another is invalid. Without them the
   * column's form alone is checked (its schedule is looked up where the rules are loaded).
   */
  schedules?: ScheduleBook
}

const compileScheduleCondition = (text: string | null, schedules: ScheduleBook | undefined): CompiledScheduleCondition | undefined => {
  if (!text?.trim()) return undefined
  const condition = parseScheduleCondition(text)
  if (!schedules) return condition
  const schedule = schedules.byName.get(condition.name)
  if (schedule) return { ...condition, schedule }
  const broken = schedules.invalid.find((row) => row.table === 'schedules' && row.name === condition.name)
  throw new Error(broken ? `schedule "${condition.name}" cannot be used (${broken.reason})` : `no schedule named "${condition.name}"`)
}

export const compileRule = (row: RuleRow, defaults: CompileDefaults): Compiled<CompiledRule> => {
  const conditions = v.safeParse(ConditionColumns, row)
  const then = compileAction(row)
  const issues = [...(conditions.success ? [] : [formatIssues(conditions.issues)]), ...(then.ok ? [] : [then.reason])]
  let timeWindow: TimeWindow | undefined
  try {
    timeWindow = compileTimeWindow({
      days: row.days,
      from: row.timeFrom,
      to: row.timeTo,
      timeZone: row.timeZone?.trim() || defaults.timeZone,
    })
  } catch (error) {
    issues.push(`time window: ${errorMessage(error)}`)
  }
  let schedule: CompiledScheduleCondition | undefined
  try {
    schedule = compileScheduleCondition(row.schedule, defaults.schedules)
  } catch (error) {
    issues.push(`schedule: ${errorMessage(error)}`)
  }
  if (conditions.success && conditions.output.identifyBy === 'none') {
    if (conditions.output.lookup || conditions.output.contactMatch) {
      issues.push('identify_by: is none, so lookup and contact_match can never hold')
    }
  }
  if (issues.length > 0 || !conditions.success || !then.ok) return { ok: false, reason: issues.join('; ') }
  const { identifyBy, ...matchers } = conditions.output
  return {
    ok: true,
    value: {
      id: row.id,
      name: row.name,
      priority: row.priority,
      providers: matchers.provider,
      did: matchers.did,
      caller: matchers.caller,
      fromLayer: matchers.fromLayer,
      dtmf: matchers.dtmf,
      identifyBy: identifyBy as CompiledRule['identifyBy'],
      lookup: matchers.lookup,
      contactMatch: matchers.contactMatch,
      attempt: matchers.attempt,
      timeWindow,
      schedule,
      then: then.value,
    },
  }
}

export const compileFallback = (row: FallbackRow): Compiled<CompiledFallback> => {
  const conditions = v.safeParse(v.pick(ConditionColumns, ['provider', 'did', 'fromLayer']), row)
  const then = compileAction(row)
  if (!conditions.success || !then.ok) {
    const issues = [...(conditions.success ? [] : [formatIssues(conditions.issues)]), ...(then.ok ? [] : [then.reason])]
    return { ok: false, reason: issues.join('; ') }
  }
  const { provider, did, fromLayer } = conditions.output
  return {
    ok: true,
    value: {
      id: row.id,
      name: row.name,
      providers: provider,
      did,
      fromLayer,
      specificity: (fromLayer ? 4 : 0) + (did ? 2 : 0) + (provider ? 1 : 0),
      then: then.value,
    },
  }
}

type ActionRow = Pick<RuleRow, 'action' | 'toLayer' | 'say' | 'dial' | 'language' | 'options'>

const compileAction = (row: ActionRow, provider?: string): Compiled<CompiledAction> => {
  const parsed = v.safeParse(ActionColumns, row)
  if (!parsed.success) return { ok: false, reason: prefixed(provider, formatIssues(parsed.issues)) }
  const { action, toLayer, say, dial, language, options } = parsed.output
  const missing = requiredColumn(action, { toLayer, say, dial })
  if (missing) return { ok: false, reason: prefixed(provider, missing) }
  // Only the row's own answer is held to it: a provider's own action (options.providers) that cannot carry
  // the SMS answers there without it.
  if (!provider && options?.sms && !SMS_ACTIONS.includes(action)) {
    return { ok: false, reason: `options.sms: only ${SMS_ACTIONS.join(', ')} answers send an SMS, not ${action}` }
  }
  const byProvider: Record<string, CompiledAction> = {}
  if (!provider) {
    for (const [id, columns] of Object.entries(options?.providers ?? {})) {
      const override = compileAction(
        {
          ...row,
          ...(columns.action !== undefined ? { action: columns.action } : {}),
          ...(columns.to_layer !== undefined ? { toLayer: String(columns.to_layer) } : {}),
          ...(columns.say !== undefined ? { say: columns.say } : {}),
          ...(columns.dial !== undefined ? { dial: columns.dial } : {}),
          ...(columns.language !== undefined ? { language: columns.language } : {}),
        },
        id.toLowerCase(),
      )
      if (!override.ok) return override
      const own = Object.entries(columns)
        .filter(([, value]) => value !== undefined)
        .map(([column]) => column)
      byProvider[id.toLowerCase()] = { ...override.value, ownColumns: own }
    }
  }
  return {
    ok: true,
    value: {
      action: action,
      byProvider,
      toLayer,
      say: say ?? [],
      dial: dial ?? [],
      language,
      options: {
        callerName: options?.caller_name,
        callerId: options?.caller_id,
        failedLayer: options?.failed_layer,
        maxCallDuration: options?.max_call_duration,
        maxDialDuration: options?.max_dial_duration,
        record: options?.record,
        customData: options?.custom_data,
        screenPop: options?.screen_pop ?? true,
        maxDigits: options?.max_digits,
        timeoutSeconds: options?.timeout,
        maxMessageSeconds: options?.max_message_seconds,
        sms: options?.sms,
      },
    },
  }
}

/**
 * The answers an SMS goes with: those that end our part of the call. A collect or say is answered again on
 * each retry, so the caller would get the message once per attempt.
 */
export const SMS_ACTIONS: readonly DecisionAction[] = ['hangup', 'voicemail', 'dial']

const prefixed = (provider: string | undefined, reason: string) => (provider ? `options.providers.${provider}: ${reason}` : reason)

const requiredColumn = (action: DecisionAction, columns: { toLayer?: Template; say?: unknown[]; dial?: unknown[] }): string | undefined => {
  if (action === 'go_to_layer' && !columns.toLayer) return 'to_layer: go_to_layer needs the layer to go to'
  if (action === 'say' && !columns.say?.length) return 'say: say needs what to announce (e.g. number:{{fields.balance}})'
  if (action === 'say' && !columns.toLayer) return 'to_layer: say needs the layer to continue to'
  if (action === 'dial' && !columns.dial?.length) return 'dial: dial needs targets (e.g. extension:{{owner.extension}})'
  if (action === 'collect' && !columns.toLayer) return 'to_layer: collect needs the step (layer) the digits come back from'
  return undefined
}

const COLUMN_NAMES: Record<string, string> = {
  fromLayer: 'from_layer',
  identifyBy: 'identify_by',
  contactMatch: 'contact_match',
  toLayer: 'to_layer',
}

const formatIssues = (issues: readonly v.BaseIssue<unknown>[]): string =>
  describeIssues(issues, { field: (path) => COLUMN_NAMES[path] ?? path })
