import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What Voicenter can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: SAY_DIGITS plays Recording, Digits, Number, Date and DateTime items (no text), whole
 * numbers only, in HE, EN, AR or RU; a collect's prompt is the layer's own and a DIAL sends no announcement,
 * so only a say's items are played; layers (to_layer, NEXT_VO_ID, NEXT_LAYER_IF_FAILED) are numbers; a DIAL
 * needs NEXT_VO_ID.
 */
export const voicenterCapabilities = {
  actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
  saysOn: ['say'],
  sayItems: ['recording', 'digits', 'number', 'date', 'datetime'],
  wholeNumbers: true,
  languages: { codes: ['HE', 'EN', 'AR', 'RU'] },
  layers: { pattern: /^\d+$/, are: 'numbers', failedLayers: true },
  dialNeedsFailedLayer: true,
} satisfies ProviderCapabilities
