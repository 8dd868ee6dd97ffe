import * as v from 'valibot'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import { type CallStateToken, createCallStateTokens, stateForCollect, webhookUrl } from '../call-state-token.ts'
import {
  type Classified,
  defineProvider,
  type PartialCallEvent,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type RenderExtras,
} from '../provider.ts'
import { safeCallEvent, safeDecision } from '../safe-render.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { routeeCapabilities } from './capabilities.ts'
import { outboundCallRoutes } from './outbound-call-routes.ts'
import { createRouteeClient } from './routee-client.ts'

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
/** What Routee's status callbacks get (it reads nothing of it). */
const STATUS_ANSWER = { status: 200, contentType: 'application/json', body: '{}' }
const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'

/** Routee's SAY languages; a rule may give just the language ("EN"), which picks the first of its kind. */
const LANGUAGES = [
  'en-US',
  'en-GB',
  'de-DE',
  'fr-FR',
  'it-IT',
  'pt-BR',
  'es-ES',
  'es-LA',
  'el-GR',
  'bg-BG',
  'pl-PL',
  'hu-HU',
  'sv-SE',
  'ru-RU',
]

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
  const tokens = createCallStateTokens(stateSecret, stateTtlSeconds, now)

  const locale = (language: string): string | undefined => {
    const exact = LANGUAGES.find((candidate) => candidate.toLowerCase() === language.toLowerCase())
    if (exact) return exact
    if (language.toLowerCase() === defaultLanguage.slice(0, 2).toLowerCase()) return defaultLanguage
    return LANGUAGES.find((candidate) => candidate.slice(0, 2).toLowerCase() === language.toLowerCase())
  }

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    const status = parseStatus(request)
    if (status) return status
    const body = typeof request.body === 'object' && request.body ? request.body : {}
    const parsed = v.safeParse(DialPlanRequest, body)
    const stateToken = request.query.state
    if (!parsed.success) {
      return {
        kind: 'invalid',
        reason: `invalid Routee request: ${describeIssues(parsed.issues)}`,
        partial: await partialFromState(stateToken),
      }
    }
    const data = parsed.output
    if (!stateToken) {
      // The number's dial-plan URL: a new inbound call.
      const from = data.from ?? ''
      const to = data.to ?? ''
      return {
        kind: 'call',
        event: stepEvent(PROVIDER, defaultCountry, {
          callId: data.conversationTrackingId,
          from,
          to,
          step: entryStep,
          attempt: 1,
          dtmf: '',
        }),
      }
    }
    const state = await readState(stateToken)
    if (!state)
      return { kind: 'invalid', reason: 'Routee state token is forged, tampered with or expired', partial: { provider: PROVIDER } }
    if (state.c && state.c !== data.conversationTrackingId) {
      return { kind: 'invalid', reason: 'Routee state token belongs to another conversation', partial: { provider: PROVIDER } }
    }
    // Documented as "1,2,3,4", seen as "1234"; a trailing # ends the input.
    const tones = (data.collectedTones ?? '').replace(/[\s,#]/g, '')
    const call = { callId: data.conversationTrackingId, from: state.f, to: state.t, step: state.s, attempt: state.a }
    return { kind: 'call', event: stepEvent(PROVIDER, defaultCountry, { ...call, dtmf: tones.replace(/[^\d*]/g, '') }) }
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
          {
            type: 'COLLECT',
            eventUrl: await eventUrl(base, state),
            submitOnHash: true,
            ...(decision.maxDigits ? { maxDigits: decision.maxDigits } : {}),
          },
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
  const parseStatus = (request: ProviderRequest): Classified | undefined => {
    const parsed = v.safeParse(StatusRequest, request.body)
    if (!parsed.success) return undefined
    const { conversationTrackingId, status, duration, from, to } = parsed.output
    return {
      kind: 'status',
      status: {
        callId: conversationTrackingId,
        status: status.name,
        final: FINAL_STATUSES.has(status.name),
        durationMs: typeof duration === 'number' ? duration * 1000 : undefined,
        from,
        to,
      },
      answer: STATUS_ANSWER,
    }
  }

  /** The dial plan that asks for a PIN: for outbound verification calls. */
  const promptPlan = async (base: string, step: string, prompt: SayItem[], to: string, from: string, timeoutSeconds = 10) => {
    const decision: Decision = { action: 'collect', layer: step, prompt, timeoutSeconds, language: defaultLanguage, customData: {} }
    const event = safeCallEvent({ provider: PROVIDER, callerRaw: to, did: from })
    return { verbs: await verbsFor(safeDecision(decision), event, base.replace(/\/+$/, '')) }
  }

  const handler = {
    lookupDeadlineMs,
    classify,
    check,
    render,
    simulatedRequest: ({ did, caller }) => ({
      method: 'POST',
      query: {},
      body: { messageId: 'simulated', conversationTrackingId: 'simulated', from: caller, to: did },
    }),
  } satisfies ProviderHandler
  return { ...handler, promptPlan }
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
