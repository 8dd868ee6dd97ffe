import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/** What Voicenter can do at all: read by rule validation (admin API, rules:check) when a rule is written. */
export const voicenterCapabilities: ProviderCapabilities = {
  actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
}
