import { timingSafeEqual } from 'hono/utils/buffer'
import * as v from 'valibot'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { toE164 } from '../../lib/phone.ts'
import { safeText } from '../../lib/safe-text.ts'
import type { CallEvent, Decision, LookupResult, SayItem } from '../../model/call-event.ts'
import { createCallStateTokens, stateForCollect, webhookUrl } from '../call-state-token.ts'
import {
  type Classified,
  defineProvider,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type RenderExtras,
} from '../provider.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { stringeeCapabilities } from './capabilities.ts'

/**
 * Stringee: the number's answer_url (GET from/to/uuid) and our `input` eventUrl (POST dtmf) are answered with
 * an SCCO (a JSON array of actions); event_url status events are logged. Requests are signed with
 * X-STRINGEE-SIGNATURE = base64(HMAC-SHA1(secret, raw POST body, or the request URI for GET)).
 * https://developer.stringee.com/docs/server/stringee-call-control-object
 */
export interface StringeeOptions {
  stateSecret: string
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
  now?: () => number
}

const PROVIDER = 'stringee' as const
const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'
/** What Stringee's event_url status events get (it reads nothing of it). */
const STATUS_ANSWER = { status: 200, contentType: 'application/json', body: '{}' }

const AnswerUrl = v.looseObject({ from: Text, to: v.optional(Text, ''), uuid: v.optional(Text), callId: v.optional(Text) })
const InputEvent = v.looseObject({
  dtmf: v.optional(v.nullable(Text)),
  call_id: v.pipe(Text, v.nonEmpty('is empty')),
  // Sample code sends booleans as strings.
  timeout: v.optional(
    v.union([
      v.boolean(),
      v.pipe(
        v.string(),
        v.transform((value) => value === 'true'),
      ),
    ]),
  ),
})
const StatusEvent = v.looseObject({
  call_status: v.string(),
  call_id: v.pipe(Text, v.nonEmpty()),
  from: v.optional(v.union([Text, v.looseObject({ number: v.optional(Text) })])),
  to: v.optional(v.union([Text, v.looseObject({ number: v.optional(Text) })])),
  duration: v.optional(v.union([v.number(), v.string()])),
})

const FINAL = new Set(['ended', 'agentEnded'])

const AgentListRequest = v.looseObject({
  queueId: Text,
  calls: v.array(v.looseObject({ callId: Text, from: v.optional(Text, ''), to: v.optional(Text, '') })),
})

export interface QueuedCall {
  callId: string
  /** E.164 when it parses */
  caller?: string
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
    now = Date.now,
  } = options
  const tokens = createCallStateTokens(stateSecret, 3600, now)

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    const queued = parseAgentList(request)
    if (queued) return { kind: 'question', answer: (tools) => answerAgentList(queued, tools.findCaller) }
    const status = parseStatus(request)
    if (status) return { kind: 'status', status, answer: STATUS_ANSWER }
    if (request.query.state) {
      const state = await tokens.read(request.query.state)
      if (!state)
        return { kind: 'invalid', reason: 'Stringee state token is forged, tampered with or expired', partial: { provider: PROVIDER } }
      const parsed = v.safeParse(InputEvent, request.body)
      if (!parsed.success)
        return {
          kind: 'invalid',
          reason: `invalid Stringee input event: ${describeIssues(parsed.issues)}`,
          partial: { provider: PROVIDER, layer: state.s },
        }
      if (state.c && state.c !== parsed.output.call_id) {
        // The number called is ours, not a secret: the fallback can still use it to connect.
        return { kind: 'invalid', reason: 'Stringee state token belongs to another call', partial: { provider: PROVIDER, did: state.t } }
      }
      // timeout:true means nothing was typed.
      const dtmf = parsed.output.timeout ? '' : (parsed.output.dtmf ?? '')
      const call = { callId: parsed.output.call_id, from: state.f, to: state.t, step: state.s, attempt: state.a }
      return { kind: 'call', event: stepEvent(PROVIDER, defaultCountry, { ...call, dtmf: dtmf.replace(/[^\d*#]/g, '') }) }
    }
    const parsed = v.safeParse(AnswerUrl, { ...request.query, ...(typeof request.body === 'object' && request.body ? request.body : {}) })
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `invalid Stringee answer_url request: ${describeIssues(parsed.issues)}`,
        partial: { provider: PROVIDER },
      }
    const { from, to, uuid, callId } = parsed.output
    const id = callId || uuid
    if (!id) return { kind: 'invalid', reason: 'invalid Stringee answer_url request: uuid is missing', partial: { provider: PROVIDER } }
    return {
      kind: 'call',
      event: stepEvent(PROVIDER, defaultCountry, { callId: id, from, to, step: request.query.layer ?? entryStep, attempt: 1, dtmf: '' }),
    }
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

  const verify = async (request: ProviderRequest): Promise<boolean> => {
    if (!signingSecret) return true
    const given = request.headers?.['x-stringee-signature']
    if (!given) return false
    // GET: the Request-URI with its query; POST: the raw body.
    const url = request.url ? new URL(request.url) : undefined
    const data = request.method === 'GET' ? `${url?.pathname ?? ''}${url?.search ?? ''}` : (request.rawBody ?? '')
    return timingSafeEqual(given, await hmacSha1Base64(signingSecret, data))
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

  const render = async (decision: Decision, event: Partial<CallEvent>, extras: RenderExtras = {}): Promise<ProviderAnswer> => {
    const base = (publicUrl ?? extras.origin ?? '').replace(/\/+$/, '')
    let actions: unknown[]
    switch (decision.action) {
      case 'collect': {
        const eventUrl = `${webhookUrl(base, PROVIDER, webhookSecret)}?state=${await tokens.sign(stateForCollect(decision.layer, event))}`
        actions = [
          ...talk(decision.prompt, true),
          // Stringee posts timeout:true when nothing is typed, so the no-input path comes from the rules then.
          {
            action: 'input',
            eventUrl,
            submitOnHash: true,
            timeout: decision.timeoutSeconds,
            ...(decision.maxDigits ? { maxDigits: decision.maxDigits } : {}),
          },
        ]
        break
      }
      case 'dial': {
        const target = decision.targets[0] as { type: 'phone' | 'extension'; value: string }
        const from = (decision.callerId || event.did || '').replace(/^\+/, '')
        // connect needs a caller number: unknown in a broken request, so the caller hears the apology.
        if (!from) {
          actions = [...talk(decision.announce), { action: 'talk', text: sorryText, voice }]
          break
        }
        actions = [
          ...talk(decision.announce),
          {
            action: 'connect',
            from: { type: 'external', number: from, alias: from },
            // An extension is a Stringee user (an agent in the app); a phone is dialled out.
            to:
              target.type === 'extension'
                ? { type: 'internal', number: target.value, alias: decision.callerName ?? target.value }
                : { type: 'external', number: target.value.replace(/^\+/, ''), alias: target.value },
            customData: JSON.stringify(decision.customData),
            timeout: decision.maxDialDuration,
            maxConnectTime: decision.maxCallDuration,
            // Recording needs the call to pass through Stringee's media server.
            peerToPeerCall: !decision.record,
          },
        ]
        break
      }
      case 'hangup':
        actions = talk(decision.items)
        break
      default:
        actions = [{ action: 'talk', text: sorryText, voice }]
    }
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(actions) }
  }

  /** The queue's get_list_agents_url request: calls waiting, each to be given its agents in order. */
  const parseAgentList = (request: ProviderRequest): QueuedCall[] | undefined => {
    const parsed = v.safeParse(AgentListRequest, request.body)
    if (!parsed.success) return undefined
    return parsed.output.calls.map((call) => ({ callId: call.callId, caller: toE164(call.from, defaultCountry) }))
  }

  /** Version 2 of Stringee's agent list: the CRM owner (a Stringee user) first for each call. */
  const renderAgentList = (agents: { callId: string; ownerUserId?: string }[], answerTimeoutSeconds = 15): ProviderAnswer => ({
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({
      version: 2,
      // Not a Decision, so not through safeRender: the call ids are the request's and the owner is the CRM's.
      calls: agents.map(({ callId, ownerUserId }) => {
        const owner = ownerUserId === undefined ? '' : safeText(ownerUserId, 'id')
        return {
          callId: safeText(callId, 'id'),
          agents: owner ? [{ stringee_user_id: owner, routing_type: 1, answer_timeout: answerTimeoutSeconds }] : [],
        }
      }),
    }),
  })

  /** The queue's agent-list hook: whom to ring for each waiting call, the CRM owner first. */
  const answerAgentList = async (queued: QueuedCall[], findCaller: (phone: string | undefined) => Promise<LookupResult>) => {
    const owners = await Promise.all(
      queued.map(async (call) => ({ callId: call.callId, ownerUserId: (await findCaller(call.caller)).contact?.owner?.extension })),
    )
    return renderAgentList(owners)
  }

  return {
    lookupDeadlineMs,
    classify,
    check,
    render,
    verify,
    simulatedRequest: ({ did, caller, layer }) => ({
      method: 'GET',
      query: { from: caller, to: did, uuid: 'simulated', ...(layer ? { layer } : {}) },
      body: undefined,
    }),
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
  }),
  capabilities: stringeeCapabilities,
  create: (config, services) =>
    createStringee({
      stateSecret: config.STRINGEE_STATE_SECRET ?? services.stateSecret,
      signingSecret: config.STRINGEE_SIGNING_SECRET,
      publicUrl: services.publicUrl,
      webhookSecret: services.webhookSecret,
      entryStep: config.STRINGEE_ENTRY_STEP,
      defaultCountry: config.STRINGEE_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.STRINGEE_LOOKUP_DEADLINE_MS,
      voice: config.STRINGEE_VOICE,
      sorryText: config.STRINGEE_SORRY_TEXT,
    }),
})

const hmacSha1Base64 = async (secret: string, data: string): Promise<string> => {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)))
  return btoa(String.fromCharCode(...signature))
}
