import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What VoipNow can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: the layers it Jumps to (go_to_layer, say, collect) are contexts; it plays every
 * say item (PlaySound or PlayTTS, in VOIPNOW_LANGUAGE, so a rule's language is not read) and never goes
 * to a failed layer.
 */
export const voipnowCapabilities = {
  actions: ['go_to_layer', 'say', 'collect', 'hangup', 'provider_default'],
  dialTargets: [],
  noInput: 'callback',
  layers: {
    pattern: /^[\w.-]+(:[\w.-]+(:\d+)?)?$/,
    are: 'contexts (context, context:option or context:option:priority)',
    failedLayers: false,
  },
} satisfies ProviderCapabilities
