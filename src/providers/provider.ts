import type { CallEvent, Decision, DecisionAction, LookupResult, ProviderId, RenderCheck } from '../model/call-event.ts'

/** A provider's webhook request, already read from HTTP. */
export interface ProviderRequest {
  method: string
  /** Scheme, host and port the request came in on, for URLs the answer points back at. */
  origin?: string
  /** The full URL, path and query (what GET signatures cover). */
  url?: string
  /** The body exactly as received (what POST signatures cover). */
  rawBody?: string
  /** Lower-case header names. */
  headers?: Record<string, string>
  query: Record<string, string>
  /** Parsed JSON or form fields; the raw text when it could not be parsed; undefined when empty. */
  body: unknown
}

/** What goes back on the wire. */
export interface ProviderAnswer {
  status: number
  contentType: string
  /** What is sent (and logged); with status 204 it is only logged. */
  body: string
  /** Work the answer stands for but that happens after it (RingCentral's REST commands). */
  followUp?: () => Promise<void>
}

/** What could be read from a request that did not parse (e.g. the layer), so the right fallback still answers. */
export type PartialCallEvent = Partial<CallEvent> & { provider: ProviderId }

export type ParseResult = { ok: true; event: CallEvent } | { ok: false; reason: string; partial: PartialCallEvent }

/** A call-status notice (ringing, answered, hung up): logged, never routed. */
export interface CallStatus {
  callId: string
  status: string
  /** The call is over. */
  final: boolean
  durationMs?: number
  from?: string
  to?: string
}

export interface RenderExtras {
  origin?: string
  /** For a collect answer: what happens when the caller types nothing (where the provider must say it up front). */
  noInput?: Decision
}

/**
 * One telephony provider: reads its request into a CallEvent and writes a Decision in its format.
 * Adapters do no I/O; the router does lookups, rules and logging for all of them.
 */
export interface ProviderAdapter {
  id: ProviderId
  /** How long the CRM may take before the rules see a timeout, inside the provider's own deadline. */
  lookupDeadlineMs: number
  /** The answers it can give at all; `rules:check` reports rules whose answer is not among them. */
  supports: readonly DecisionAction[]
  /** Whether a collect answer must carry its no-input path (Routee posts nothing without digits). */
  needsNoInputPath?: boolean
  parse(request: ProviderRequest): ParseResult | Promise<ParseResult>
  /** Refuses decisions this provider cannot carry out, so the next rule is tried. */
  check: RenderCheck
  render(decision: Decision, event: Partial<CallEvent>, extras?: RenderExtras): ProviderAnswer | Promise<ProviderAnswer>
  /** Answer at once (204) and route in the background: the provider waits for nothing (RingCentral). */
  answersFirst?: boolean
  /** Checks the provider's own request signature, where it signs; false refuses the request (401). */
  verify?(request: ProviderRequest): Promise<boolean>
  /**
   * Requests that are neither a call to route nor a status notice (Stringee's queue asking whom to ring):
   * the adapter answers them itself, with the caller lookup it is given. Undefined for other requests.
   */
  answerOther?(request: ProviderRequest, tools: { findCaller(phone: string | undefined): Promise<LookupResult> }): Promise<ProviderAnswer | undefined>
  /** Recognises status notices among the provider's requests; undefined for a routing request. */
  parseStatus?(request: ProviderRequest): CallStatus | undefined
  /** What a status notice is answered with. @default {} as JSON */
  statusAnswer?: ProviderAnswer
}
