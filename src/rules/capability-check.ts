import type { DecisionAction } from '../model/call-event.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import { type CompiledAction, SMS_ACTIONS } from './compile-rule.ts'
import type { Template } from './template.ts'

/** What the check reads of a compiled rule, menu key or fallback: its provider scope and its answer. */
export interface AnsweringRow {
  /** The providers the row is scoped to (its `provider` column); undefined = every provider. */
  providers?: ReadonlySet<string>
  then: CompiledAction
}

/**
 * What a provider cannot do with the row's answer: the answer itself (`action`), what it dials
 * (`dial-target`, `phone`), what it says (`say-item`, `number`, `recording`, `language`), where it goes
 * (`layer`, `failed-layer`), what it sends after (`sms`).
 */
export type GapKind =
  | 'action'
  | 'dial-target'
  | 'phone'
  | 'say-item'
  | 'number'
  | 'recording'
  | 'language'
  | 'layer'
  | 'failed-layer'
  | 'sms'

/** Why a row cannot answer on one provider it applies to. */
export interface CapabilityGap {
  provider: string
  /**
   * The column to change: `action`, `dial`, `to_layer`, `say`, `language`, `options.failed_layer`, as
   * `options.providers.<id>.<column>` when the provider's own columns set it. Menu keys name theirs
   * (`action`, `target`, `layer`).
   */
  field: string
  /** The answer the provider would be asked to give. */
  action: DecisionAction
  /** What is missing, said of the provider: `has no go_to_layer`, `speaks HE, EN, AR, RU, not FR`. */
  reason: string
  /** What the row asks, said of no provider in the error: `answer "go_to_layer"`, `speak FR`. */
  asks: string
  /** The provider's side of it, when it has one: `speaks HE, EN, AR, RU`. */
  detail?: string
  kind: GapKind
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

/** How findings are worded for the kind of row: menu keys name their own columns. */
export type RowKind = 'rule' | 'fallback' | 'menu key'

/**
 * Holds a row against what each registered provider can do at all: for every provider the row applies to,
 * whether its answer there (the row's, or the provider's own columns in options.providers) is one the
 * provider has (`capabilities.actions`), whether a dial can ring one of its targets, and whether what is
 * fixed in the answer is something the provider takes: its language, its say items, the layers it goes to,
 * a dial's failed layer, the phone numbers it dials. A value a template fills in (`{{owner.layer}}`) is
 * only known on the call, so it is never held against a provider here: the engine and the provider's own
 * `check` judge it then. Pure.
 */
export const checkCapabilities = (
  row: AnsweringRow,
  capabilities: Readonly<Record<string, ProviderCapabilities>>,
  kind: RowKind = 'rule',
): CapabilityReport => {
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
    const answer = own ?? row.then
    const gap = answerGap(answer, capabilities[provider] as ProviderCapabilities)
    if (!gap) {
      report.answersOn.push(provider)
      continue
    }
    const field = own?.ownColumns?.includes(gap.field)
      ? `options.providers.${provider}.${gap.field}`
      : kind === 'menu key'
        ? menuKeyColumn(gap, answer)
        : gap.field
    report.gaps.push({ provider, ...gap, field, overridden: Boolean(own) })
  }
  return report
}

type AnswerGap = Omit<CapabilityGap, 'provider' | 'overridden'>

const SAID_ON: readonly DecisionAction[] = ['say', 'collect', 'hangup', 'dial', 'voicemail']

/** A template's text when it has no placeholder (the same on every call); undefined when a call fills it in. */
const fixed = (template: Template | undefined): string | undefined => (template?.constant ? template.source : undefined)

/** Why a provider with these capabilities cannot give this answer at all; undefined when it can. */
export const answerGap = (answer: CompiledAction, capabilities: ProviderCapabilities): AnswerGap | undefined => {
  const { action } = answer
  const gap = (kind: GapKind, field: string, asks: string, reason: string, detail?: string, targets: readonly string[] = []) => ({
    kind,
    field,
    action,
    asks,
    reason,
    ...(detail ? { detail } : {}),
    targets,
  })
  if (!capabilities.actions.includes(action)) return gap('action', 'action', `answer "${action}"`, `has no ${action}`)
  if (action === 'dial') {
    const targets = [...new Set(answer.dial.map((target) => target.type))]
    if (!targets.some((type) => capabilities.dialTargets.includes(type))) {
      const reason = capabilities.dialTargets.length > 0 ? `dials ${capabilities.dialTargets.join(' or ')} targets only` : 'cannot dial'
      return gap('dial-target', 'dial', `dial ${targets.join(' or ')} targets`, reason, undefined, targets)
    }
  }
  // A provider's own answer that cannot carry the SMS (options.providers.<id>.action: collect) sends none.
  if (answer.options.sms && SMS_ACTIONS.includes(action) && !capabilities.sms) {
    return gap('sms', 'options.sms', 'send an SMS', 'sends no SMS')
  }
  return layerGap(answer, capabilities) ?? sayGap(answer, capabilities) ?? phoneGap(answer, capabilities)

  function layerGap(answer: CompiledAction, { layers, dialNeedsFailedLayer }: ProviderCapabilities): AnswerGap | undefined {
    const checked: [field: string, layer: Template | undefined][] = []
    if (action === 'go_to_layer' || action === 'say' || action === 'collect') checked.push(['to_layer', answer.toLayer])
    if (layers?.failedLayers && action === 'say') checked.push(['options.failed_layer', answer.options.failedLayer])
    if (action === 'dial') {
      // The engine's order: options.failed_layer, else to_layer. A failed_layer a template fills in may
      // come out empty on a call, and then to_layer is used: neither is fixed.
      const failed = answer.options.failedLayer ?? answer.toLayer
      const field = answer.options.failedLayer ? 'options.failed_layer' : 'to_layer'
      if (!failed && dialNeedsFailedLayer) {
        return gap(
          'failed-layer',
          'options.failed_layer',
          'dial without a failed layer',
          'needs a layer for a dial that fails (options.failed_layer, or to_layer)',
        )
      }
      if (layers?.failedLayers && (answer.options.failedLayer === undefined || answer.options.failedLayer.constant)) {
        checked.push([field, failed])
      }
    }
    for (const [field, layer] of checked) {
      const value = fixed(layer)
      if (layers && value !== undefined && !layers.pattern.test(value)) {
        return gap('layer', field, `go to layer "${value}"`, `layers are ${layers.are}, not "${value}"`, `layers are ${layers.are}`)
      }
    }
    return undefined
  }

  function sayGap(answer: CompiledAction, capabilities: ProviderCapabilities): AnswerGap | undefined {
    const items = answer.say
    if (items.length === 0 || !(capabilities.saysOn ?? SAID_ON).includes(action)) return undefined
    const { sayItems, wholeNumbers, recordingUrls, languages } = capabilities
    if (languages && answer.language !== undefined && (!languages.spokenOnly || items.some((item) => item.type !== 'recording'))) {
      if (!speaks(languages.codes, answer.language)) {
        const detail = `speaks ${languages.codes.join(', ')}`
        return gap('language', 'language', `speak ${answer.language}`, `${detail}, not ${answer.language}`, detail)
      }
    }
    for (const item of items) {
      if (sayItems && !sayItems.includes(item.type)) {
        const detail = `says ${sayItems.join(', ')} items only`
        return gap('say-item', 'say', `say ${item.type} items`, `${detail}, not ${item.type}`, detail)
      }
      const value = fixed(item.value)
      if (value === undefined) continue
      if (wholeNumbers && item.type === 'number' && !/^-?\d+$/.test(value)) {
        return gap('number', 'say', `say the number ${value}`, `says whole numbers only, not ${value}`, 'says whole numbers only')
      }
      if (recordingUrls && item.type === 'recording' && !/^https?:\/\//.test(value)) {
        const detail = 'plays recordings from http(s) URLs only'
        return gap('recording', 'say', `play the recording "${value}"`, `${detail}, not "${value}"`, detail)
      }
    }
    return undefined
  }

  function phoneGap(answer: CompiledAction, { e164Phones }: ProviderCapabilities): AnswerGap | undefined {
    if (!e164Phones || action !== 'dial') return undefined
    const phones = answer.dial.filter((target) => target.type === 'phone').map((target) => fixed(target.value))
    // One phone a call fills in, or one in E.164, is enough: the provider dials the first it can.
    if (phones.length === 0 || phones.some((phone) => phone === undefined || phone.replace(/[\s()-]/g, '').startsWith('+'))) {
      return undefined
    }
    const shown = phones.join(', ')
    return gap('phone', 'dial', `dial ${shown}`, `dials phone numbers in E.164 only (phone:+…), not ${shown}`, 'dials E.164 numbers only')
  }
}

/** A language the provider takes: one of its codes, or the two-letter language of one of its locales. */
const speaks = (codes: readonly string[], language: string): boolean => {
  const wanted = language.toLowerCase()
  return codes.some((code) => code.toLowerCase() === wanted || (wanted.length === 2 && code.slice(0, 2).toLowerCase() === wanted))
}

/**
 * A menu key's columns are its own (`action`, `target`, `layer`, `say`): its target is the layer it goes
 * to or what it dials, and a dial key comes back to its own layer when the destination cannot be reached.
 */
const menuKeyColumn = (gap: AnswerGap, answer: CompiledAction): string => {
  switch (gap.field) {
    case 'to_layer':
      return answer.action === 'dial' ? 'layer' : 'target'
    case 'dial':
      return gap.kind === 'dial-target' ? 'action' : 'target'
    default:
      return gap.field
  }
}

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
    errors.push(`${groupedGaps(report.gaps, kind).join('; ')} — give options.providers.<id> or scope the ${kind} with provider`)
  }
  const warnings =
    errors.length > 0
      ? []
      : report.gaps.map((gap) => `${gap.provider}: ${gap.reason} (${gap.overridden ? 'change' : 'give'} options.providers.${gap.provider})`)
  for (const id of report.unknownOverrides) {
    warnings.push(`options.providers.${id}: "${id}" is not a registered provider, so these columns are never used`)
  }
  return { ...(errors.length > 0 ? { error: errors.join('; ') } : {}), warnings }
}

/** Gaps of the same column and cause read as one sentence naming the providers (and their side of it). */
const groupedGaps = (gaps: readonly CapabilityGap[], kind: RowKind): string[] => {
  const groups = new Map<string, { sentence: string; gaps: CapabilityGap[] }>()
  for (const gap of gaps) {
    const sentence = `${gap.field}: no provider this ${kind} applies to can ${gap.asks}`
    const group = groups.get(sentence) ?? { sentence, gaps: [] }
    group.gaps.push(gap)
    groups.set(sentence, group)
  }
  return [...groups.values()].map(({ sentence, gaps }) => {
    const detailed = gaps.some((gap) => gap.detail)
    const who = gaps.map((gap) => (gap.detail ? `${gap.provider}: ${gap.detail}` : gap.provider)).join(detailed ? '; ' : ', ')
    return `${sentence} (${who})`
  })
}

/** The check and the policy in one call: what the admin API and `rules:check` ask of every row. */
export const judgeCapabilities = (
  row: AnsweringRow,
  capabilities: Readonly<Record<string, ProviderCapabilities>>,
  kind: RowKind,
): CapabilityVerdict => capabilityVerdict(checkCapabilities(row, capabilities, kind), kind, Object.keys(capabilities))
