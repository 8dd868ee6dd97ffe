import * as v from 'valibot'
import { envCountry, envInteger, envText, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { toE164 } from '../../lib/phone.ts'
import { withoutControls } from '../../lib/safe-text.ts'
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
 * `…/webhooks/voipnow/<secret>?layer=pin&digits=$account`. Each event has its own script URL, so the URL
 * says which event a request is: the Hangup event's carries `event=hangup`, every other request is a
 * routing step. `CallStatus` cannot tell them apart: IVR requests carry ANSWER, as hang-ups do.
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

/** The static parameter of the Hangup event's script URL (`?event=hangup`); any spelling of "hang-up". */
const isHangupUrl = (query: Record<string, string>) => (query.event ?? '').toLowerCase().replace(/[^a-z]/g, '') === 'hangup'

/**
 * A caller number SetCaller can carry: digits, possibly an extended extension (`0003*306`) or a leading +.
 * Withheld callers arrive empty or as a word ("anonymous").
 */
const CALLER_NUMBER = /^\+?[\d*#]*\d[\d*#]*$/

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
    // The Hangup event is a notice whatever it holds: recorded with what can be read, never routed.
    if (isHangupUrl(request.query)) return { kind: 'status', status: hangupStatus(raw), answer: xml([]) }
    const parsed = v.safeParse(Request, raw)
    if (!parsed.success) {
      return {
        kind: 'invalid',
        reason: `invalid VoipNow request: ${describeIssues(parsed.issues)}`,
        partial: { provider: PROVIDER, layer: typeof raw.layer === 'string' ? raw.layer : undefined },
      }
    }
    const data = parsed.output
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

  /** The Hangup event: how the call ended (`CallStatus`), and the call's numbers. */
  const hangupStatus = (raw: Record<string, unknown>): CallStatus => {
    const field = (name: string) => {
      const value = raw[name]
      return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : ''
    }
    return {
      callId: field('CallID'),
      status: field('CallStatus').toUpperCase() || 'HANGUP',
      final: true,
      from: field('CallerIDNum') || undefined,
      to: field('CalledDID') || field('CalledNumber') || undefined,
    }
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
      case 'voicemail':
        return 'action: VoipNow takes no voicemail from Call Interactive; Jump to a context that does (options.providers.voipnow)'
      default:
        return undefined
    }
  }

  const sayElements = (items: SayItem[]) =>
    items.map((item) =>
      item.type === 'recording'
        ? `<PlaySound language="${attr(language)}">${text(item.value)}</PlaySound>`
        : // Digits read one by one: split by code point, so no surrogate pair is cut in two.
          `<PlayTTS voice="${attr(voice)}">${text(item.type === 'digits' ? [...item.value].join(' ') : item.value)}</PlayTTS>`,
    )

  /**
   * VoipNow aborts parsing the whole answer when SetCaller lacks its name or its number, so without a caller
   * number (withheld) there is no SetCaller: the rest of the answer still runs.
   */
  const setCaller = (name: string | undefined, event: Partial<CallEvent>) => {
    const number = event.callerRaw?.trim() ?? ''
    return name?.trim() && CALLER_NUMBER.test(number) ? [`<SetCaller name="${attr(name)}" number="${attr(number)}"/>`] : []
  }

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
      // As VoipNow's IVR sends it: CallStatus ANSWER, CallFlow IN.
      query: { CallID: 'simulated', CallerIDNum: caller, CalledDID: did, CallStatus: 'ANSWER', CallFlow: 'IN', layer, digits: dtmf },
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

/** A Jump target: its capabilities' layer pattern, so rule validation and the call-time check agree. */
const CONTEXT = voipnowCapabilities.layers.pattern
const contextProblem = (layer: string | undefined): string | undefined =>
  layer === undefined || CONTEXT.test(layer)
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

/**
 * Element text. The core hands render clean text (safe-render.ts), but the XML writer is what must never
 * write a document VoipNow cannot parse, whoever calls it: characters XML 1.0 forbids even escaped (C0
 * controls but tab and line breaks, U+FFFE, U+FFFF) are taken out here too, with DEL and the C1 controls,
 * which XML 1.0 discourages and XML 1.1 parsers refuse unescaped; lone surrogates become U+FFFD.
 */
const text = (value: string) => withoutControls(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** Attribute values: a parser turns tab and line breaks into spaces anyway, so they are written as spaces. */
const attr = (value: string) =>
  text(value)
    .replace(/[\t\n\r]/g, ' ')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
