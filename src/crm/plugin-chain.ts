import * as v from 'valibot'
import type { Database } from '../db/database.ts'
import type { RevisionReader } from '../db/revision-reader.ts'
import { describeIssues } from '../lib/issues.ts'
import type { Logger } from '../lib/logger.ts'
import type { ChainedClient } from './lookup-service.ts'
import type { CrmPlugin } from './plugin.ts'

export class PluginConfigError extends Error {}

export interface PluginChainOptions {
  /** Every plugin the build knows, listed explicitly (Workers has no filesystem to discover them). */
  available: readonly CrmPlugin[]
  /** Plugin ids in lookup order, e.g. from CRM_PLUGINS. */
  enabled: readonly string[]
  env: Record<string, string | undefined>
  db: Database
  /** The change counters plugins may ask (see PluginSetupContext.revisions). */
  revisions: RevisionReader
  log: Logger
  fetch?: typeof fetch
}

/** Parses each enabled plugin's config from the environment and sets it up, in the given order. */
export const createPluginChain = async ({
  available,
  enabled,
  env,
  db,
  revisions,
  log,
  fetch: fetchImpl = fetch,
}: PluginChainOptions): Promise<ChainedClient[]> => {
  const byId = new Map<string, CrmPlugin>()
  for (const plugin of available) {
    if (byId.has(plugin.id)) throw new PluginConfigError(`two plugins have the id "${plugin.id}"`)
    byId.set(plugin.id, plugin)
  }
  const chain: ChainedClient[] = []
  for (const id of enabled) {
    const plugin = byId.get(id)
    if (!plugin) throw new PluginConfigError(`unknown CRM plugin "${id}" (known: ${[...byId.keys()].join(', ')})`)
    if (chain.some((entry) => entry.id === id)) throw new PluginConfigError(`CRM plugin "${id}" is listed twice`)
    const parsed = v.safeParse(plugin.config, configFromEnv(plugin.envPrefix, env))
    if (!parsed.success) {
      const problems = describeIssues(parsed.issues, { field: (key) => envName(plugin.envPrefix, key) })
      throw new PluginConfigError(`CRM plugin "${id}" config: ${problems}`)
    }
    const client = await plugin.setup({ config: parsed.output, db, revisions, log, fetch: fetchImpl })
    chain.push({ id, client })
  }
  return chain
}

/** `HUBSPOT_ACCESS_TOKEN` → `accessToken` for prefix `HUBSPOT_`. */
export const configFromEnv = (prefix: string, env: Record<string, string | undefined>): Record<string, string> => {
  const config: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    // Empty means unset, as in most .env tooling.
    if (!name.startsWith(prefix) || value === undefined || value === '') continue
    const key = name
      .slice(prefix.length)
      .toLowerCase()
      .replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase())
    config[key] = value
  }
  return config
}

export const envName = (prefix: string, key: string) => prefix + key.replace(/[A-Z]/g, (char) => `_${char}`).toUpperCase()
