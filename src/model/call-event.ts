import type { Contact } from './contact.ts'

/**
 * A provider's id: its webhook path (/webhooks/<id>) and what rules' `provider` column names. Any kebab-case
 * text: the registry (src/providers/index.ts) lists the built-in ones, and a build may add its own.
 */
export type ProviderId = string

/** One webhook request, whatever provider sent it. */
export interface CallEvent {
  provider: ProviderId
  callId: string
  /** The number called, as received and in E.164 when it could be parsed. */
  did: string
  didE164?: string
  /** The caller's number as received, and in E.164 when it could be parsed (absent when withheld). */
  callerRaw: string
  caller?: string
  /** Digits the caller typed; empty when nothing was typed. */
  dtmf: string
  /** Where in the provider's IVR the request comes from (Voicenter layer id). */
  layer?: string
  previousLayer?: string
  /** Requests at this step so far, this one included, when the provider carries the count (Routee state). */
  attempt?: number
  /** Provider data echoed back to us (Voicenter CUSTOM_DATA). */
  customData?: Record<string, string>
  /**
   * The provider's own data about the call that its render needs (RingCentral's parties), read when the
   * request is classified; the core passes it through untouched.
   */
  providerContext?: Readonly<Record<string, string>>
}

export type SayItemType = 'recording' | 'digits' | 'number' | 'date' | 'datetime' | 'text'
export interface SayItem {
  type: SayItemType
  value: string
}

export interface DialTarget {
  type: 'phone' | 'extension'
  value: string
}

/**
 * What to do with the call, before it is put into a provider's words. `sms` (on the answers that end our
 * part of the call: hangup, voicemail, dial) is a text message sent to the caller once the answer is given
 * (seed 002's key-press action 5), where the provider can (capabilities.sms).
 */
export type Decision =
  | { action: 'go_to_layer'; layer: string; callerName?: string; customData: Record<string, string> }
  | {
      action: 'say'
      items: SayItem[]
      nextLayer: string
      failedLayer?: string
      language: string
      customData: Record<string, string>
    }
  /** Ask for digits at an IVR step: a Voicenter layer that collects them, or a prompt we speak and collect. */
  | {
      action: 'collect'
      /** The step (Voicenter layer) the digits will come back from. */
      layer: string
      prompt: SayItem[]
      maxDigits?: number
      /** How long to wait for digits before the no-input path. */
      timeoutSeconds: number
      language: string
      customData: Record<string, string>
    }
  /** Say goodbye and end the call. */
  | { action: 'hangup'; items: SayItem[]; language: string; sms?: string }
  /** Say the prompt, then record a message from the caller (Stringee's voicemail, seed 002 action 1). */
  | {
      action: 'voicemail'
      prompt: SayItem[]
      language: string
      /** The longest message taken. */
      maxSeconds: number
      /** Kept with the call's notices, for the agent who listens to the message. */
      customData: Record<string, string>
      sms?: string
    }
  | {
      action: 'dial'
      targets: DialTarget[]
      /** Said before dialling, where the provider can. */
      announce: SayItem[]
      language: string
      callerId?: string
      callerName?: string
      maxCallDuration: number
      maxDialDuration: number
      /** Where the call goes when the destination cannot be reached at all. */
      failedLayer?: string
      record: boolean
      customData: Record<string, string>
      sms?: string
    }
  /** Tell the provider we failed, so it uses its own failover (Voicenter MiniExternalDefaultMethodData). */
  | { action: 'provider_default' }

export type DecisionAction = Decision['action']

/** A provider's judgement of a decision: why it cannot carry it out, or undefined when it can. */
export type RenderCheck = (decision: Decision) => string | undefined

export type LookupOutcome = 'found' | 'not_found' | 'error'
/** Why a CRM gave no answer: counted per kind in metrics, and what an operator acts on. */
export type CrmErrorKind = 'rate_limited' | 'circuit_open' | 'timeout' | 'error'
export type LookupKey = 'caller' | 'pin'

export interface LookupResult {
  key: LookupKey
  outcome: LookupOutcome
  contact?: Contact
  /** Why: a timeout, a plugin error, an unusable key. */
  reason?: string
  /** Set when the answer came from the lookup cache: `stale` answers are being refreshed in the background. */
  cache?: 'fresh' | 'stale'
  /** Per plugin, in chain order (empty when answered from the cache). */
  plugins: { plugin: string; outcome: LookupOutcome | 'skipped'; ms: number; reason?: string; kind?: CrmErrorKind }[]
  ms: number
}
