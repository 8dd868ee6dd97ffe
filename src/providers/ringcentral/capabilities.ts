import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/** What RingCentral can do at all: read by rule validation (admin API, rules:check) when a rule is written. */
export const ringcentralCapabilities: ProviderCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
}
