import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What Stringee can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: it talks every say item in STRINGEE_VOICE (a rule's language is not read) and
 * its steps are ours (any text), so nothing beyond the actions and dial targets is fixed.
 */
export const stringeeCapabilities: ProviderCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
}
