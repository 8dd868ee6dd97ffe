import * as v from 'valibot'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { parseUntrustedJson } from '../../lib/parse-untrusted-json.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import { type CallStateToken, createCallStateTokens, type HmacSha256, stateForCollect, webhookUrl } from '../call-state-token.ts'
import {
  type Classified,
  defineProvider,
  type PartialCallEvent,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type RenderExtras,
  type SimulatedRequest,
} from '../provider.ts'
import { safeCallEvent, safeDecision } from '../safe-render.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { routeeCapabilities } from './capabilities.ts'
import { outboundCallRoutes } from './outbound-call-routes.ts'
import { createRouteeClient } from './routee-client.ts'
import { routeeNumber } from './routee-number.ts'

/**
 * Routee Voice: a number's dial-plan URL (inbound calls), the COLLECT eventUrl (digits typed), and status
 * callbacks. Every answer is a dial plan `{verbs: [...]}`; Routee waits 3 s and drops the call without one.
 * https://docs.routee.net/docs/dialplan-verbs
 *
 * Routee sends nothing but the digits to a COLLECT eventUrl, so the step, the attempt count and the
 * caller travel in the eventUrl we generate, in a signed token (HS256) that a caller cannot forge.
 */
export interface RouteeOptions {
  /** Signs the state in the eventUrls we hand out. */
  stateSecret: string
  /** HMAC-SHA256 for that signing. @default WebCrypto */
  hmac?: HmacSha256
  /** Where Routee reaches us, e.g. https://ivr.example.com; without it, the origin of the request. */
  publicUrl?: string
  /** Put into the eventUrl path when webhooks require it. */
  webhookSecret?: string
  /** The step an inbound call starts at (rules match it as from_layer). @default '1' */
  entryStep?: string
  /** @default 'GR' */
  defaultCountry?: string
  /** @default 1500 (of Routee's 3 s) */
  lookupDeadlineMs?: number
  /** SAY language when a rule gives none or a two-letter code Routee does not take. @default 'en-GB' */
  language?: string
  /** @default 'female' */
  voice?: 'female' | 'male'
  /** DIAL `from` when a rule gives no caller_id; default: the number the caller called. */
  callerId?: string
  /** What the caller hears when nothing can route the call. */
  sorryText?: string
  /** Seconds a state token stays valid. @default 3600 */
  stateTtlSeconds?: number
  now?: () => number
}

const PROVIDER = 'routee' as const
/** What Routee's status callbacks get (it reads nothing of it). */
const STATUS_ANSWER = { status: 200, contentType: 'application/json', body: '{}' }
const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'
/** The status a COLLECT post without tones is recorded with: the call ended (or # alone) with nothing typed. */
const NO_INPUT_STATUS = 'NoInput'
/** Re-prompts of the no-input path played from one answer, at most: rules that ask forever still end. */
const MAX_SILENT_PROMPTS = 5

/** Routee's SAY languages (its capabilities'); a rule may give just the language ("EN"), which picks the first of its kind. */
const LANGUAGES = routeeCapabilities.languages.codes

const DialPlanRequest = v.looseObject({
  messageId: v.optional(Text),
  conversationTrackingId: v.pipe(Text, v.nonEmpty('is empty')),
  from: v.optional(Text),
  to: v.optional(Text),
  collectedTones: v.optional(v.nullable(Text)),
})

type State = CallStateToken
type Collect = Extract<Decision, { action: 'collect' }>

/** Final statuses (https://docs.routee.net/docs/voice-messaging-statuses), compared without case or spaces ("No Answer"). */
const FINAL_STATUSES = new Set(['completed', 'busy', 'noanswer', 'failed', 'unsent', 'terminated'])

export const createRoutee = (options: RouteeOptions) => {
  const {
    stateSecret,
    publicUrl,
    webhookSecret,
    entryStep = '1',
    defaultCountry = 'GR',
    lookupDeadlineMs = 1500,
    language: defaultLanguage = 'en-GB',
    voice = 'female',
    callerId,
    sorryText = SORRY,
    stateTtlSeconds = 3600,
    now = Date.now,
  } = options
  const tokens = createCallStateTokens(stateSecret, stateTtlSeconds, now, options.hmac)

  const locale = (language: string): string | undefined => {
    const exact = LANGUAGES.find((candidate) => candidate.toLowerCase() === language.toLowerCase())
    if (exact) return exact
    if (language.toLowerCase() === defaultLanguage.slice(0, 2).toLowerCase()) return defaultLanguage
    return LANGUAGES.find((candidate) => candidate.slice(0, 2).toLowerCase() === language.toLowerCase())
  }

  /** A call step, with Routee's numbers read as Routee writes them (international, plus or not). */
  const callEvent = (call: { callId: string; from: string; to: string; step: string; attempt: number; dtmf: string }): CallEvent => ({
    ...stepEvent(PROVIDER, defaultCountry, call),
    didE164: routeeNumber(call.to, defaultCountry),
    caller: routeeNumber(call.from, defaultCountry),
  })

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    const body = routeeBody(request)
    const status = parseStatus(body)
    if (status) return status
    const parsed = v.safeParse(DialPlanRequest, body)
    const stateToken = request.query.state
    if (!parsed.success) {
      return {
        kind: 'invalid',
        reason: `invalid Routee request: ${describeIssues(parsed.issues)}`,
        partial: await partialFor(stateToken, body),
      }
    }
    const data = parsed.output
    const callId = data.conversationTrackingId
    if (data.collectedTones !== undefined && data.collectedTones !== null) {
      // Documented as "1,2,3,4", seen as "1234"; a trailing # ends the input.
      const dtmf = data.collectedTones.replace(/[^\d*]/g, '')
      // Routee posts the COLLECT's tones once more when the call is over, empty when none were submitted
      // (github.com/buildingidgr/dialplan, "Empty Input Behavior"): the answer is ignored, the caller is gone.
      // A notice, not a step: routing it would log a retry nobody heard. Our `{}` is not a dial plan, so
      // should # alone arrive while the call is live, Routee carries on with the plan it has: its PAUSE and
      // the no-input path, which is the answer for nothing typed.
      if (dtmf === '') {
        return {
          kind: 'status',
          status: { callId, status: NO_INPUT_STATUS, final: false, from: data.from, to: data.to },
          answer: STATUS_ANSWER,
        }
      }
      if (!stateToken) {
        // Routee posts tones only to a COLLECT eventUrl, and ours carry the state: without it the step is unknown.
        return {
          kind: 'invalid',
          reason: 'Routee COLLECT post without the state of an eventUrl we handed out',
          partial: await partialFor(undefined, data),
        }
      }
      const state = await readState(stateToken)
      if (!state) {
        return {
          kind: 'invalid',
          reason: 'Routee state token is forged, tampered with or expired',
          partial: await partialFor(undefined, data),
        }
      }
      if (state.c && state.c !== callId) {
        return {
          kind: 'invalid',
          reason: 'Routee state token belongs to another conversation',
          partial: await partialFor(undefined, data),
        }
      }
      return { kind: 'call', event: callEvent({ callId, from: state.f, to: state.t, step: state.s, attempt: state.a, dtmf }) }
    }
    if (stateToken) {
      // Our eventUrl, but no tones field: not a COLLECT post we know how to read.
      return { kind: 'invalid', reason: 'Routee post to an eventUrl without collectedTones', partial: await partialFor(stateToken, data) }
    }
    // The number's dial-plan URL: a new inbound call.
    return { kind: 'call', event: callEvent({ callId, from: data.from ?? '', to: data.to ?? '', step: entryStep, attempt: 1, dtmf: '' }) }
  }

  const readState = (token: string) => tokens.read(token)

  /**
   * What a fallback needs of a request that cannot be routed: the number called (the DIAL's `from`) and the
   * caller, from our state when it is ours, else from the fields Routee sends. Neither steers the call: the
   * answer goes back to whoever posted.
   */
  const partialFor = async (token: string | undefined, body: unknown): Promise<PartialCallEvent> => {
    const state = token ? await readState(token) : undefined
    if (state) return { provider: PROVIDER, did: state.t, callerRaw: state.f, layer: state.s }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const to = wireText(fields.to)
    const from = wireText(fields.from)
    const callId = wireText(fields.conversationTrackingId)
    return {
      provider: PROVIDER,
      ...(callId ? { callId } : {}),
      ...(to ? { did: to, didE164: routeeNumber(to, defaultCountry) } : {}),
      ...(from ? { callerRaw: from, caller: routeeNumber(from, defaultCountry) } : {}),
    }
  }

  /** DIAL's `from`: the rule's caller_id, ROUTEE_CALLER_ID, else the number the caller called. */
  const dialFrom = (decision: Extract<Decision, { action: 'dial' }>, event: Partial<CallEvent>): string | undefined =>
    decision.callerId || callerId || event.didE164 || (event.did ? routeeNumber(event.did, defaultCountry) : undefined)

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'go_to_layer':
        return 'action: Routee has no layers; give this rule options.providers.routee (e.g. collect or dial)'
      case 'say':
        return 'action: Routee cannot continue after an announcement without input; use collect, dial or hangup'
      case 'voicemail':
        return 'action: Routee has no voicemail (a plan cannot record the caller); use dial or hangup'
      case 'collect':
        return itemsProblem(decision.prompt, decision.language)
      case 'hangup':
        return itemsProblem(decision.items, decision.language)
      case 'dial':
        if (!dialTarget(decision)) return 'dial: Routee dials phone numbers in E.164 (phone:+30…), not extensions'
        return itemsProblem(decision.announce, decision.language)
      case 'provider_default':
        return undefined
    }
  }

  const itemsProblem = (items: SayItem[], language: string): string | undefined => {
    if (items.some((item) => item.type !== 'recording') && !locale(language)) {
      return `language: Routee does not speak ${language} (${LANGUAGES.join(', ')})`
    }
    const recording = items.find((item) => item.type === 'recording' && !/^https?:\/\//.test(item.value))
    return recording ? `say: Routee plays recordings from a URL, not "${recording.value}"` : undefined
  }

  /**
   * SAY and PLAY verbs. `bargeIn` makes the first tone end the verb and post every tone so far to the
   * COLLECT eventUrl at once (https://docs.routee.net/reference/say-verb): right for a one-key menu, but
   * before a PIN it would post "1" of "12345678". Without it the COLLECT still gathers every tone typed
   * anywhere in the plan, the prompt included, and posts them on # (https://docs.routee.net/reference/collect-verb).
   */
  const sayVerbs = (items: SayItem[], language: string, bargeIn = false): unknown[] =>
    items.map((item) =>
      item.type === 'recording'
        ? { type: 'PLAY', fileURL: item.value, bargeIn }
        : {
            type: 'SAY',
            message: { language: locale(language) ?? defaultLanguage, gender: voice, text: spoken(item) },
            bargeIn,
          },
    )

  const eventUrl = async (base: string, state: State) => {
    return `${webhookUrl(base, PROVIDER, webhookSecret)}?state=${await tokens.sign(state)}`
  }

  /**
   * A collect: the prompt, the plan's only COLLECT (two eventUrls in one plan would leave it to Routee which
   * gets the tones), a PAUSE to type in, then what a silent caller hears, all in this one answer, since
   * Routee posts nothing until # is pressed.
   */
  const collectVerbs = async (
    decision: Collect,
    event: Partial<CallEvent>,
    base: string,
    silent: readonly Decision[],
  ): Promise<unknown[]> => {
    const state = stateForCollect(decision.layer, event)
    // Only a one-key COLLECT may end the prompt at the first tone: that tone is all it takes.
    const bargeIn = decision.maxDigits === 1
    return [
      ...sayVerbs(decision.prompt, decision.language, bargeIn),
      {
        type: 'COLLECT',
        eventUrl: await eventUrl(base, state),
        submitOnHash: true,
        ...(decision.maxDigits ? { maxDigits: decision.maxDigits } : {}),
      },
      { type: 'PAUSE', duration: decision.timeoutSeconds },
      ...(await silentVerbs(decision, { ...event, layer: decision.layer, attempt: state.a }, base, silent, bargeIn)),
    ]
  }

  /**
   * The no-input path: each re-prompt the rules give a silent caller (a collect at the same step) as its
   * prompt and PAUSE, without a COLLECT of its own (the plan's COLLECT gathers what is typed then, for the
   * attempt it was handed out for), up to the first answer that is not a collect: a DIAL, a goodbye. When the
   * path is not known to its end, or asks at another step (whose tones would reach this step's eventUrl),
   * the caller hears ROUTEE_SORRY_TEXT: no answer the rules gave can be played there.
   */
  const silentVerbs = async (asked: Collect, event: Partial<CallEvent>, base: string, path: readonly Decision[], bargeIn: boolean) => {
    const verbs: unknown[] = []
    for (const [index, next] of path.entries()) {
      if (next.action !== 'collect') return [...verbs, ...(await verbsFor(next, event, base, [], true))]
      if (next.layer !== asked.layer || index >= MAX_SILENT_PROMPTS) break
      verbs.push(...sayVerbs(next.prompt, next.language, bargeIn), { type: 'PAUSE', duration: next.timeoutSeconds })
    }
    return [...verbs, ...sorry()]
  }

  const dialTarget = (decision: Extract<Decision, { action: 'dial' }>) =>
    decision.targets.find((candidate) => candidate.type === 'phone' && candidate.value.startsWith('+'))

  /** The verbs of an answer; `silent` is what a caller who types nothing gets next, for a collect. */
  const verbsFor = async (
    decision: Decision,
    event: Partial<CallEvent>,
    base: string,
    silent: readonly Decision[],
    endOfNoInputPath = false,
  ): Promise<unknown[]> => {
    switch (decision.action) {
      case 'collect':
        return collectVerbs(decision, event, base, silent)
      case 'dial': {
        const target = dialTarget(decision)
        const from = dialFrom(decision, event)
        if (!target) return sorry()
        if (!from) {
          // A DIAL needs a sender, and a request that names no number called (one that could not be read)
          // has none to give. "Connecting you" followed by the apology would hang up on the caller while the
          // decision log says "dial". As the answer itself, this fails the render, so the router logs and
          // answers the provider's failover with this reason; at the end of a no-input path, the apology.
          if (endOfNoInputPath) return sorry()
          throw new Error("dial: no DIAL `from`: the request names no number called; set ROUTEE_CALLER_ID or the rule's options.caller_id")
        }
        return [
          ...sayVerbs(decision.announce, decision.language),
          {
            type: 'DIAL',
            from,
            to: { phone: target.value },
            hangupDelay: decision.maxDialDuration,
            maxDuration: decision.maxCallDuration,
            record: decision.record,
          },
        ]
      }
      case 'hangup':
        // A plan needs a verb: a goodbye with nothing to say is a moment's silence, then the plan ends.
        return decision.items.length > 0 ? sayVerbs(decision.items, decision.language) : [{ type: 'PAUSE', duration: 1 }]
      default:
        return sorry()
    }
  }

  const sorry = () => [{ type: 'SAY', message: { language: defaultLanguage, gender: voice, text: sorryText } }]

  const render = async (decision: Decision, event: Partial<CallEvent>, extras: RenderExtras = {}): Promise<ProviderAnswer> => {
    const base = (publicUrl ?? extras.origin ?? '').replace(/\/+$/, '')
    const silent = extras.noInputPath ?? (extras.noInput ? [extras.noInput] : [])
    const verbs = await verbsFor(decision, event, base, silent)
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ verbs }) }
  }

  /**
   * Status callbacks: any body with a `status` (`{name}` as documented, or a bare name) is one, never a call
   * to route, whatever else it holds. Read field by field: Routee's docs give every type as a string in their
   * example (`"duration": "number"`, `"respectQuietHours": "boolean"`), so numbers may come as text.
   */
  const parseStatus = (body: unknown): Classified | undefined => {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('status' in body)) return undefined
    const fields = body as Record<string, unknown>
    const status = fields.status
    const name = wireText(typeof status === 'object' && status !== null ? (status as { name?: unknown }).name : status) ?? 'Unknown'
    return {
      kind: 'status',
      status: {
        callId: wireText(fields.conversationTrackingId) ?? wireText(fields.messageId) ?? '',
        status: name,
        final: FINAL_STATUSES.has(name.replace(/[\s_-]/g, '').toLowerCase()),
        durationMs: seconds(fields.duration),
        from: wireText(fields.from),
        to: wireText(fields.to),
      },
      answer: STATUS_ANSWER,
    }
  }

  /** The dial plan that asks for a PIN: for outbound verification calls. */
  const promptPlan = async (base: string, step: string, prompt: SayItem[], to: string, from: string, timeoutSeconds = 10) => {
    const decision: Decision = { action: 'collect', layer: step, prompt, timeoutSeconds, language: defaultLanguage, customData: {} }
    const event = safeCallEvent({ provider: PROVIDER, callerRaw: to, did: from })
    return { verbs: await verbsFor(safeDecision(decision), event, base.replace(/\/+$/, ''), []) }
  }

  const handler = {
    lookupDeadlineMs,
    classify,
    check,
    render,
    // At the entry step with nothing typed: the number's dial-plan request. Otherwise the COLLECT post that
    // would come back to an eventUrl of ours, with the state we would have signed into it.
    simulatedRequest: async ({ did, caller, dtmf, layer }): Promise<SimulatedRequest> =>
      (layer === '' || layer === entryStep) && dtmf === ''
        ? { method: 'POST', query: {}, body: { messageId: 'simulated', conversationTrackingId: 'simulated', from: caller, to: did } }
        : {
            method: 'POST',
            query: { state: await tokens.sign({ s: layer || entryStep, a: 1, f: caller, t: did, c: 'simulated' }) },
            body: { messageId: 'simulated', conversationTrackingId: 'simulated', collectedTones: dtmf },
          },
  } satisfies ProviderHandler
  return { ...handler, promptPlan }
}

/**
 * Routee posts JSON. A JSON body sent with a form content type reaches us decoded as a form: one field named
 * after the JSON text (or a few, split at & and =). The raw text is read as JSON then.
 */
const routeeBody = (request: ProviderRequest): unknown => {
  const { body, rawBody } = request
  const formOfJson =
    typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).some((key) => key.trimStart().startsWith('{'))
  if (!formOfJson || !rawBody?.trimStart().startsWith('{')) return body
  const parsed = parseUntrustedJson(rawBody)
  return parsed.ok ? parsed.value : body
}

/** A field Routee sends as text or as a number, as trimmed text; undefined when empty or neither. */
const wireText = (value: unknown): string | undefined => {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : ''
  return text === '' ? undefined : text
}

/** A duration in seconds, as a number or as text ("95", "95.4"); undefined when it is neither. */
const seconds = (value: unknown): number | undefined => {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
  return Number.isFinite(number) && number >= 0 ? Math.round(number * 1000) : undefined
}

export type RouteeHandler = ReturnType<typeof createRoutee>

const secret16 = () => envSecret(16, 'must be at least 16 characters')
const optionalText = () => v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty()))

export const routee = defineProvider({
  id: PROVIDER,
  name: 'Routee',
  config: v.object({
    ROUTEE_STATE_SECRET: setting(
      secret16(),
      'Signs the state in the eventUrls we hand Routee; default: STATE_SECRET, then WEBHOOK_SECRET.',
    ),
    ROUTEE_DEFAULT_COUNTRY: setting(envCountry('GR'), 'Country of numbers Routee sends without a country code.'),
    ROUTEE_LOOKUP_DEADLINE_MS: setting(envInteger(1500, 50), "Milliseconds the CRM lookup may take, inside Routee's 3 s."),
    ROUTEE_ENTRY_STEP: setting(envText('1'), 'The step an inbound call starts at (rules match it as from_layer).'),
    ROUTEE_PIN_STEP: setting(envText('5'), 'The step the digits of an outbound PIN call come back to.'),
    ROUTEE_PIN_PROMPT: setting(
      envText('Please enter your account number and then press the pound key.'),
      'What an outbound PIN call says.',
    ),
    ROUTEE_LANGUAGE: setting(envText('en-GB'), 'SAY language when a rule gives none or one Routee does not speak.'),
    ROUTEE_VOICE: setting(v.optional(v.picklist(['female', 'male']), 'female'), 'SAY voice: female or male.'),
    ROUTEE_CALLER_ID: setting(optionalText(), 'DIAL `from` when a rule gives no caller_id; default: the number the caller called.'),
    ROUTEE_SORRY_TEXT: setting(envText(SORRY), 'What a caller hears when nothing can route the call.'),
    ROUTEE_APP_ID: setting(optionalText(), 'Routee application id, for outbound PIN calls (POST /admin/routee/calls).'),
    ROUTEE_APP_SECRET: setting(optionalText(), 'Routee application secret, for outbound PIN calls.'),
    ROUTEE_AUTH_URL: setting(v.pipe(envText('https://auth.routee.net'), v.url()), "Routee's OAuth server."),
    ROUTEE_API_URL: setting(v.pipe(envText('https://connect.routee.net'), v.url()), "Routee's API."),
  }),
  capabilities: routeeCapabilities,
  create: (config, services) => {
    const handler = createRoutee({
      stateSecret: config.ROUTEE_STATE_SECRET ?? services.stateSecret,
      hmac: services.hmac,
      publicUrl: services.publicUrl,
      webhookSecret: services.webhookSecret,
      entryStep: config.ROUTEE_ENTRY_STEP,
      defaultCountry: config.ROUTEE_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.ROUTEE_LOOKUP_DEADLINE_MS,
      language: config.ROUTEE_LANGUAGE,
      voice: config.ROUTEE_VOICE,
      callerId: config.ROUTEE_CALLER_ID,
      sorryText: config.ROUTEE_SORRY_TEXT,
    })
    const client =
      config.ROUTEE_APP_ID && config.ROUTEE_APP_SECRET
        ? createRouteeClient({
            applicationId: config.ROUTEE_APP_ID,
            applicationSecret: config.ROUTEE_APP_SECRET,
            authUrl: config.ROUTEE_AUTH_URL,
            apiUrl: config.ROUTEE_API_URL,
            fetch: services.fetch,
          })
        : undefined
    return { ...handler, adminRoutes: outboundCallRoutes({ client, handler, config, services }) }
  },
})

const spoken = (item: SayItem): string => {
  // Read digit by digit ("0 5 0 1"), as Voicenter's Digits does.
  if (item.type === 'digits') return item.value.split('').join(' ')
  return item.value
}
