import * as v from 'valibot'
import { envCountry, envInteger, setting } from '../../lib/env-schema.ts'
import { describeIssues } from '../../lib/issues.ts'
import { toDialString, toE164 } from '../../lib/phone.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import {
  type Classified,
  defineProvider,
  type PartialCallEvent,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
} from '../provider.ts'
import { WireText as Scalar } from '../wire-text.ts'
import { voicenterCapabilities } from './capabilities.ts'

/**
 * Voicenter External Layer API ("mini external IVR"): a layer POSTs `IVR_LAYER_INPUT` and runs the
 * GO_TO_LAYER / SAY_DIGITS / DIAL answer. https://www.voicenter.com/API/External-Layer
 */
export interface VoicenterOptions {
  /** Country of the local numbers Voicenter sends ("0501234567"). @default 'IL' */
  defaultCountry?: string
  /** @default 1500 */
  lookupDeadlineMs?: number
}

const PROVIDER = 'voicenter' as const
/** The languages SAY_DIGITS speaks: its capabilities', so rule validation and the call-time check agree. */
const LANGUAGES = voicenterCapabilities.languages.codes
const RECORD_TYPES: Record<SayItem['type'], string | undefined> = {
  recording: 'Recording',
  digits: 'Digits',
  number: 'Number',
  date: 'Date',
  datetime: 'DateTime',
  text: undefined,
}

const RequiredScalar = v.pipe(Scalar, v.nonEmpty('is empty'))

/**
 * CUSTOM_DATA as we echo it: string values. Voicenter's own SDK takes whatever comes and writes nested
 * objects and arrays as JSON text (CallCustomParam.SetParamValue), so we do the same rather than refuse the
 * call: the values stay readable (`{{call.custom.order}}`), and go back to Voicenter as the strings it wants.
 * A CUSTOM_DATA that is not an object (text that is not JSON, an array) is no custom data.
 */
const CustomData = v.pipe(
  v.unknown(),
  v.transform((value): Record<string, string> => {
    const object = typeof value === 'string' ? safeJson(value) : value
    if (!object || typeof object !== 'object' || Array.isArray(object)) return {}
    return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, customValue(item)]))
  }),
)

/** A field the SDK leaves at its default when null: null is the field not sent. */
const NullableScalar = (fallback: string) =>
  v.optional(
    v.pipe(
      v.nullable(Scalar),
      v.transform((value) => value ?? fallback),
    ),
    fallback,
  )

const LayerInput = v.object({
  DID: RequiredScalar,
  // Null: the caller withheld the number.
  CALLER_ID: NullableScalar(''),
  IVR_UNIQUE_ID: RequiredScalar,
  // Null: nothing typed, as "0" is.
  DTMF: NullableScalar('0'),
  LAYER_ID: RequiredScalar,
  PREVIOUS_LAYER_ID: v.optional(v.nullable(Scalar)),
  CUSTOM_DATA: v.optional(v.nullable(CustomData)),
})

const LayerRequest = v.object(
  {
    METHOD: v.optional(v.literal('IVR_LAYER_INPUT', 'must be IVR_LAYER_INPUT')),
    // The table types DATA as String: accept it JSON-encoded too.
    DATA: v.pipe(
      v.union([v.string(), v.looseObject({})], 'must be an object'),
      v.transform((value) => (typeof value === 'string' ? safeJson(value) : value)),
      LayerInput,
    ),
  },
  'must be a JSON object with METHOD and DATA',
)

export const createVoicenter = ({ defaultCountry = 'IL', lookupDeadlineMs = 1500 }: VoicenterOptions = {}) => {
  const country = defaultCountry.toUpperCase()
  // A service has few DIDs and sees them on every request: parse each once.
  const didCache = new Map<string, string | undefined>()
  const didE164 = (did: string) => {
    if (!didCache.has(did)) {
      if (didCache.size >= 1000) didCache.clear()
      didCache.set(did, toE164(did, country))
    }
    return didCache.get(did)
  }

  const classify = (request: ProviderRequest): Classified => {
    const input = requestObject(request)
    const parsed = v.safeParse(LayerRequest, input)
    const providerContext = failoverContext(request.query)
    if (!parsed.success) {
      return {
        kind: 'invalid',
        reason: `invalid Voicenter request: ${describeIssues(parsed.issues)}`,
        partial: { ...partialEvent(input), ...providerContext },
      }
    }
    const data = parsed.output.DATA
    const event: CallEvent = {
      provider: PROVIDER,
      callId: data.IVR_UNIQUE_ID,
      did: data.DID,
      didE164: didE164(data.DID),
      callerRaw: data.CALLER_ID,
      caller: toE164(data.CALLER_ID, country),
      // Voicenter sends "0" when the caller typed nothing.
      dtmf: data.DTMF === '0' ? '' : data.DTMF.replace(/[^\d*#]/g, ''),
      layer: data.LAYER_ID,
      previousLayer: data.PREVIOUS_LAYER_ID ?? undefined,
      customData: data.CUSTOM_DATA ?? undefined,
      ...providerContext,
    }
    return { kind: 'call', event }
  }

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'go_to_layer':
        return layerProblem('to_layer', decision.layer)
      case 'say': {
        if (!LANGUAGES.includes(decision.language.toUpperCase())) {
          return `language: Voicenter speaks ${LANGUAGES.join(', ')}, not ${decision.language}`
        }
        if (decision.items.length === 0) return 'say: nothing to say'
        for (const item of decision.items) {
          if (!RECORD_TYPES[item.type]) return `say: Voicenter cannot say ${item.type} items`
          if (item.type === 'number' && !/^-?\d+$/.test(item.value)) return `say: Voicenter says whole numbers only, not ${item.value}`
        }
        return layerProblem('to_layer', decision.nextLayer) ?? layerProblem('failed_layer', decision.failedLayer)
      }
      case 'collect':
        // The layer plays its own prompt and collects the digits (MiniExternalDTMFLen).
        return layerProblem('to_layer', decision.layer)
      case 'hangup':
        return 'action: Voicenter cannot hang up from an external layer (send the caller to a layer that does)'
      case 'voicemail':
        return 'action: Voicenter takes no voicemail from an external layer (send the caller to a voicemail layer)'
      case 'dial':
        if (decision.targets.some((target) => target.value === '')) return 'dial: empty target'
        if (decision.failedLayer === undefined) return 'options.failed_layer: Voicenter DIAL needs NEXT_VO_ID'
        return layerProblem('failed_layer', decision.failedLayer)
      case 'provider_default':
        return undefined
    }
  }

  const render = (decision: Decision, event: Partial<CallEvent>): ProviderAnswer => {
    const customData = (data: Record<string, string>) => ({ ...event.customData, ...data })
    switch (decision.action) {
      case 'go_to_layer':
        return json({
          STATUS: 0,
          ACTION: 'GO_TO_LAYER',
          LAYER: Number(decision.layer),
          ...(decision.callerName ? { CALLER_NAME: decision.callerName } : {}),
          CUSTOM_DATA: customData(decision.customData),
        })
      case 'collect':
        return json({ STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: Number(decision.layer), CUSTOM_DATA: customData(decision.customData) })
      case 'say':
        return json({
          STATUS: 0,
          ACTION: 'SAY_DIGITS',
          NEXT_LAYER: Number(decision.nextLayer),
          NEXT_LAYER_IF_FAILED: Number(decision.failedLayer ?? decision.nextLayer),
          LANGUAGE: decision.language.toUpperCase(),
          DATA: decision.items.map((item) => ({ RecordType: RECORD_TYPES[item.type], Content: item.value })),
        })
      case 'dial':
        return json({
          STATUS: 0,
          ACTION: 'DIAL',
          CALLER_ID: dialCallerId(decision.callerId, event),
          ...(decision.callerName ? { CALLER_NAME: decision.callerName } : {}),
          MAX_CALL_DURATION: decision.maxCallDuration,
          MAX_DIAL_DURATION: decision.maxDialDuration,
          NEXT_VO_ID: Number(decision.failedLayer),
          RECORDING: decision.record ? 'yes' : 'no',
          TARGETS: decision.targets.map((target) => ({
            TYPE: target.type === 'phone' ? 'PHONE' : 'EXTENSION',
            TARGET: target.type === 'phone' ? toDialString(target.value, country) : target.value,
          })),
          CUSTOM_DATA: customData(decision.customData),
        })
      case 'hangup':
      case 'voicemail':
      case 'provider_default':
        // STATUS 1 sends the call to the layer's MiniExternalDefaultMethodData (Voicenter's skill docs); the
        // answer table makes LAYER mandatory, so it names that layer when the MiniExternalUrl gives it
        // (?failover=), else 0, the "no layer" of Voicenter's own SDK (GoToLayerAction's default).
        return json({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: Number(event.providerContext?.failoverLayer ?? 0) })
    }
  }

  /** A number Voicenter can show, in the form it sends numbers (national for home numbers). */
  const displayNumber = (raw: string | undefined): string | undefined => {
    const e164 = raw ? toE164(raw, country) : undefined
    return e164 ? toDialString(e164, country) : undefined
  }

  /**
   * DIAL's CALLER_ID must be a phone number ("0722776772"); Voicenter's own example shows the DID. The rule's
   * caller_id, else the caller's number, else (withheld, "Anonymous") the number the call came in on.
   */
  const dialCallerId = (callerId: string | undefined, event: Partial<CallEvent>): string =>
    displayNumber(callerId) ??
    (event.caller ? displayNumber(event.callerRaw) : undefined) ??
    displayNumber(event.did) ??
    (event.did || event.didE164 || '')

  return {
    lookupDeadlineMs,
    classify,
    check,
    render,
    simulatedRequest: ({ did, caller, dtmf, layer }) => ({
      method: 'POST',
      query: {},
      body: {
        METHOD: 'IVR_LAYER_INPUT',
        DATA: { DID: did, CALLER_ID: caller, IVR_UNIQUE_ID: 'simulated', DTMF: dtmf || '0', LAYER_ID: layer },
      },
    }),
  } satisfies ProviderHandler
}

export const voicenter = defineProvider({
  id: PROVIDER,
  name: 'Voicenter',
  config: v.object({
    VOICENTER_DEFAULT_COUNTRY: setting(envCountry('IL'), 'Country of the local numbers Voicenter sends ("0501234567").'),
    VOICENTER_LOOKUP_DEADLINE_MS: setting(envInteger(1500, 50), "Milliseconds the CRM lookup may take, inside Voicenter's ~5 s."),
  }),
  capabilities: voicenterCapabilities,
  create: (config) =>
    createVoicenter({ defaultCountry: config.VOICENTER_DEFAULT_COUNTRY, lookupDeadlineMs: config.VOICENTER_LOOKUP_DEADLINE_MS }),
})

const json = (body: unknown): ProviderAnswer => ({
  status: 200,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
})

/**
 * The layer's failover (MiniExternalDefaultMethodData), when its MiniExternalUrl says it (`?failover=20`):
 * what a STATUS 1 answer names as its LAYER.
 */
const failoverContext = (query: Record<string, string>): { providerContext?: { failoverLayer: string } } => {
  const layer = query.failover?.trim()
  return layer && /^\d{1,9}$/.test(layer) ? { providerContext: { failoverLayer: String(Number(layer)) } } : {}
}

const customValue = (item: unknown): string => {
  if (item === null || item === undefined) return ''
  if (typeof item === 'object') return JSON.stringify(item)
  return String(item)
}

const layerProblem = (column: string, layer: string | undefined): string | undefined =>
  layer === undefined || voicenterCapabilities.layers.pattern.test(layer)
    ? undefined
    : `${column}: Voicenter layers are numbers, not "${layer}"`

/** The vendor SDK also takes GET with the fields in the query, flat or with DATA as JSON. */
const requestObject = ({ query, body }: { query: Record<string, string>; body: unknown }): unknown => {
  const source = body !== undefined && body !== '' ? body : query
  if (typeof source === 'string') return safeJson(source) ?? source
  if (source && typeof source === 'object' && !('DATA' in source) && 'IVR_UNIQUE_ID' in source) {
    const { METHOD, ...data } = source as Record<string, unknown>
    return { METHOD, DATA: data }
  }
  return source
}

const partialEvent = (input: unknown): PartialCallEvent => {
  const data = (input as { DATA?: unknown } | undefined)?.DATA
  const fields = (typeof data === 'string' ? safeJson(data) : data) as Record<string, unknown> | undefined
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined)
  return {
    provider: PROVIDER,
    callId: text(fields?.IVR_UNIQUE_ID),
    did: text(fields?.DID),
    callerRaw: text(fields?.CALLER_ID),
    layer: text(fields?.LAYER_ID),
  }
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
