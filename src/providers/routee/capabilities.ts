import type { ProviderCapabilities } from '../../model/provider-capabilities.ts'

/**
 * What Routee can do at all: read by rule validation (admin API, rules:check) when a rule is written.
 * Taken from its `check`: SAY speaks its own languages (a two-letter code picks the first locale of its
 * kind), recordings are PLAYed from URLs, and DIAL rings phone numbers in E.164. Steps are ours (any text).
 */
export const routeeCapabilities = {
  actions: ['collect', 'dial', 'hangup', 'provider_default'],
  dialTargets: ['phone'],
  noInput: 'in-answer',
  recordingUrls: true,
  languages: {
    codes: ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'it-IT', 'pt-BR', 'es-ES', 'es-LA', 'el-GR', 'bg-BG', 'pl-PL', 'hu-HU', 'sv-SE', 'ru-RU'],
    spokenOnly: true,
  },
  e164Phones: true,
} satisfies ProviderCapabilities
