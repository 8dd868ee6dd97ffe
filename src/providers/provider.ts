import type { Hono } from 'hono'
import type { GenericSchema, InferOutput } from 'valibot'
import type { Logger } from '../lib/logger.ts'
import type { CallEvent, Decision, LookupResult, ProviderId, RenderCheck } from '../model/call-event.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { HmacSha256 } from './call-state-token.ts'

/** A provider's webhook request, read from HTTP once: the body is parsed by the core, never again. */
export interface ProviderRequest {
  method: string
  /** Scheme, host and port the request came in on, for URLs the answer points back at. */
  origin?: string
  /** The full URL, path and query, as the runtime's URL parser gave it. */
  url?: string
  /**
   * The request-target (path and query) exactly as it came on the wire, where the runtime keeps it (Node);
   * what GET signatures cover. Workers only have `url`.
   */
  target?: string
  /** The body exactly as received (what POST signatures cover). */
  rawBody?: string
  /** Lower-case header names; only read for providers that verify signatures. */
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
  /** Headers the provider needs back (RingCentral's Validation-Token echo); content-type is set from contentType. */
  headers?: Record<string, string>
  /**
   * Work the answer stands for but that happens after it (RingCentral's REST commands and the state they
   * need). It runs after the decision (or the status notice) is recorded, never in a simulation.
   */
  followUp?: () => Promise<void>
}

/** What could be read from a request that did not parse (e.g. the layer), so the right fallback still answers. */
export type PartialCallEvent = Partial<CallEvent> & { provider: ProviderId }

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

/** What the core offers a provider's question (a request that asks for data rather than routing). */
export interface QuestionTools {
  /** The caller's contact by phone (E.164), within the provider's lookup deadline. */
  findCaller(phone: string | undefined): Promise<LookupResult>
}

/**
 * What came in, as the provider reads it:
 * - `call`: a call step to route (through lookups and rules, rendered by `render`);
 * - `status`: a notice about a call, recorded and answered with `answer`;
 * - `question`: the provider asks for data (Stringee's queue asking whom to ring), answered by `answer`;
 * - `invalid`: a request that could not be read, with what could be read, so the right fallback answers.
 *
 * `acknowledge` on `call` and `invalid` is the provider's "answer now, act later": the core sends it at
 * once and routes in the background, the decision's answer then going out as `followUp` (RingCentral).
 */
export type Classified =
  | { kind: 'call'; event: CallEvent; acknowledge?: ProviderAnswer }
  | { kind: 'status'; status: CallStatus; answer: ProviderAnswer }
  | { kind: 'question'; answer(tools: QuestionTools): Promise<ProviderAnswer> }
  | { kind: 'invalid'; reason: string; partial: PartialCallEvent; acknowledge?: ProviderAnswer }

export interface RenderExtras {
  origin?: string
  /**
   * For a collect answer on a provider whose capabilities say `noInput: 'in-answer'`: what happens when the
   * caller types nothing, decided by the rules up front.
   */
  noInput?: Decision
  /**
   * With `noInput`: every answer a caller who goes on typing nothing gets in turn, `noInput` first, up to the
   * first that is not a collect (a re-prompt's own silence is answered by the next). A provider that posts
   * nothing without digits (Routee) plays them all from one answer.
   */
  noInputPath?: Decision[]
}

/** A request in a provider's format, as the simulator builds it from the fields. */
export type SimulatedRequest = Pick<ProviderRequest, 'method' | 'query' | 'body'>

/** Fields of the simulator (admin API and `npm run simulate`), turned into a request in the provider's format. */
export interface SimulatedCall {
  did: string
  caller: string
  dtmf: string
  layer: string
}

/**
 * One telephony provider, created from its config: reads its requests and writes decisions in its format.
 * `classify` may read the provider's own call state (services.callState); `render` does no I/O: work that
 * must happen after the answer goes into the answer's `followUp`.
 */
export interface ProviderHandler {
  /** How long the CRM may take before the rules see a timeout, inside the provider's own deadline. */
  lookupDeadlineMs: number
  /** Checks the provider's own request signature, where it signs; false refuses the request (401). */
  verify?(request: ProviderRequest): Promise<boolean>
  /** The core reads the request's headers for this provider (it always does for one that has `verify`). */
  readsHeaders?: boolean
  classify(request: ProviderRequest): Classified | Promise<Classified>
  /** Refuses decisions this provider cannot carry out, so the next rule is tried. */
  check: RenderCheck
  render(decision: Decision, event: Partial<CallEvent>, extras?: RenderExtras): ProviderAnswer | Promise<ProviderAnswer>
  /** A request as the provider would send it for these fields; without it the simulator needs the raw request. */
  simulatedRequest?(call: SimulatedCall): SimulatedRequest | Promise<SimulatedRequest>
  /** Admin endpoints of this provider's own (Routee's outbound calls), mounted under /admin/<id>. */
  adminRoutes?: Hono
}

/** What the core hands every provider when it is created. */
export interface ProviderServices {
  log: Logger
  fetch: typeof fetch
  /** Keeps a provider's own per-call data between a call's requests (RingCentral's parties and step). */
  callState: {
    get(provider: string, callId: string): Promise<Record<string, unknown> | undefined>
    set(provider: string, callId: string, value: Record<string, unknown>): Promise<void>
  }
  /** Where providers reach this service (PUBLIC_URL); without it, the origin of the request. */
  publicUrl?: string
  /** Put into URLs we hand out when webhooks require it. */
  webhookSecret?: string
  /** Signs state that travels in URLs we hand a provider; stable across restarts when configured. */
  stateSecret: string
  /** HMAC-SHA256 for that signing: WebCrypto unless the runtime has a faster one (Node). */
  hmac: HmacSha256
}

/**
 * A provider as the registry lists it: its id (the /webhooks/<id> path and rules' `provider`), its own
 * settings (a valibot object over its own environment variables), what it can do, and how to create it.
 */
export interface ProviderDefinition<Schema extends GenericSchema = GenericSchema> {
  /** kebab-case, unique */
  id: ProviderId
  /** The product's name, for people: "Voicenter". */
  name: string
  /** Its settings, from environment variables (Node) or Worker vars and secrets; documented from this schema. */
  config: Schema
  capabilities: ProviderCapabilities
  create(config: InferOutput<Schema>, services: ProviderServices): ProviderHandler
}

/** Identity helper: checks a provider definition and infers its config type, as definePlugin does for CRMs. */
export const defineProvider = <const Id extends ProviderId, Schema extends GenericSchema>(
  definition: ProviderDefinition<Schema> & { id: Id },
): ProviderDefinition<Schema> & { id: Id } => definition

/** A provider created for this service: its definition's id, name and capabilities, and its handler. */
export interface ActiveProvider {
  id: ProviderId
  name: string
  capabilities: ProviderCapabilities
  handler: ProviderHandler
}
