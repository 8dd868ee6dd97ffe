import type { CallEvent, LookupKey, LookupResult } from '../call-event.ts'
import type { LookupService } from '../crm/lookup-service.ts'
import type { CallStateStore } from '../db/call-state-store.ts'
import type { DecisionLog } from '../db/decision-log.ts'
import { errorMessage, type Logger } from '../logger.ts'
import type { PartialCallEvent, ProviderAdapter, ProviderAnswer, ProviderRequest } from '../providers/provider.ts'
import {
  countsAttempts,
  type DecisionDefaults,
  type Evaluation,
  evaluate,
  fallbackFor,
  plannedLookups,
  type RuleSnapshot,
} from '../rules/engine.ts'
import type { RuleCache } from '../rules/rule-cache.ts'

export interface CallRouterOptions {
  rules: RuleCache
  lookups: LookupService
  callState: CallStateStore
  decisionLog: DecisionLog
  defaults: DecisionDefaults
  log: Logger
  clock?: () => Date
}

export interface RoutedCall {
  answer: ProviderAnswer
  /** Settles when the decision is stored; on Workers hand it to waitUntil. */
  recorded: Promise<void>
}

const EMPTY_SNAPSHOT: RuleSnapshot = { revision: -1, rules: [], fallbacks: [], invalid: [] }
const REQUEST_LOG_LIMIT = 4096

/**
 * The path every webhook takes: parse → count the attempt → look the caller up → rules → render → log.
 * Whatever fails on the way, the provider still gets a valid answer (a fallback, or its own failover).
 */
export const createCallRouter = ({ rules, lookups, callState, decisionLog, defaults, log, clock = () => new Date() }: CallRouterOptions) => {
  const route = async (adapter: ProviderAdapter, request: ProviderRequest): Promise<RoutedCall> => {
    const started = performance.now()
    const at = clock()
    const problems: string[] = []
    let event: CallEvent | PartialCallEvent = { provider: adapter.id }
    let attempt = 1
    let results: Partial<Record<LookupKey, LookupResult>> = {}
    let evaluation: Omit<Evaluation, 'trace'>

    try {
      const snapshot = await rules.current().catch((error: unknown) => {
        problems.push(`rules unavailable: ${errorMessage(error)}`)
        return EMPTY_SNAPSHOT
      })
      const parsed = adapter.parse(request)
      if (parsed.ok) {
        const call = parsed.event
        event = call
        if (countsAttempts(snapshot, call, at)) {
          attempt = await callState.visit(call.provider, call.callId, call.layer ?? '').catch((error: unknown) => {
            problems.push(`call state unavailable: ${errorMessage(error)}`)
            return 1
          })
        }
        const keys = plannedLookups(snapshot, call, at, attempt)
        const found = await Promise.all(
          keys.map((key) => lookups.lookup(key, key === 'pin' ? call.dtmf.replace(/\D/g, '') : call.caller, adapter.lookupDeadlineMs)),
        )
        results = Object.fromEntries(found.map((result) => [result.key, result]))
        evaluation = evaluate(snapshot, { event: call, at, attempt, lookups: results }, defaults, adapter.check)
      } else {
        event = parsed.partial
        problems.push(parsed.reason)
        evaluation = fallbackFor(snapshot, { event: asEvent(parsed.partial), at, attempt, lookups: {} }, defaults, adapter.check, parsed.reason)
      }
    } catch (error) {
      // A bug or a broken dependency: the caller still gets the provider's own failover.
      problems.push(`routing failed: ${errorMessage(error)}`)
      log.error('routing failed', { provider: adapter.id, error: errorMessage(error), stack: (error as Error).stack })
      evaluation = { decision: { action: 'provider_default' } }
    }

    let answer: ProviderAnswer
    try {
      answer = adapter.render(evaluation.decision, event)
    } catch (error) {
      problems.push(`render failed: ${errorMessage(error)}`)
      evaluation = { decision: { action: 'provider_default' } }
      answer = adapter.render(evaluation.decision, event)
    }

    const durationMs = Math.round((performance.now() - started) * 100) / 100
    const used = evaluation.lookupKey ? results[evaluation.lookupKey] : (results.caller ?? results.pin)
    const reason = [evaluation.reason, ...problems].filter(Boolean).join('; ') || undefined
    if (!evaluation.rule) {
      const fields = { provider: adapter.id, callId: event.callId, reason, action: evaluation.decision.action }
      if (problems.length > 0) log.warn('call answered with a fallback', fields)
      else log.info('no rule matched; fallback answered', fields)
    }
    const recorded = decisionLog.record({
      at: at.toISOString(),
      provider: adapter.id,
      callId: event.callId ?? null,
      did: event.did ?? null,
      caller: event.caller ?? event.callerRaw ?? null,
      dtmf: event.dtmf ?? null,
      layer: event.layer ?? null,
      attempt,
      lookupKey: used?.key ?? null,
      lookupOutcome: used?.outcome ?? null,
      contactId: used?.contact ? `${used.contact.source}:${used.contact.id}` : null,
      lookups: Object.keys(results).length > 0 ? JSON.stringify(Object.values(results).map(withoutContact)) : null,
      ruleId: evaluation.rule?.id ?? null,
      ruleName: evaluation.rule?.name ?? (evaluation.fallback ? `fallback: ${evaluation.fallback.name}` : null),
      action: evaluation.decision.action,
      answer: answer.body,
      reason: reason ?? null,
      durationMs,
      request: requestText(request),
    })
    return { answer, recorded }
  }
  return { route }
}

export type CallRouter = ReturnType<typeof createCallRouter>

const asEvent = (partial: PartialCallEvent): CallEvent => ({
  callId: '',
  did: '',
  callerRaw: '',
  dtmf: '',
  ...partial,
})

const withoutContact = ({ contact, ...result }: LookupResult) => ({ ...result, contactId: contact?.id })

const requestText = (request: ProviderRequest): string => {
  const payload = request.body !== undefined && request.body !== '' ? request.body : request.query
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  return text.length > REQUEST_LOG_LIMIT ? `${text.slice(0, REQUEST_LOG_LIMIT)}…` : text
}
