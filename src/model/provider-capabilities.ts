import type { DecisionAction, DialTarget, SayItemType } from './call-event.ts'

/**
 * What a provider can do at all, declared by the provider and read by rule validation (admin API and
 * `rules:check`), so a rule that can never answer on a provider is refused when it is written.
 *
 * Everything below `noInput` is optional: it says what the provider's own `check` refuses whatever the call,
 * so a rule's fixed values can be held against it when the rule is written. A provider that leaves a field
 * out takes anything there (any language, every say item, any layer name); its `check` still has the last
 * word, call by call.
 */
export interface ProviderCapabilities {
  /** The answers it can give. */
  actions: readonly DecisionAction[]
  /** What a dial can ring (empty when it cannot dial). */
  dialTargets: readonly DialTarget['type'][]
  /**
   * What a collect needs for a caller who types nothing: `callback` when the provider posts back with no
   * digits (the rules answer then), `in-answer` when the answer itself must carry the no-input path
   * (Routee posts nothing without digits).
   */
  noInput: 'callback' | 'in-answer'
  /**
   * The answers whose `say` items it plays (Voicenter plays only a `say`'s: a collect's prompt is the
   * layer's own, a dial's announcement is not sent). Default: every answer that has items (say, collect,
   * hangup, dial).
   */
  saysOn?: readonly DecisionAction[]
  /** The say item types it can play there. Default: every type. */
  sayItems?: readonly SayItemType[]
  /** It says whole numbers only (`number:12`, not `number:12.50`). */
  wholeNumbers?: boolean
  /** It plays recordings from http(s) URLs only, not file names. */
  recordingUrls?: boolean
  /**
   * The languages a rule's `language` may name there: codes or locales (`EN`, `en-GB`), compared without
   * case; a two-letter code also names the locales of its language (`EN` is `en-GB` on Routee).
   * `spokenOnly`: the language only matters when something is spoken, not for recordings alone.
   * Default: the rule's language is not read (the provider's own setting chooses the voice).
   */
  languages?: { codes: readonly string[]; spokenOnly?: boolean }
  /**
   * What the layers it goes to must look like (`to_layer`, and `failed_layer` when `failedLayers`):
   * Voicenter's are numbers, VoipNow's are contexts. Default: any text (a step name of ours).
   */
  layers?: {
    pattern: RegExp
    /** What they are, for findings: `numbers`, `contexts (context, context:option or context:option:priority)`. */
    are: string
    /** It also sends the caller to a rule's failed layer (a failed dial or announcement). */
    failedLayers: boolean
  }
  /** A dial needs a layer for when the destination cannot be reached (`options.failed_layer` or `to_layer`). */
  dialNeedsFailedLayer?: boolean
  /** It dials phone numbers in E.164 only (`phone:+30…`). */
  e164Phones?: boolean
  /** It sends a text message to the caller (a rule's options.sms). Default: it cannot. */
  sms?: boolean
}
