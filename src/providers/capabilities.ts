import type { ProviderCapabilities } from '../model/provider-capabilities.ts'

/** What each provider can do at all; the adapters declare it and `rules:check` holds rules against it. */
export const PROVIDER_CAPABILITIES = {
  voicenter: { actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'], dialTargets: ['phone', 'extension'], noInput: 'callback' },
  routee: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone'], noInput: 'in-answer' },
  stringee: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone', 'extension'], noInput: 'callback' },
  ringcentral: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone', 'extension'], noInput: 'callback' },
  voipnow: { actions: ['go_to_layer', 'say', 'collect', 'hangup', 'provider_default'], dialTargets: [], noInput: 'callback' },
} satisfies Record<string, ProviderCapabilities>
