import * as v from 'valibot'
import { maskPhone } from '../admin/decision-routes.ts'
import { nationalDialForm, toE164 } from '../lib/phone.ts'
import { instantOfWallTime, WALL_TIME, wallTimeField } from './wall-time.ts'

/** What "Outcome" can pick: a fallback, a lookup outcome or the action answered, at any step of the call. */
export const OUTCOMES = [
  ['fallback', 'answered by a fallback (no rule matched)'],
  ['found', 'caller found in the CRM'],
  ['not_found', 'caller not found in the CRM'],
  ['error', 'CRM lookup failed'],
  ['dial', 'put through (dial)'],
  ['go_to_layer', 'sent to a layer'],
  ['say', 'announced something'],
  ['collect', 'asked for digits'],
  ['hangup', 'hung up'],
  ['voicemail', 'sent to voicemail'],
  ['provider_default', 'the provider’s own failover'],
] as const
export type Outcome = (typeof OUTCOMES)[number][0]
export const LOOKUP_OUTCOMES: readonly Outcome[] = ['found', 'not_found', 'error']

/** The filter fields of the Calls page, in the order of the form. */
export const FILTER_FIELDS = ['number', 'provider', 'rule', 'outcome', 'from', 'to'] as const
export type FilterField = (typeof FILTER_FIELDS)[number] | 'before'

/** The calls the list shows, as the query reads them. */
export interface CallFilters {
  /** The caller's number in the forms the decision log may hold it (E.164, national, E.164 without +). */
  callerForms?: string[]
  provider?: string
  rule?: { id: number } | { name: string }
  outcome?: Outcome
  /** Epoch ms: calls that started at or after. */
  from: number
  /** Epoch ms: calls that started at or before. */
  to?: number
  /** Keyset cursor: calls whose first step's id is below it. */
  before?: number
}

export type FilterValues = Partial<Record<FilterField, string>>
export type FilterErrors = Partial<Record<FilterField, string>>

/** How far back the list looks when "From" is empty. */
export const DEFAULT_PERIOD_MS = 24 * 3_600_000

/**
 * A viewer never gets a whole number back in a page, not even one they typed: the number box shows it masked
 * and this hidden field carries it to the next page (base64, only so it is not readable on the page: the
 * viewer typed it, and the address bar of their first search holds it anyway).
 */
export const KEPT_NUMBER_FIELD = 'number_kept'
export const keepNumber = (number: string) => btoa(number).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
/** A typed number as a viewer's form shows it back: masked as the decision log masks callers, whatever its shape. */
export const maskedNumber = (number: string) => {
  const masked = maskPhone(number.replace(/[\s().-]/g, '')) ?? ''
  return masked.includes('•') ? masked : masked.replace(/\d/g, '•')
}
const keptNumber = (kept: string): string | undefined => {
  try {
    const number = atob(kept.replace(/-/g, '+').replace(/_/g, '/'))
    return /^[+\d\s().-]{1,32}$/.test(number) ? number : undefined
  } catch {
    return undefined
  }
}

const optionalText = (longest: number, what: string) =>
  v.optional(v.pipe(v.string(), v.trim(), v.maxLength(longest, `is too long for ${what} (${longest} characters at most)`)))

interface FilterContext {
  defaultCountry: string
  timeZone: string
  providers: readonly string[]
  now: number
}

const schemaFor = ({ providers }: FilterContext) =>
  v.object({
    number: optionalText(32, 'a phone number'),
    [KEPT_NUMBER_FIELD]: optionalText(64, 'a phone number'),
    provider: v.optional(
      v.union([v.literal(''), v.picklist(providers, `is not one of this service’s providers (${providers.join(', ')})`)]),
    ),
    rule: optionalText(200, 'a rule name'),
    outcome: v.optional(
      v.union([
        v.literal(''),
        v.picklist(
          OUTCOMES.map(([value]) => value),
          'is not one of the outcomes offered',
        ),
      ]),
    ),
    from: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(WALL_TIME, 'is not a date and time (e.g. 2026-11-23T09:00)'))])),
    to: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(WALL_TIME, 'is not a date and time (e.g. 2026-11-23T17:30)'))])),
    before: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(/^[1-9]\d{0,14}$/, 'is not a position in the list'))])),
  })

/**
 * The query string of the Calls page, checked field by field: the filters the query runs with, the values to
 * show back in the form, and a message per field that is not valid (then nothing is searched).
 */
export const parseCallFilters = (
  query: Record<string, string>,
  context: FilterContext,
): { filters?: CallFilters; values: FilterValues; errors: FilterErrors } => {
  const errors: FilterErrors = {}
  // What the form shows back: what was typed, whatever it was.
  const values: FilterValues = Object.fromEntries(
    [...FILTER_FIELDS, 'before'].flatMap((field) => (typeof query[field] === 'string' ? [[field, query[field].trim()]] : [])),
  )
  const parsed = v.safeParse(schemaFor(context), query)
  if (!parsed.success) {
    for (const issue of parsed.issues) {
      const key = String(issue.path?.[0]?.key ?? '')
      const field = (key === KEPT_NUMBER_FIELD ? 'number' : key) as FilterField
      // A union's own "invalid type" says less than the check inside it that failed.
      const message = issue.issues?.find((inner) => inner.type !== 'literal')?.message ?? issue.message
      errors[field] ??= message
    }
    return { values, errors }
  }
  const input = parsed.output
  const filters: CallFilters = { from: context.now - DEFAULT_PERIOD_MS }

  let number = input.number ?? ''
  if (number.includes('•')) {
    // The masked echo a viewer's form sends back: the number it stands for is in the hidden field.
    const kept = input[KEPT_NUMBER_FIELD] ? keptNumber(input[KEPT_NUMBER_FIELD]) : undefined
    if (kept && maskedNumber(kept) === number) number = kept
    else errors.number = 'is masked: type the whole number to search for it'
  }
  if (number && !errors.number) {
    const e164 = toE164(number, context.defaultCountry)
    if (!e164) errors.number = 'is not a phone number (local, starting with 0, or international, starting with +)'
    else {
      filters.callerForms = [...new Set([e164, e164.slice(1), nationalDialForm(e164) ?? e164])]
      values.number = number
    }
  }
  if (input.provider) filters.provider = input.provider
  if (input.rule) filters.rule = /^-?\d{1,9}$/.test(input.rule) ? { id: Number(input.rule) } : { name: input.rule }
  if (input.outcome) filters.outcome = input.outcome as Outcome
  if (input.from) {
    const from = instantOfWallTime(input.from, context.timeZone)
    if (from === undefined) errors.from = 'is not a real date and time'
    else filters.from = from
  }
  if (input.to) {
    const to = instantOfWallTime(input.to, context.timeZone)
    if (to === undefined) errors.to = 'is not a real date and time'
    else filters.to = to
  }
  if (filters.to !== undefined && !errors.from && filters.to < filters.from) errors.to = 'is before “From”'
  if (input.before) filters.before = Number(input.before)
  if (Object.keys(errors).length > 0) return { values, errors }
  if (!values.from) values.from = wallTimeField(filters.from, context.timeZone)
  return { filters, values, errors }
}
