import type { DecisionAction, DialTarget, ProviderId } from '../model/call-event.ts'

/** What each provider can do at all; the adapters declare it and `rules:check` holds rules against it. */
export const PROVIDER_CAPABILITIES: Record<ProviderId, { actions: readonly DecisionAction[]; dialTargets: readonly DialTarget['type'][] }> = {
  voicenter: { actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'], dialTargets: ['phone', 'extension'] },
  routee: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone'] },
  stringee: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone', 'extension'] },
  ringcentral: { actions: ['collect', 'dial', 'hangup', 'provider_default'], dialTargets: ['phone', 'extension'] },
  voipnow: { actions: ['go_to_layer', 'say', 'collect', 'hangup', 'provider_default'], dialTargets: [] },
}
