import type { CallLogOutbox } from '../crm/call-log-outbox.ts'
import type { LookupService } from '../crm/lookup-service.ts'
import type { CallStateStore } from '../db/call-state-store.ts'
import type { DecisionLog } from '../db/decision-log.ts'
import { AppError } from '../lib/app-error.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { Metrics } from '../lib/metrics.ts'
import type { CallEvent, Decision, LookupKey, LookupResult } from '../model/call-event.ts'
import type { ActiveProvider, CallStatus, Classified, PartialCallEvent, ProviderAnswer, ProviderRequest } from '../providers/provider.ts'
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
  /** Where call logs for the CRM go; absent = no call logging. */
  callLogs?: CallLogOutbox
  metrics?: Metrics
  defaults: DecisionDefaults
  log: Logger
  clock?: () => Date
  /** Takes secrets out of text before it is stored (request URLs and answers may carry the webhook secret). */
  redact?: (text: string) => string
}

export interface RoutedCall {
  answer: ProviderAnswer
  /** Settles (never rejects) when the decision is committed or kept for retry; on Workers hand it to waitUntil. */
  recorded: Promise<void>
  /** The call's CRM log being queued, when there is one: work that may finish after the answer. */
  logged?: Promise<void>
}

const NOTHING_TYPED: LookupResult = { key: 'pin', outcome: 'not_found', reason: 'nothing typed', plugins: [], ms: 0 }
/** Silences followed in one answer's no-input path: rules that re-prompt forever still give a finite answer. */
const MAX_SILENT_STEPS = 6
const EMPTY_SNAPSHOT: RuleSnapshot = { revision: -1, rules: [], fallbacks: [], invalid: [] }
const REQUEST_LOG_LIMIT = 4096

/**
 * The path every webhook takes: parse → count the attempt → look the caller up → rules → render → log.
 * Whatever fails on the way, the provider still gets a valid answer (a fallback, or its own failover).
 */
export const createCallRouter = ({
  rules,
  lookups,
  callState,
  decisionLog,
  callLogs,
  metrics,
  defaults,
  log,
  clock = () => new Date(),
  redact = (text) => text,
}: CallRouterOptions) => {
  interface Routing {
    event: CallEvent | PartialCallEvent
    attempt: number
    results: Partial<Record<LookupKey, LookupResult>>
    evaluation: Omit<Evaluation, 'trace'> & { trace?: Evaluation['trace'] }
    /** For a collect answer on a provider that needs it: the answer when nothing is typed. */
    noInput?: Decision
    /** And the answers to each further silence, up to the first that is not a collect. */
    noInputPath?: Decision[]
    problems: string[]
    /** The routing revision the rules came from (a call keeps its first step's across a publish). */
    revision?: number
  }

  /** Count the attempt, look the caller up and pick the answer; failures become problems, not throws. */
  const decide = async (
    provider: ActiveProvider,
    classified: Routable,
    at: Date,
    background?: (task: Promise<unknown>) => void,
    /** A simulation: the attempt is given, and nothing is written. */
    simulatedAttempt?: number,
  ): Promise<Routing> => {
    const { handler } = provider
    const check = handler.check
    const routing: Routing = {
      event: { provider: provider.id },
      attempt: 1,
      results: {},
      evaluation: { decision: { action: 'provider_default' } },
      problems: [],
    }
    const { problems } = routing
    try {
      // A live call step is routed on the revision its call started on; the simulator uses the live rules.
      const pinned = simulatedAttempt === undefined && classified.kind === 'call'
      const snapshot = await (pinned ? rules.forCall(provider.id, classified.event.callId) : rules.current()).catch((error: unknown) => {
        problems.push(`rules unavailable: ${errorMessage(error)}`)
        return EMPTY_SNAPSHOT
      })
      if (snapshot !== EMPTY_SNAPSHOT) routing.revision = snapshot.revision
      if (classified.kind === 'invalid') {
        routing.event = classified.partial
        problems.push(classified.reason)
        const input = { event: asEvent(classified.partial), at, attempt: 1, lookups: {} }
        routing.evaluation = fallbackFor(snapshot, input, defaults, check, classified.reason)
        return routing
      }
      const call = classified.event
      routing.event = call
      if (simulatedAttempt !== undefined) routing.attempt = simulatedAttempt
      else if (call.attempt !== undefined) routing.attempt = call.attempt
      else if (countsAttempts(snapshot, call, at)) {
        routing.attempt = await callState.visit(call.provider, call.callId, call.layer ?? '').catch((error: unknown) => {
          problems.push(`call state unavailable: ${errorMessage(error)}`)
          return 1
        })
      }
      const keys = plannedLookups(snapshot, call, at, routing.attempt)
      const found = await Promise.all(
        keys.map((key) =>
          lookups.lookup(key, key === 'pin' ? call.dtmf.replace(/\D/g, '') : call.caller, handler.lookupDeadlineMs, { background }),
        ),
      )
      routing.results = Object.fromEntries(found.map((result) => [result.key, result]))
      // Only the simulator shows which rules were considered and why.
      const traced = simulatedAttempt !== undefined
      routing.evaluation = evaluate(snapshot, { event: call, at, attempt: routing.attempt, lookups: routing.results }, defaults, check, {
        traced,
      })
      const { decision } = routing.evaluation
      if (decision.action === 'collect' && provider.capabilities.noInput === 'in-answer') {
        // What the rules would answer if the caller typed nothing at the step being asked for, and again at
        // each re-prompt that answer gives, until they stop asking: the provider hears of none of these
        // silences, so its one answer must hold them all.
        const lookupsWithoutPin = { ...routing.results, pin: NOTHING_TYPED }
        const path: Decision[] = []
        let asked: Decision = decision
        let from = call.layer
        let attempt = routing.attempt
        while (asked.action === 'collect' && path.length < MAX_SILENT_STEPS) {
          attempt = asked.layer === from ? attempt + 1 : 1
          const silent: CallEvent = { ...call, layer: asked.layer, dtmf: '' }
          const next = evaluate(snapshot, { event: silent, at, attempt, lookups: lookupsWithoutPin }, defaults, check, {
            traced: false,
          }).decision
          path.push(next)
          from = asked.layer
          asked = next
        }
        routing.noInput = path[0]
        routing.noInputPath = path
      }
    } catch (error) {
      // A bug or a broken dependency: the caller still gets the provider's own failover.
      problems.push(`routing failed: ${errorMessage(error)}`)
      log.error('routing failed', { provider: provider.id, error: errorMessage(error), stack: (error as Error).stack })
      routing.evaluation = { decision: { action: 'provider_default' } }
    }
    return routing
  }

  /**
   * Renders the decision; a render that throws (a bug) falls back to the provider's own failover.
   * Returns the evaluation that was answered.
   */
  const answerFor = async (provider: ActiveProvider, routing: Routing, origin: string | undefined) => {
    let { evaluation } = routing
    let answer: ProviderAnswer
    try {
      answer = await provider.handler.render(evaluation.decision, routing.event, {
        origin,
        noInput: routing.noInput,
        noInputPath: routing.noInputPath,
      })
    } catch (error) {
      routing.problems.push(`render failed: ${errorMessage(error)}`)
      evaluation = { decision: { action: 'provider_default' } }
      answer = await provider.handler.render(evaluation.decision, routing.event, { origin })
    }
    return { answer, evaluation }
  }

  /**
   * A classified call step (or an invalid request) through lookups, rules and render, then recorded.
   * @param background runs work that must outlive the answer (waitUntil on Workers).
   */
  const route = async (
    provider: ActiveProvider,
    classified: Routable,
    request: ProviderRequest,
    background?: (task: Promise<unknown>) => void,
  ): Promise<RoutedCall> => {
    const started = performance.now()
    const at = clock()
    const routing = await decide(provider, classified, at, background)
    const { event, results, problems } = routing
    const { answer, evaluation } = await answerFor(provider, routing, request.origin)

    const used = evaluation.lookupKey ? results[evaluation.lookupKey] : (results.caller ?? results.pin)
    const reason = reasonOf(evaluation, problems)
    if (!evaluation.rule) {
      const fields = { provider: provider.id, callId: event.callId, reason, action: evaluation.decision.action }
      if (problems.length > 0) log.warn('call answered with a fallback', fields)
      // An ordinary call, not news: a line per call at info would put logging on every such call's path;
      // the decision log keeps each one with its reason.
      else log.debug('no rule matched; fallback answered', fields)
    }
    const recorded = decisionLog.record({
      at: at.toISOString(),
      provider: provider.id,
      callId: event.callId ?? null,
      did: event.did ?? null,
      caller: event.caller ?? event.callerRaw ?? null,
      dtmf: event.dtmf ?? null,
      layer: event.layer ?? null,
      attempt: routing.attempt,
      lookupKey: used?.key ?? null,
      lookupOutcome: used?.outcome ?? null,
      contactId: used?.contact ? `${used.contact.source}:${used.contact.id}` : null,
      // A CRM's error message may quote a key it was sent; what is stored is redacted like the request.
      lookups: Object.keys(results).length > 0 ? redact(JSON.stringify(Object.values(results).map(withoutContact))) : null,
      ruleId: evaluation.rule?.id ?? null,
      ruleName: evaluation.rule?.name ?? (evaluation.fallback ? `fallback: ${evaluation.fallback.name}` : null),
      action: evaluation.decision.action,
      answer: redact(answer.body),
      reason: reason ? redact(reason) : null,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      request: redact(requestText(request)),
      revision: routing.revision ?? null,
    })
    if (metrics) observe(metrics, provider.id, evaluation, Object.values(results), performance.now() - started)
    const contact = used?.contact
    // The summary line is only written for a contact whose CRM takes call logs.
    const logged =
      callLogs && contact && event.callId && callLogs.logs(contact.source)
        ? callLogs
            .enqueue({ event: event as CallEvent, contact, at, summary: summaryLine(at, event as CallEvent, evaluation) })
            .catch((error: unknown) => log.error('call log not queued', { callId: event.callId, error: errorMessage(error) }))
        : undefined
    return { answer, recorded, logged }
  }
  /** A provider's call-status callback: into the decision log, and onto the call's pending CRM log. */
  const recordStatus = async (provider: string, status: CallStatus, request: ProviderRequest) => {
    await Promise.all([
      decisionLog.record({
        at: clock().toISOString(),
        provider,
        callId: status.callId,
        caller: status.from ?? null,
        did: status.to ?? null,
        action: `status:${status.status}`,
        answer: '{}',
        durationMs: status.durationMs ?? null,
        request: redact(requestText(request)),
      }),
      status.final && callLogs
        ? callLogs.annotate(provider, status.callId, { status: status.status, durationMs: status.durationMs }).catch((error: unknown) => {
            log.warn('call status not added to the call log', { callId: status.callId, error: errorMessage(error) })
          })
        : undefined,
    ])
  }

  /**
   * The live pipeline without its side effects: no call state, no decision log, no CRM call log. Shows the
   * normalised call, each lookup per plugin, every rule considered and why, and the exact answer.
   */
  const simulate = async (provider: ActiveProvider, request: ProviderRequest, at: Date, attempt = 1) => {
    const classified = await provider.handler.classify(request)
    if (classified.kind === 'status' || classified.kind === 'question') {
      throw new AppError(
        'BAD_REQUEST',
        `request: this is a ${classified.kind === 'status' ? 'call-status notice' : 'question from the provider'}, not a call step to route`,
      )
    }
    const routing = await decide(provider, classified, at, undefined, attempt)
    const { answer, evaluation } = await answerFor(provider, routing, request.origin)
    let body: unknown = answer.body
    try {
      body = JSON.parse(answer.body)
    } catch {
      // XML and other formats are shown as text.
    }
    return {
      call: routing.event,
      attempt: routing.attempt,
      lookups: routing.results,
      rules: evaluation.trace ?? [],
      rule: evaluation.rule ?? null,
      fallback: evaluation.fallback ?? null,
      reason: reasonOf(evaluation, routing.problems) ?? null,
      decision: evaluation.decision,
      answer: { status: answer.status, contentType: answer.contentType, body },
    }
  }

  /**
   * A recorded call step routed again on each rule set given (a draft's preview: the live rules and the
   * draft), with one set of lookups for all, so the answers differ only by the rules. Nothing is written.
   * Undefined when the step is not a call step (a status notice, an unreadable request).
   */
  const replay = async (
    provider: ActiveProvider,
    request: ProviderRequest,
    at: Date,
    attempt: number,
    snapshots: readonly RuleSnapshot[],
  ) => {
    const classified = await provider.handler.classify(request)
    if (classified.kind !== 'call') return undefined
    const call = classified.event
    const keys = [...new Set(snapshots.flatMap((snapshot) => plannedLookups(snapshot, call, at, attempt)))]
    const found = await Promise.all(
      keys.map((key) => lookups.lookup(key, key === 'pin' ? call.dtmf.replace(/\D/g, '') : call.caller, provider.handler.lookupDeadlineMs)),
    )
    const results = Object.fromEntries(found.map((result) => [result.key, result]))
    return Promise.all(
      snapshots.map(async (snapshot) => {
        const evaluation = evaluate(snapshot, { event: call, at, attempt, lookups: results }, defaults, provider.handler.check, {
          traced: false,
        })
        const rendered = await answerFor(provider, { event: call, attempt, results, evaluation, problems: [] }, request.origin)
        return { evaluation: rendered.evaluation, answer: rendered.answer }
      }),
    )
  }

  /** The caller's contact by phone, within a deadline (for provider hooks that only want data). */
  const findCaller = (phone: string | undefined, deadlineMs: number) => lookups.lookup('caller', phone, deadlineMs)

  return { route, recordStatus, simulate, replay, findCaller }
}

export type CallRouter = ReturnType<typeof createCallRouter>

/** What the router routes: a call step, or a request that could not be read (answered by a fallback). */
export type Routable = Extract<Classified, { kind: 'call' | 'invalid' }>

const observe = (metrics: Metrics, provider: string, evaluation: Omit<Evaluation, 'trace'>, lookups: LookupResult[], ms: number) => {
  metrics.requests({ provider })
  metrics.requestSeconds({ provider }, ms / 1000)
  const rule = evaluation.rule?.name ?? (evaluation.fallback ? `fallback: ${evaluation.fallback.name}` : 'none')
  metrics.decisions({ provider, rule, action: evaluation.decision.action })
  if (!evaluation.rule) metrics.fallbacks({ provider })
  for (const result of lookups) {
    metrics.lookups({ key: result.key, outcome: result.outcome, cache: result.cache ?? 'none' })
    metrics.lookupSeconds({ key: result.key }, result.ms / 1000)
    for (const plugin of result.plugins) {
      if (plugin.outcome !== 'error' && plugin.outcome !== 'skipped') continue
      metrics.crmErrors({ plugin: plugin.plugin, kind: plugin.kind ?? 'error' })
    }
  }
}

/** One line of a call's CRM log: when, where in the IVR, which rule, what the caller was answered. */
const summaryLine = (at: Date, event: CallEvent, evaluation: Omit<Evaluation, 'trace'>): string => {
  const where = [`${event.provider} layer ${event.layer ?? '-'}`, event.dtmf ? `typed ${event.dtmf}` : ''].filter(Boolean).join(', ')
  const why = evaluation.rule
    ? `rule "${evaluation.rule.name}"`
    : evaluation.fallback
      ? `fallback "${evaluation.fallback.name}"`
      : 'no rule'
  return `${at.toISOString()} ${where}: ${why} → ${describe(evaluation.decision)}`
}

const describe = (decision: Decision): string => {
  switch (decision.action) {
    case 'go_to_layer':
      return `layer ${decision.layer}`
    case 'say':
      return `announced ${decision.items.map((item) => `${item.type} ${item.value}`).join(', ')}, then layer ${decision.nextLayer}`
    case 'dial':
      return `dialled ${decision.targets.map((target) => `${target.type} ${target.value}`).join(', ')}`
    case 'collect':
      return `asked for digits at step ${decision.layer}`
    case 'hangup':
      return 'hung up'
    case 'voicemail':
      return `voicemail (messages up to ${decision.maxSeconds} s)`
    case 'provider_default':
      return "the provider's own failover"
  }
}

/** Why the call got its answer; a problem the fallback already names (an invalid request) is said once. */
const reasonOf = (evaluation: { reason?: string }, problems: string[]): string | undefined => {
  const parts = [evaluation.reason, ...problems.filter((problem) => !evaluation.reason?.includes(problem))]
  return parts.filter(Boolean).join('; ') || undefined
}

const asEvent = (partial: PartialCallEvent): CallEvent => ({
  callId: '',
  did: '',
  callerRaw: '',
  dtmf: '',
  ...partial,
})

const withoutContact = ({ contact, ...result }: LookupResult) => ({ ...result, contactId: contact?.id })

/** The request as stored in the decision log: the body, or the query for GET; never the `token` parameter. */
const requestText = (request: ProviderRequest): string => {
  let payload = request.body !== undefined && request.body !== '' ? request.body : request.query
  if (payload === request.query && 'token' in request.query) {
    const { token: _secret, ...rest } = request.query
    payload = rest
  }
  let text: string
  try {
    text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  } catch (error) {
    // Bodies are depth-bounded when read, but a log line must never be what fails a call.
    text = `(request not serialisable: ${errorMessage(error)})`
  }
  return text.length > REQUEST_LOG_LIMIT ? `${text.slice(0, REQUEST_LOG_LIMIT)}…` : text
}
