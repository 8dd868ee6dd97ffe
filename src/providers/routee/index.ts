import * as v from 'valibot'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import { describeIssues } from '../../lib/issues.ts'
import { type CallStateToken, createCallStateTokens, stateForCollect, webhookUrl } from '../call-state-token.ts'
import { PROVIDER_CAPABILITIES } from '../capabilities.ts'
import { safeCallEvent, safeCheck, safeDecision, safeRender } from '../safe-render.ts'
import { stepEvent } from '../step-event.ts'
import type {
  CallStatus,
  ParseResult,
  PartialCallEvent,
  ProviderAdapter,
  ProviderAnswer,
  ProviderRequest,
  RenderExtras,
} from '../provider.ts'

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

/** Routee's SAY languages; a rule may give just the language ("EN"), which picks the first of its kind. */
const LANGUAGES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'it-IT', 'pt-BR', 'es-ES', 'es-LA', 'el-GR', 'bg-BG', 'pl-PL', 'hu-HU', 'sv-SE', 'ru-RU']

const Text = v.pipe(v.union([v.string(), v.number()]), v.transform((value) => String(value).trim()))

const DialPlanRequest = v.looseObject({
  messageId: v.optional(Text),
  conversationTrackingId: v.pipe(Text, v.nonEmpty('is empty')),
  from: v.optional(Text),
  to: v.optional(Text),
  collectedTones: v.optional(v.nullable(Text)),
})

const StatusRequest = v.looseObject({
  conversationTrackingId: v.pipe(Text, v.nonEmpty()),
  messageId: v.optional(Text),
  from: v.optional(Text),
  to: v.optional(Text),
  status: v.looseObject({ name: v.string(), updatedDate: v.optional(v.string()) }),
  duration: v.optional(v.nullable(v.number())),
  direction: v.optional(v.string()),
})

type State = CallStateToken


const FINAL_STATUSES = new Set(['Completed', 'Busy', 'NoAnswer', 'Failed', 'Unsent', 'Terminated'])

export const routee = (options: RouteeOptions) => {
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
    sorryText = 'Sorry, we cannot take your call right now. Please try again later.',
    stateTtlSeconds = 3600,
    now = Date.now,
  } = options
  const tokens = createCallStateTokens(stateSecret, stateTtlSeconds, now)

  const locale = (language: string): string | undefined => {
    const exact = LANGUAGES.find((candidate) => candidate.toLowerCase() === language.toLowerCase())
    if (exact) return exact
    if (language.toLowerCase() === defaultLanguage.slice(0, 2).toLowerCase()) return defaultLanguage
    return LANGUAGES.find((candidate) => candidate.slice(0, 2).toLowerCase() === language.toLowerCase())
  }

  const parse = async (request: ProviderRequest): Promise<ParseResult> => {
    const body = typeof request.body === 'object' && request.body ? request.body : {}
    const parsed = v.safeParse(DialPlanRequest, body)
    const stateToken = request.query.state
    if (!parsed.success) {
      return { ok: false, reason: `invalid Routee request: ${describeIssues(parsed.issues)}`, partial: await partialFromState(stateToken) }
    }
    const data = parsed.output
    if (!stateToken) {
      // The number's dial-plan URL: a new inbound call.
      const from = data.from ?? ''
      const to = data.to ?? ''
      return { ok: true, event: stepEvent(PROVIDER, defaultCountry, { callId: data.conversationTrackingId, from, to, step: entryStep, attempt: 1, dtmf: '' }) }
    }
    const state = await readState(stateToken)
    if (!state) return { ok: false, reason: 'Routee state token is forged, tampered with or expired', partial: { provider: PROVIDER } }
    if (state.c && state.c !== data.conversationTrackingId) {
      return { ok: false, reason: 'Routee state token belongs to another conversation', partial: { provider: PROVIDER } }
    }
    // Documented as "1,2,3,4", seen as "1234"; a trailing # ends the input.
    const tones = (data.collectedTones ?? '').replace(/[\s,#]/g, '')
    const call = { callId: data.conversationTrackingId, from: state.f, to: state.t, step: state.s, attempt: state.a }
    return { ok: true, event: stepEvent(PROVIDER, defaultCountry, { ...call, dtmf: tones.replace(/[^\d*]/g, '') }) }
  }


  const readState = (token: string) => tokens.read(token)

  const partialFromState = async (token: string | undefined): Promise<PartialCallEvent> => {
    const state = token ? await readState(token) : undefined
    return state ? { provider: PROVIDER, did: state.t, callerRaw: state.f, layer: state.s } : { provider: PROVIDER }
  }

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'go_to_layer':
        return 'action: Routee has no layers; give this rule options.providers.routee (e.g. collect or dial)'
      case 'say':
        return 'action: Routee cannot continue after an announcement without input; use collect, dial or hangup'
      case 'collect':
        return itemsProblem(decision.prompt, decision.language)
      case 'hangup':
        return itemsProblem(decision.items, decision.language)
      case 'dial':
        if (!decision.targets.some((target) => target.type === 'phone' && target.value.startsWith('+'))) {
          return 'dial: Routee dials phone numbers in E.164 (phone:+30…), not extensions'
        }
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

  const verbsFor = async (decision: Decision, event: Partial<CallEvent>, base: string, noInput?: Decision): Promise<unknown[]> => {
    switch (decision.action) {
      case 'collect': {
        const state = stateForCollect(decision.layer, event)
        const tail = noInput ? await verbsFor(noInput, { ...event, layer: decision.layer, attempt: state.a }, base) : sorry()
        return [
          // bargeIn lets the caller type during the prompt.
          ...sayVerbs(decision.prompt, decision.language, true),
          { type: 'COLLECT', eventUrl: await eventUrl(base, state), submitOnHash: true, ...(decision.maxDigits ? { maxDigits: decision.maxDigits } : {}) },
          // Routee posts nothing until # is pressed: without digits the plan runs on into the no-input path.
          { type: 'PAUSE', duration: decision.timeoutSeconds },
          ...tail,
        ]
      }
      case 'dial': {
        const target = decision.targets.find((candidate) => candidate.type === 'phone' && candidate.value.startsWith('+'))
        // DIAL needs a sender: the rule's, ROUTEE_CALLER_ID, or the number called (unknown in a broken request).
        const from = decision.callerId || callerId || event.didE164 || event.did
        if (!target || !from) return [...sayVerbs(decision.announce, decision.language), ...sorry()]
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
        return sayVerbs(decision.items, decision.language)
      default:
        return sorry()
    }
  }

  const sorry = () => [{ type: 'SAY', message: { language: defaultLanguage, gender: voice, text: sorryText } }]

  const render = async (decision: Decision, event: Partial<CallEvent>, extras: RenderExtras = {}): Promise<ProviderAnswer> => {
    const base = (publicUrl ?? extras.origin ?? '').replace(/\/+$/, '')
    // The no-input path is rendered without one of its own (a collect there ends in the apology), so
    // plans cannot nest forever.
    const verbs = await verbsFor(decision, event, base, extras.noInput)
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ verbs }) }
  }

  /** Status callbacks: `{status: {name}}` bodies. Undefined when the body is not one. */
  const parseStatus = (request: ProviderRequest): CallStatus | undefined => {
    const parsed = v.safeParse(StatusRequest, request.body)
    if (!parsed.success) return undefined
    const { conversationTrackingId, status, duration, from, to } = parsed.output
    return {
      callId: conversationTrackingId,
      status: status.name,
      final: FINAL_STATUSES.has(status.name),
      durationMs: typeof duration === 'number' ? duration * 1000 : undefined,
      from,
      to,
    }
  }

  /** The dial plan that asks for a PIN: for outbound verification calls. */
  const promptPlan = async (base: string, step: string, prompt: SayItem[], to: string, from: string, timeoutSeconds = 10) => {
    const decision: Decision = { action: 'collect', layer: step, prompt, timeoutSeconds, language: defaultLanguage, customData: {} }
    const event = safeCallEvent({ provider: PROVIDER, callerRaw: to, did: from })
    return { verbs: await verbsFor(safeDecision(decision), event, base.replace(/\/+$/, '')) }
  }

  const adapter: ProviderAdapter = {
    id: PROVIDER,
    lookupDeadlineMs,
    supports: PROVIDER_CAPABILITIES.routee.actions,
    needsNoInputPath: true,
    parse,
    check: safeCheck(check),
    render: safeRender(render),
    parseStatus,
  }
  return { ...adapter, parseStatus, promptPlan }
}

export type RouteeAdapter = ReturnType<typeof routee>

const spoken = (item: SayItem): string => {
  // Read digit by digit ("0 5 0 1"), as Voicenter's Digits does.
  if (item.type === 'digits') return item.value.split('').join(' ')
  return item.value
}
