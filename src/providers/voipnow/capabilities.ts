import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/** What VoipNow can do at all: read by rule validation (admin API, rules:check) when a rule is written. */
export const voipnowCapabilities: ProviderCapabilities = {
  actions: ['go_to_layer', 'say', 'collect', 'hangup', 'provider_default'],
  dialTargets: [],
  noInput: 'callback',
}
