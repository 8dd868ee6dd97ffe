import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What RingCentral can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: Play takes audio files from URLs and nothing else (no text to speech), for a
 * collect's prompt, a dial's announcement and a goodbye alike. Steps are ours (any text).
 */
export const ringcentralCapabilities: ProviderCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'provider_default'],
  dialTargets: ['phone', 'extension'],
  noInput: 'callback',
  sayItems: ['recording'],
  recordingUrls: true,
}
