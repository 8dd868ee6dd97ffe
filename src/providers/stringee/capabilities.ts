import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What Stringee can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: it talks every say item in STRINGEE_VOICE (a rule's language is not read) and
 * its steps are ours (any text), so nothing beyond the actions and dial targets is fixed. Voicemail is its
 * SCCO's recordMessage (seed 002's key-press action 1). An SMS (action 5) goes through Stringee's SMS REST
 * API after the answer; without STRINGEE_API_KEY_SID/SECRET and STRINGEE_SMS_FROM it is not sent (warned at
 * start-up), but the call is routed all the same.
 */
export const stringeeCapabilities: ProviderCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'voicemail', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
  sms: true,
}
