import * as v from 'valibot'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { type Logger, silentLogger } from '../../lib/logger.ts'
import { safeText } from '../../lib/safe-text.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import { type CallStateToken, createCallStateTokens, type HmacSha256, stateForCollect, webhookUrl } from '../call-state-token.ts'
import {
  type Classified,
  defineProvider,
  type PartialCallEvent,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type ProviderServices,
  type RenderExtras,
  type SimulatedRequest,
} from '../provider.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { stringeeCapabilities } from './capabilities.ts'
import { answerAgentList, parseAgentList } from './stringee-agent-list.ts'
import { verifyStringeeSignature } from './stringee-signature.ts'
import { createStringeeSms, STRINGEE_API_URL, type StringeeSmsOptions } from './stringee-sms.ts'

/**
 * Stringee: the answer_url (GET from/to with uuid or callId, or neither for some app calls), our `input`
 * eventUrl (POST dtmf), our connect's onFailEventUrl (POST connect_failed) are answered with an SCCO (a JSON
 * array of actions); event_url status events and our record notices are logged; a queue's
 * get_list_agents_url is answered with whom to ring. Requests are signed with X-STRINGEE-SIGNATURE.
 * https://developer.stringee.com/docs/server/stringee-call-control-object
 */
export interface StringeeOptions {
  stateSecret: string
  /** HMAC-SHA256 for that signing. @default WebCrypto */
  hmac?: HmacSha256
  /** When set, requests without a valid X-STRINGEE-SIGNATURE are refused. */
  signingSecret?: string
  publicUrl?: string
  webhookSecret?: string
  /** @default '1' */
  entryStep?: string
  /** @default 'VN' */
  defaultCountry?: string
  /** @default 1500 (Stringee's customer-info hook allows 2 s) */
  lookupDeadlineMs?: number
  /** talk voice. @default 'female' */
  voice?: string
  sorryText?: string
  /** Stringee user ids a queue rings after the caller's CRM owner. */
  queueAgents?: readonly string[]
  /** Binds a call's first eventUrl to the call id of its first input event (when answer_url gave none). */
  callState?: ProviderServices['callState']
  /** Stringee's SMS REST API, for a decision's `sms`: its URL, API key and brandname. */
  sms?: Omit<StringeeSmsOptions, 'fetch' | 'log' | 'now'>
  fetch?: typeof fetch
  log?: Logger
  now?: () => number
}

const PROVIDER = 'stringee' as const
const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'
/** What Stringee's event_url status events get (it reads nothing of it). */
const STATUS_ANSWER = { status: 200, contentType: 'application/json', body: '{}' }
/**
 * Connects that may fail in one call before a failed one is no longer sent back to us: a failed layer whose
 * own connect fails (an operator desk that is also offline) would otherwise ring in a loop forever.
 */
const MAX_FAILED_CONNECTS = 3

const AnswerUrl = v.looseObject({
  from: Text,
  to: v.optional(Text, ''),
  uuid: v.optional(Text),
  callId: v.optional(Text),
  // 'true' when the call comes from the app (makeCall): from/to are then what the app gave, often user ids.
  fromInternal: v.optional(v.union([v.boolean(), v.string()])),
})
const InputEvent = v.looseObject({
  dtmf: v.optional(v.nullable(Text)),
  call_id: v.pipe(Text, v.nonEmpty('is empty')),
})
/** What Stringee posts to a connect's onFailEventUrl: the called party was busy, offline or did not answer. */
const ConnectFailed = v.looseObject({
  call_status: v.string(),
  call_id: v.pipe(Text, v.nonEmpty('is empty')),
})
const Party = v.union([Text, v.looseObject({ number: v.optional(Text) })])
const StatusEvent = v.looseObject({
  call_status: v.string(),
  call_id: v.pipe(Text, v.nonEmpty()),
  from: v.optional(Party),
  to: v.optional(Party),
  duration: v.optional(v.union([v.number(), v.string()])),
})

const FINAL = new Set(['ended', 'agentEnded'])
/** The `notice` of our record eventUrls, and the status its notice is logged as. */
const NOTICES: Record<string, string> = { record: 'recorded', voicemail: 'voicemail' }
/** Seconds of silence that end a voicemail message: the caller has finished speaking. */
const MESSAGE_SILENCE_SECONDS = 5

/**
 * What travels in the eventUrls we hand out, beside the step, attempt, caller and number called:
 * `c` Stringee's call id once known; `u` the answer_url's own id (uuid, or ours) until then; `i` an app call;
 * `x` connects failed so far; `k` on an onFailEventUrl: route the failed layer, or the fallback when the rule
 * named none.
 */
type StringeeState = CallStateToken & { u?: string; i?: number; x?: number; k?: 'layer' | 'fallback' }

/** Per-call data render needs, carried in the event (providerContext) from one request to the next. */
interface StringeeContext {
  /** Stringee's call id (`call-vn-…`), as input events and status events carry it; '' until known. */
  stringeeCallId?: string
  /** The answer_url's id when it gave no Stringee call id: the uuid of a number's answer_url, or ours. */
  answerId?: string
  /** '1' for a call made from the app (fromInternal): its from is a user id or the app's chosen number. */
  internal?: string
  failedConnects?: string
}

export const createStringee = (options: StringeeOptions): ProviderHandler => {
  const {
    stateSecret,
    signingSecret,
    publicUrl,
    webhookSecret,
    entryStep = '1',
    defaultCountry = 'VN',
    lookupDeadlineMs = 1500,
    voice = 'female',
    sorryText = SORRY,
    queueAgents = [],
    callState,
    log,
    now = Date.now,
  } = options
  const tokens = createCallStateTokens(stateSecret, 3600, now, options.hmac)
  const smsClient = createStringeeSms({ ...options.sms, fetch: options.fetch ?? fetch, log: log ?? silentLogger, now })
  if (smsClient.missing.length > 0) {
    // Rules with options.sms still route: the caller just gets no text. Half the settings is a mistake; none,
    // a deployment that sends no SMS.
    const partly = smsClient.missing.length < 3
    log?.[partly ? 'warn' : 'info'](`${smsClient.missing.join(', ')} not set: Stringee calls will be routed but send no SMS`)
  }

  const context = (values: StringeeContext): Readonly<Record<string, string>> =>
    Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => Boolean(entry[1])))

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    const notice = recordNotice(request)
    if (notice) return { kind: 'status', status: notice, answer: STATUS_ANSWER }
    const queued = parseAgentList(request, defaultCountry)
    if (queued) return { kind: 'question', answer: (tools) => answerAgentList(queued, tools.findCaller, queueAgents, log) }
    // Before status events: our onFailEventUrl is posted a call_status too, and it must be routed.
    if (request.query.state) return classifyCallback(request, request.query.state)
    const status = parseStatus(request)
    if (status) return { kind: 'status', status, answer: STATUS_ANSWER }
    return classifyAnswerUrl(request)
  }

  /** A new call: the number's answer_url (phone calls) or the project's (calls from the app). */
  const classifyAnswerUrl = (request: ProviderRequest): Classified => {
    const parsed = v.safeParse(AnswerUrl, { ...request.query, ...(typeof request.body === 'object' && request.body ? request.body : {}) })
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `invalid Stringee answer_url request: ${describeIssues(parsed.issues)}`,
        partial: { provider: PROVIDER },
      }
    const { from, to, uuid, callId, fromInternal } = parsed.output
    // callId is Stringee's call id, the one input and status events carry. A number's answer_url gives only
    // a uuid (newer ones both), and app calls may give neither: the call is then known by an id of ours
    // until its first input event tells Stringee's.
    const answerId = uuid || (callId ? undefined : `local-${crypto.randomUUID()}`)
    const internal = fromInternal === true || fromInternal === 'true'
    const event = stepEvent(PROVIDER, defaultCountry, {
      callId: callId || (answerId as string),
      from,
      to,
      step: request.query.layer ?? entryStep,
      attempt: 1,
      dtmf: '',
    })
    const providerContext = context({
      stringeeCallId: callId ? safeText(callId, 'id') : undefined,
      answerId: callId ? undefined : safeText(answerId as string, 'id'),
      internal: internal ? '1' : undefined,
    })
    return { kind: 'call', event: { ...event, providerContext } }
  }

  /** A request to one of our eventUrls: an input result, or a connect that failed. */
  const classifyCallback = async (request: ProviderRequest, token: string): Promise<Classified> => {
    const state = (await tokens.read(token)) as StringeeState | undefined
    if (!state)
      return { kind: 'invalid', reason: 'Stringee state token is forged, tampered with or expired', partial: { provider: PROVIDER } }
    const failed = v.safeParse(ConnectFailed, request.body)
    const parsed = failed.success ? failed : v.safeParse(InputEvent, request.body)
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `invalid Stringee input event: ${describeIssues(parsed.issues)}`,
        partial: { provider: PROVIDER, layer: state.s },
      }
    const callId = parsed.output.call_id
    const refusal = await boundElsewhere(state, callId)
    const providerContext = context({
      stringeeCallId: safeText(callId, 'id'),
      internal: state.i ? '1' : undefined,
      failedConnects: state.x ? String(state.x) : undefined,
    })
    // The number called is ours, not a secret: the fallback can still use it to connect.
    if (refusal) return { kind: 'invalid', reason: refusal, partial: { provider: PROVIDER, callId, did: state.t, providerContext } }
    const call = { callId, from: state.f, to: state.t, step: state.s, attempt: state.a }
    if (failed.success) {
      const event = { ...stepEvent(PROVIDER, defaultCountry, { ...call, dtmf: '' }), providerContext }
      if (state.k === 'layer') return { kind: 'call', event }
      // The rule that dialled named no failed layer: the fallback for its step says where the caller goes.
      const partial: PartialCallEvent = event
      return { kind: 'invalid', reason: 'Stringee could not connect the call and the rule names no failed_layer', partial }
    }
    // The digits typed, also with timeout:true: a caller who types an account number and no # ends the input
    // by its timeout, and those digits are what they meant. Nothing typed is dtmf "".
    const typed = 'dtmf' in parsed.output ? parsed.output.dtmf : undefined
    const dtmf = (typeof typed === 'string' ? typed : '').replace(/[^\d*#]/g, '')
    return { kind: 'call', event: { ...stepEvent(PROVIDER, defaultCountry, { ...call, dtmf }), providerContext } }
  }

  /**
   * Why the state cannot be used with this call id, if it cannot. A state bound to Stringee's call id must
   * come back with it. The first state of a call whose answer_url gave no Stringee call id is bound to the
   * call id of the first request it comes back with, so it cannot be replayed for another call.
   */
  const boundElsewhere = async (state: StringeeState, callId: string): Promise<string | undefined> => {
    if (state.c) return state.c === callId ? undefined : 'Stringee state token belongs to another call'
    if (!state.u || !callState) return undefined
    const key = `answer:${state.u}`
    try {
      const bound = (await callState.get(PROVIDER, key))?.callId
      if (bound === undefined) await callState.set(PROVIDER, key, { callId })
      else if (bound !== callId) return 'Stringee state token belongs to another call'
    } catch (error) {
      // The signature (or the webhook secret) still vouches for the request: the caller is not dropped for this.
      log?.warn('Stringee call binding not stored', { callId, error: (error as Error).message })
    }
    return undefined
  }

  const parseStatus = (request: ProviderRequest) => {
    const parsed = v.safeParse(StatusEvent, request.body)
    if (!parsed.success) return undefined
    const number = (value: unknown) =>
      typeof value === 'string' ? value : ((value as { number?: string } | undefined)?.number ?? undefined)
    const duration = Number(parsed.output.duration)
    return {
      callId: parsed.output.call_id,
      status: parsed.output.call_status,
      final: FINAL.has(parsed.output.call_status),
      durationMs: Number.isFinite(duration) ? duration * 1000 : undefined,
      from: number(parsed.output.from),
      to: number(parsed.output.to),
    }
  }

  /**
   * What Stringee posts to our record or recordMessage action's eventUrl when the recording is ready: logged
   * as a status, `recorded` (a recorded call) or `voicemail` (a message left).
   */
  const recordNotice = (request: ProviderRequest) => {
    const status = NOTICES[request.query.notice ?? '']
    if (!status) return undefined
    const body = request.body as { call_id?: unknown } | undefined
    const callId = typeof body?.call_id === 'string' && body.call_id ? body.call_id : request.query.call
    return callId ? { callId, status, final: false } : undefined
  }

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'go_to_layer':
        return 'action: Stringee answers with call-control actions, not layers; give this rule options.providers.stringee'
      case 'say':
        return 'action: Stringee cannot continue after an announcement without input; use collect, dial or hangup'
      case 'dial':
        if (decision.targets.length === 0) return 'dial: no target'
        return decision.targets[0]?.value === '' ? 'dial: empty target' : undefined
      default:
        return undefined
    }
  }

  const talk = (items: SayItem[], bargeIn = false) =>
    items.map((item) =>
      item.type === 'recording'
        ? { action: /^https?:\/\//.test(item.value) ? 'stream' : 'play', fileName: item.value, bargeIn }
        : { action: 'talk', text: item.type === 'digits' ? item.value.split('').join(' ') : item.value, voice, bargeIn },
    )

  /** The state for an eventUrl of this call that comes back at `step`. */
  const stateFor = (step: string, event: Partial<CallEvent>, extra: Partial<StringeeState> = {}): StringeeState => {
    const ctx: StringeeContext = event.providerContext ?? {}
    // Bound only to Stringee's own call id: a uuid is never what the eventUrl's request carries.
    const state: StringeeState = stateForCollect(step, { ...event, callId: ctx.stringeeCallId || undefined })
    if (!ctx.stringeeCallId && ctx.answerId) state.u = ctx.answerId
    if (ctx.internal) state.i = 1
    const failed = Number(ctx.failedConnects ?? 0)
    if (failed > 0) state.x = failed
    return { ...state, ...extra }
  }

  /**
   * Who the call comes from, as connect shows it to the agent or the number dialled: the rule's caller_id,
   * else the caller (a number; a user id or the app's number for an app call), else the number called.
   */
  const connectFrom = (decision: Extract<Decision, { action: 'dial' }>, event: Partial<CallEvent>) => {
    const ctx: StringeeContext = event.providerContext ?? {}
    const caller = (event.callerRaw ?? '').trim()
    const asNumber = (value: string | undefined) => (value && /^\+?\d+$/.test(value.trim()) ? value.trim().replace(/^\+/, '') : '')
    const ruled = asNumber(decision.callerId)
    if (ruled) return { type: 'external', number: ruled, alias: ruled }
    if (ctx.internal && caller) return { type: 'internal', number: caller, alias: caller }
    const number = asNumber(caller) || asNumber(event.did)
    return number ? { type: 'external', number, alias: number } : undefined
  }

  const callIdOf = (event: Partial<CallEvent>) => event.providerContext?.stringeeCallId || event.callId || ''

  /**
   * The number an SMS to the caller goes to: their number's digits, country code first (E.164 without its
   * plus, as Stringee writes numbers). An app call's from is a user id or the app's chosen number, and a
   * withheld or unreadable one is no number: no SMS then.
   */
  const smsNumber = (event: Partial<CallEvent>): string | undefined => {
    if (event.providerContext?.internal) return undefined
    const number = event.caller ?? ''
    return /^\+\d{6,15}$/.test(number) ? number.slice(1) : undefined
  }

  /** Sends the decision's SMS once the answer is out (the core runs it after the decision is recorded). */
  const smsFollowUp = (decision: Decision, event: Partial<CallEvent>): Pick<ProviderAnswer, 'followUp'> => {
    const text = 'sms' in decision ? decision.sms : undefined
    if (!text) return {}
    const to = smsNumber(event)
    const callId = callIdOf(event)
    if (!to) {
      log?.info("Stringee SMS not sent: the caller's number is not known", { callId })
      return {}
    }
    return { followUp: async () => void (await smsClient.send({ to, text, callId })) }
  }

  const render = async (decision: Decision, event: Partial<CallEvent>, extras: RenderExtras = {}): Promise<ProviderAnswer> => {
    const hook = webhookUrl((publicUrl ?? extras.origin ?? '').replace(/\/+$/, ''), PROVIDER, webhookSecret)
    const eventUrl = async (state: StringeeState) => `${hook}?state=${await tokens.sign(state)}`
    let actions: unknown[]
    switch (decision.action) {
      case 'collect': {
        actions = [
          ...talk(decision.prompt, true),
          // Stringee posts timeout:true when nothing is typed, so the no-input path comes from the rules then.
          {
            action: 'input',
            eventUrl: await eventUrl(stateFor(decision.layer, event)),
            submitOnHash: true,
            timeout: decision.timeoutSeconds,
            ...(decision.maxDigits ? { maxDigits: decision.maxDigits } : {}),
          },
        ]
        break
      }
      case 'dial': {
        const target = decision.targets[0] as { type: 'phone' | 'extension'; value: string }
        const from = connectFrom(decision, event)
        // connect needs a caller number: unknown in a broken request, so the caller hears the apology.
        if (!from) {
          actions = [...talk(decision.announce), { action: 'talk', text: sorryText, voice }]
          break
        }
        const failed = Number(event.providerContext?.failedConnects ?? 0)
        // A connect that fails (agent offline, busy, no answer) comes back to us: the rules route the call
        // from the failed layer, or the fallback for this step when the rule names none.
        const onFail =
          failed < MAX_FAILED_CONNECTS
            ? {
                continueOnFail: true,
                onFailEventUrl: await eventUrl(
                  stateFor(decision.failedLayer ?? event.layer ?? entryStep, event, {
                    x: failed + 1,
                    k: decision.failedLayer ? 'layer' : 'fallback',
                  }),
                ),
              }
            : {}
        const callId = callIdOf(event)
        actions = [
          ...talk(decision.announce),
          // Recording needs the record action before connect and the media through Stringee's server.
          ...(decision.record
            ? [{ action: 'record', eventUrl: `${hook}?notice=record&call=${encodeURIComponent(callId)}`, format: 'mp3' }]
            : []),
          {
            action: 'connect',
            from,
            // An extension is a Stringee user (an agent in the app); a phone is dialled out.
            to:
              target.type === 'extension'
                ? { type: 'internal', number: target.value, alias: decision.callerName ?? target.value }
                : { type: 'external', number: target.value.replace(/^\+/, ''), alias: target.value },
            customData: JSON.stringify(decision.customData),
            timeout: decision.maxDialDuration,
            maxConnectTime: decision.maxCallDuration,
            peerToPeerCall: !decision.record,
            ...onFail,
          },
        ]
        break
      }
      case 'hangup':
        actions = talk(decision.items)
        break
      case 'voicemail':
        // recordMessage is the SCCO's voice message (seed 002's key-press action 1): the prompt is heard to
        // its end (no bargeIn), then a beep, and the message ends at maxSeconds or after a silence. The
        // notice that it is ready comes back to us and is logged as status voicemail.
        actions = [
          ...talk(decision.prompt),
          {
            action: 'recordMessage',
            eventUrl: `${hook}?notice=voicemail&call=${encodeURIComponent(callIdOf(event))}`,
            format: 'mp3',
            beepStart: true,
            timeout: decision.maxSeconds,
            silenceTimeout: MESSAGE_SILENCE_SECONDS,
          },
        ]
        break
      default:
        actions = [{ action: 'talk', text: sorryText, voice }]
    }
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(actions), ...smsFollowUp(decision, event) }
  }

  return {
    lookupDeadlineMs,
    classify,
    check,
    render,
    verify: async (request) => (signingSecret ? verifyStringeeSignature(signingSecret, request) : true),
    // At the entry step with nothing typed: the number's answer_url. Otherwise the input event that would come
    // back to an eventUrl of ours, with the state we would have signed into it (bound to the simulated call).
    simulatedRequest: async ({ did, caller, dtmf, layer }): Promise<SimulatedRequest> =>
      (layer === '' || layer === entryStep) && dtmf === ''
        ? { method: 'GET', query: { from: caller, to: did, uuid: 'simulated' }, body: undefined }
        : {
            method: 'POST',
            query: { state: await tokens.sign({ s: layer || entryStep, a: 1, f: caller, t: did, c: 'simulated' }) },
            body: { dtmf, call_id: 'simulated', timeout: dtmf === '' },
          },
  }
}

export const stringee = defineProvider({
  id: PROVIDER,
  name: 'Stringee',
  config: v.object({
    STRINGEE_SIGNING_SECRET: setting(envSecret(), "The project's signing secret: requests must then carry a valid X-STRINGEE-SIGNATURE."),
    STRINGEE_STATE_SECRET: setting(
      envSecret(16, 'must be at least 16 characters'),
      'Signs the state in input eventUrls; default: STATE_SECRET, then WEBHOOK_SECRET.',
    ),
    STRINGEE_DEFAULT_COUNTRY: setting(envCountry('VN'), 'Country of numbers Stringee sends without a country code.'),
    STRINGEE_LOOKUP_DEADLINE_MS: setting(envInteger(1500, 50), 'Milliseconds the CRM lookup may take.'),
    STRINGEE_ENTRY_STEP: setting(envText('1'), 'The step an inbound call starts at (rules match it as from_layer).'),
    STRINGEE_VOICE: setting(envText('female'), 'The talk voice.'),
    STRINGEE_SORRY_TEXT: setting(envText(SORRY), 'What a caller hears when nothing can route the call.'),
    STRINGEE_QUEUE_AGENTS: setting(
      v.optional(
        v.pipe(
          v.string(),
          v.transform((list) =>
            list
              .split(',')
              .map((id) => id.trim())
              .filter(Boolean),
          ),
        ),
      ),
      "Stringee user ids, comma-separated, that a queue's get_list_agents_url rings in order after the caller's CRM owner; without them a caller with no owner gets no agent.",
    ),
    STRINGEE_API_KEY_SID: setting(envSecret(), "The API key SID (from Stringee's dashboard) that issues the SMS API's REST tokens."),
    STRINGEE_API_KEY_SECRET: setting(envSecret(), "That API key's secret: signs the SMS API's REST tokens (HS256)."),
    STRINGEE_SMS_FROM: setting(
      v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'is empty'))),
      "The brandname registered with Stringee that SMS to callers come from (a rule's options.sms); without it, or the API key, no SMS is sent and calls are routed all the same.",
    ),
    STRINGEE_API_URL: setting(v.pipe(envText(STRINGEE_API_URL), v.url()), "Stringee's REST API, where SMS are sent."),
  }),
  capabilities: stringeeCapabilities,
  create: (config, services) =>
    createStringee({
      stateSecret: config.STRINGEE_STATE_SECRET ?? services.stateSecret,
      hmac: services.hmac,
      signingSecret: config.STRINGEE_SIGNING_SECRET,
      publicUrl: services.publicUrl,
      webhookSecret: services.webhookSecret,
      entryStep: config.STRINGEE_ENTRY_STEP,
      defaultCountry: config.STRINGEE_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.STRINGEE_LOOKUP_DEADLINE_MS,
      voice: config.STRINGEE_VOICE,
      sorryText: config.STRINGEE_SORRY_TEXT,
      queueAgents: config.STRINGEE_QUEUE_AGENTS,
      callState: services.callState,
      sms: {
        apiUrl: config.STRINGEE_API_URL,
        keySid: config.STRINGEE_API_KEY_SID,
        keySecret: config.STRINGEE_API_KEY_SECRET,
        from: config.STRINGEE_SMS_FROM,
      },
      fetch: services.fetch,
      log: services.log,
    }),
})
