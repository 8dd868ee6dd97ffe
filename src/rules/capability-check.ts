import type { DecisionAction } from '../model/call-event.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { CompiledAction } from './compile-rule.ts'

/** What the check reads of a compiled rule, menu key or fallback: its provider scope and its answer. */
export interface AnsweringRow {
  /** The providers the row is scoped to (its `provider` column); undefined = every provider. */
  providers?: ReadonlySet<string>
  then: CompiledAction
}

/** Why a row cannot answer on one provider it applies to. */
export interface CapabilityGap {
  provider: string
  /** The column to change: `action` or `dial`, as `options.providers.<id>.action` when the provider has its own columns. */
  field: string
  /** The answer the provider would be asked to give. */
  action: DecisionAction
  /** What is missing, said of the provider: `has no go_to_layer`, `dials phone targets only`. */
  reason: string
  kind: 'action' | 'dial-target'
  /** The target types the row dials on this provider (kind `dial-target`). */
  targets: readonly string[]
  /** Whether the row already has options.providers.<id>. */
  overridden: boolean
}

export interface CapabilityReport {
  /** The registered providers the row applies to: its scope, or every registered provider. */
  appliesTo: string[]
  /** Those of them it can answer on. */
  answersOn: string[]
  /** Those it cannot answer on, and why. */
  gaps: CapabilityGap[]
  /** Providers the scope names that are not registered: the row would never match a call from them. */
  unknownScope: string[]
  /** options.providers entries for providers that are not registered: their columns are never used. */
  unknownOverrides: string[]
}

/**
 * Holds a row against what each registered provider can do at all: for every provider the row applies to,
 * whether its answer there (the row's, or the provider's own columns in options.providers) is one the
 * provider has (`capabilities.actions`), and, for a dial, whether the provider can ring at least one of its
 * target types (`capabilities.dialTargets`). What depends on the call (templates, the contact) is not
 * decidable here and is left to the engine. Pure.
 */
export const checkCapabilities = (row: AnsweringRow, capabilities: Readonly<Record<string, ProviderCapabilities>>): CapabilityReport => {
  const registered = Object.keys(capabilities)
  const scope = row.providers ? [...row.providers] : undefined
  const appliesTo = scope ? registered.filter((id) => scope.includes(id)) : registered
  const report: CapabilityReport = {
    appliesTo,
    answersOn: [],
    gaps: [],
    unknownScope: scope ? scope.filter((id) => !Object.hasOwn(capabilities, id)) : [],
    unknownOverrides: Object.keys(row.then.byProvider).filter((id) => !Object.hasOwn(capabilities, id)),
  }
  for (const provider of appliesTo) {
    const own = row.then.byProvider[provider]
    const gap = answerGap(own ?? row.then, capabilities[provider] as ProviderCapabilities)
    if (!gap) {
      report.answersOn.push(provider)
      continue
    }
    report.gaps.push({ provider, ...gap, field: own ? `options.providers.${provider}.${gap.field}` : gap.field, overridden: Boolean(own) })
  }
  return report
}

/** Why a provider with these capabilities cannot give this answer at all; undefined when it can. */
export const answerGap = (
  answer: CompiledAction,
  capabilities: ProviderCapabilities,
): Omit<CapabilityGap, 'provider' | 'overridden'> | undefined => {
  const { action } = answer
  if (!capabilities.actions.includes(action)) {
    return { field: 'action', action, reason: `has no ${action}`, kind: 'action', targets: [] }
  }
  if (action === 'dial') {
    const targets = [...new Set(answer.dial.map((target) => target.type))]
    if (!targets.some((type) => capabilities.dialTargets.includes(type))) {
      const reason = capabilities.dialTargets.length > 0 ? `dials ${capabilities.dialTargets.join(' or ')} targets only` : 'cannot dial'
      return { field: 'dial', action, reason, kind: 'dial-target', targets }
    }
  }
  return undefined
}

/** How findings are worded for the kind of row: rules and fallbacks have options.providers, menu keys only a scope. */
export type RowKind = 'rule' | 'fallback' | 'menu key'

export interface CapabilityVerdict {
  /** Set when the row must be refused: it can answer on none of the providers it applies to, or its scope names an unknown one. */
  error?: string
  /** Providers it applies to but cannot answer on, and overrides no registered provider reads: kept, and said. */
  warnings: string[]
}

/**
 * The policy: a row that can answer on none of the providers it applies to (or whose scope names a
 * provider that is not registered) is an error; one that can answer on some of them is kept, with a
 * warning for each provider it cannot answer on.
 */
export const capabilityVerdict = (report: CapabilityReport, kind: RowKind, registered: readonly string[]): CapabilityVerdict => {
  const errors: string[] = []
  for (const id of report.unknownScope) {
    errors.push(`provider: "${id}" is not a registered provider (${registered.join(', ')})`)
  }
  if (report.answersOn.length === 0 && report.gaps.length > 0) {
    const remedy = kind === 'menu key' ? 'scope the key with provider' : `give options.providers.<id> or scope the ${kind} with provider`
    errors.push(`${groupedGaps(report.gaps, kind).join('; ')} — ${remedy}`)
  }
  const warnings = errors.length > 0 ? [] : report.gaps.map((gap) => `${gap.provider}: ${gap.reason} (${remedyFor(gap, kind)})`)
  for (const id of report.unknownOverrides) {
    warnings.push(`options.providers.${id}: "${id}" is not a registered provider, so these columns are never used`)
  }
  return { ...(errors.length > 0 ? { error: errors.join('; ') } : {}), warnings }
}

const remedyFor = (gap: CapabilityGap, kind: RowKind) =>
  kind === 'menu key'
    ? `set the key's provider to leave ${gap.provider} out`
    : `${gap.overridden ? 'change' : 'give'} options.providers.${gap.provider}`

/** Gaps of the same column and cause read as one sentence naming the providers. */
const groupedGaps = (gaps: readonly CapabilityGap[], kind: RowKind): string[] => {
  const groups = new Map<string, { sentence: string; providers: string[] }>()
  for (const gap of gaps) {
    // A menu key has one column for its answer: whatever the cause, it is the key's action.
    const field = kind === 'menu key' ? 'action' : gap.field
    const what = gap.kind === 'action' ? `answer "${gap.action}"` : `dial ${gap.targets.join(' or ')} targets`
    const sentence = `${field}: no provider this ${kind} applies to can ${what}`
    const group = groups.get(sentence) ?? { sentence, providers: [] }
    group.providers.push(gap.provider)
    groups.set(sentence, group)
  }
  return [...groups.values()].map(({ sentence, providers }) => `${sentence} (${providers.join(', ')})`)
}

/** The check and the policy in one call: what the admin API and `rules:check` ask of every row. */
export const judgeCapabilities = (
  row: AnsweringRow,
  capabilities: Readonly<Record<string, ProviderCapabilities>>,
  kind: RowKind,
): CapabilityVerdict => capabilityVerdict(checkCapabilities(row, capabilities), kind, Object.keys(capabilities))
