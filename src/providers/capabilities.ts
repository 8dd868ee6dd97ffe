import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import { builtinProviders } from './index.ts'

/** What each built-in provider can do, by id; what `rules:check` holds rules against. */
export const PROVIDER_CAPABILITIES: Record<string, ProviderCapabilities> = Object.fromEntries(
  builtinProviders.map((provider) => [provider.id, provider.capabilities]),
)
