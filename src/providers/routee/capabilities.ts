import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/** What Routee can do at all: read by rule validation (admin API, rules:check) when a rule is written. */
export const routeeCapabilities: ProviderCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'provider_default'],
  dialTargets: ['phone'],
  noInput: 'in-answer',
}
