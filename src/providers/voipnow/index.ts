import * as v from 'valibot'
import { envCountry, envInteger, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { toE164 } from '../../lib/phone.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import {
  type CallStatus,
  type Classified,
  defineProvider,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
} from '../provider.ts'
import { WireText as Text } from '../wire-text.ts'
import { voipnowCapabilities } from './capabilities.ts'

/**
 * 4PSA VoipNow "Call Interactive": an IVR action requests our script URL (GET query or POST body) on
 * Dial-In, Dial-Out and Hangup, and runs the XML `<Response>` we return. VoipNow has no dial verb: routing
 * is a Jump to an IVR context. https://wiki.4psa.com/display/VNUAPI30/Interactive+Response+Structure
 *
 * Our rules' layers are contexts, written `context`, `context:option` or `context:option:priority`.
 * The script URL carries the step and the digits as static and interactive parameters, e.g.
 * `…/webhooks/voipnow/<secret>?layer=pin&digits=$account`.
 */
export interface VoipNowOptions {
  /** @default 'US' */
  defaultCountry?: string
  /** @default 1500 */
  lookupDeadlineMs?: number
  /** @default 'en' */
  language?: string
  /** PlayTTS voice. @default 'Alice-8KHz' */
  voice?: string
}

const PROVIDER = 'voipnow' as const

const Request = v.looseObject({
  CallID: v.pipe(Text, v.nonEmpty('is empty')),
  CallAPIID: v.optional(Text),
  CallerIDNum: v.optional(Text, ''),
  CallerIDName: v.optional(Text),
  CalledDID: v.optional(Text),
  CalledNumber: v.optional(Text),
  CallStatus: v.optional(Text),
  CallFlow: v.optional(Text),
  layer: v.optional(Text),
  digits: v.optional(Text),
})

/** Hangup events report how the call ended; Dial-In and Dial-Out report CALLING. */
const HANGUP_STATUSES = new Set(['ANSWER', 'ANSWERED', 'UNKNOWN', 'BUSY', 'NOANSWER', 'NO ANSWER', 'FAILED', 'CANCEL', 'CONGESTION'])

export const createVoipNow = ({
  defaultCountry = 'US',
  lookupDeadlineMs = 1500,
  language = 'en',
  voice = 'Alice-8KHz',
}: VoipNowOptions = {}) => {
  const fields = (request: ProviderRequest): Record<string, unknown> => ({
    ...request.query,
    ...(request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {}),
  })

  const classify = (request: ProviderRequest): Classified => {
    const raw = fields(request)
    const parsed = v.safeParse(Request, raw)
    if (!parsed.success) {
      return {
        kind: 'invalid',
        reason: `invalid VoipNow request: ${describeIssues(parsed.issues)}`,
        partial: { provider: PROVIDER, layer: typeof raw.layer === 'string' ? raw.layer : undefined },
      }
    }
    const data = parsed.output
    const status = hangupStatus(data)
    if (status) return { kind: 'status', status, answer: xml([]) }
    const did = data.CalledDID || data.CalledNumber || ''
    // Extended extension numbers look like 0003*306; only public numbers are worth normalising.
    const number = (raw: string) => (raw.includes('*') ? undefined : toE164(raw, defaultCountry))
    const event: CallEvent = {
      provider: PROVIDER,
      callId: data.CallID,
      did,
      didE164: number(did),
      callerRaw: data.CallerIDNum,
      caller: number(data.CallerIDNum),
      // An unset interactive variable arrives empty, or as the literal $name when VoipNow did not substitute it.
      dtmf: (data.digits ?? '').startsWith('$') ? '' : (data.digits ?? '').replace(/[^\d*#]/g, ''),
      layer: data.layer ?? '',
    }
    return { kind: 'call', event }
  }

  /** Hangup events are notices; Dial-In and Dial-Out (CALLING) are routed. */
  const hangupStatus = (data: v.InferOutput<typeof Request>): CallStatus | undefined => {
    const status = (data.CallStatus ?? '').toUpperCase()
    if (!HANGUP_STATUSES.has(status)) return undefined
    return { callId: data.CallID, status, final: true, from: data.CallerIDNum, to: data.CalledDID }
  }

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'dial':
        return 'action: VoipNow cannot dial from Call Interactive; Jump to a context that does (options.providers.voipnow)'
      case 'go_to_layer':
        return contextProblem(decision.layer)
      case 'say':
        return contextProblem(decision.nextLayer)
      case 'collect':
        return contextProblem(decision.layer)
      default:
        return undefined
    }
  }

  const sayElements = (items: SayItem[]) =>
    items.map((item) =>
      item.type === 'recording'
        ? `<PlaySound language="${attr(language)}">${text(item.value)}</PlaySound>`
        : `<PlayTTS voice="${attr(voice)}">${text(item.type === 'digits' ? item.value.split('').join(' ') : item.value)}</PlayTTS>`,
    )

  const setCaller = (name: string | undefined, event: Partial<CallEvent>) =>
    name ? [`<SetCaller name="${attr(name)}" number="${attr(event.callerRaw ?? '')}"/>`] : []

  // Screen-pop data as IVR variables: the next context (and the agent's CRM integration) can read them.
  const setVars = (data: Record<string, string>) =>
    Object.entries(data)
      .filter(([name]) => /^[A-Za-z_][\w]*$/.test(name))
      .map(([name, value]) => `<SetVar name="${attr(name)}">${text(value)}</SetVar>`)

  const render = (decision: Decision, event: Partial<CallEvent>): ProviderAnswer => {
    const elements: string[] = []
    switch (decision.action) {
      case 'go_to_layer':
        elements.push(...setCaller(decision.callerName, event), ...setVars(decision.customData), jump(decision.layer))
        break
      case 'say':
        elements.push(...setVars(decision.customData), ...sayElements(decision.items), jump(decision.nextLayer))
        break
      case 'collect':
        elements.push(...setVars(decision.customData), ...sayElements(decision.prompt), jump(decision.layer))
        break
      case 'hangup':
        elements.push(...sayElements(decision.items), '<Hangup/>')
        break
      default:
        // Nothing to add: the IVR goes on with what its own context says next.
        break
    }
    return xml(elements)
  }

  return {
    lookupDeadlineMs,
    classify,
    check,
    render,
    simulatedRequest: ({ did, caller, dtmf, layer }) => ({
      method: 'GET',
      query: { CallID: 'simulated', CallerIDNum: caller, CalledDID: did, CallStatus: 'CALLING', layer, digits: dtmf },
      body: undefined,
    }),
  } satisfies ProviderHandler
}

export const voipnow = defineProvider({
  id: PROVIDER,
  name: 'VoipNow',
  config: v.object({
    VOIPNOW_DEFAULT_COUNTRY: setting(envCountry('US'), 'Country of numbers VoipNow sends without a country code.'),
    VOIPNOW_LOOKUP_DEADLINE_MS: setting(envInteger(1500, 50), 'Milliseconds the CRM lookup may take.'),
    VOIPNOW_LANGUAGE: setting(envText('en'), 'PlaySound language.'),
    VOIPNOW_TTS_VOICE: setting(envText('Alice-8KHz'), 'PlayTTS voice.'),
  }),
  capabilities: voipnowCapabilities,
  create: (config) =>
    createVoipNow({
      defaultCountry: config.VOIPNOW_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.VOIPNOW_LOOKUP_DEADLINE_MS,
      language: config.VOIPNOW_LANGUAGE,
      voice: config.VOIPNOW_TTS_VOICE,
    }),
})

const contextProblem = (layer: string | undefined): string | undefined =>
  layer === undefined || /^[\w.-]+(:[\w.-]+(:\d+)?)?$/.test(layer)
    ? undefined
    : `to_layer: "${layer}" is not a VoipNow context (context, context:option or context:option:priority)`

const jump = (layer: string) => {
  const [context = '', option = 's', priority = '1'] = layer.split(':')
  return `<Jump context="${attr(context)}" option="${attr(option)}" priority="${attr(priority)}"/>`
}

const xml = (elements: string[]): ProviderAnswer => ({
  status: 200,
  contentType: 'text/xml; charset=utf-8',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response>${elements.join('')}</Response>`,
})

const text = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const attr = (value: string) => text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;')
