import type { GenericSchema, InferOutput } from 'valibot'
import type { Database } from '../db/database.ts'
import type { RevisionReader } from '../db/revision-reader.ts'
import type { Logger } from '../lib/logger.ts'
import type { CallLogEntry, Contact } from '../model/contact.ts'

export { contacts, owners } from '../db/schema.ts'
// Plugin authors import everything they need from here: the model types, and the service's own tables
// (the local directory reads contacts, HubSpot the owner map), so no plugin reaches into src/db itself.
export type { CallLogEntry, Contact, ContactOwner } from '../model/contact.ts'
export { type CallOutcome, callOutcome } from './call-outcome.ts'
export { ownerMap } from './owner-map.ts'

export interface LookupOptions {
  /** Aborted when the provider's deadline is reached; plugins pass it to their HTTP calls. */
  signal: AbortSignal
}

/** What a plugin can do; every capability is optional. */
export interface CrmClient {
  /**
   * The longest one lookup may take, so a slow CRM early in the chain leaves time for the plugins after it.
   * Without it a plugin may use all that is left of the provider's deadline.
   */
  timeoutMs?: number
  /** Lookups per second the CRM allows this client (HubSpot: 5 searches a second for the whole account); over it the plugin is skipped. */
  rateLimit?: { perSecond: number; burst?: number }
  /** False when caching would only hide edits (a local database). @default true */
  cache?: boolean
  /** @param phone E.164 */
  findByPhone?(phone: string, options: LookupOptions): Promise<Contact | null>
  findByPin?(pin: string, options: LookupOptions): Promise<Contact | null>
  logCall?(entry: CallLogEntry): Promise<void>
}

/** Thrown by a plugin when the CRM answered 429: the lookup service leaves it alone until `retryAfterMs`. */
export class RateLimitedError extends Error {
  readonly retryAfterMs: number
  constructor(message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

export interface PluginSetupContext<Config> {
  config: Config
  db: Database
  /**
   * The service's change counters ('directory' for contacts and owners), re-read at most every
   * RULES_REFRESH_MS: a plugin that keeps answers from the service's own tables in memory asks it whether
   * they changed.
   */
  revisions: RevisionReader
  log: Logger
  fetch: typeof fetch
}

export interface CrmPlugin<Schema extends GenericSchema = GenericSchema> {
  /** kebab-case, unique in the chain */
  id: string
  version: string
  /**
   * Environment variables starting with this prefix become the config object:
   * `HUBSPOT_ACCESS_TOKEN` → `{ accessToken }` for prefix `HUBSPOT_`.
   */
  envPrefix: string
  config: Schema
  setup(context: PluginSetupContext<InferOutput<Schema>>): CrmClient | Promise<CrmClient>
}

/** Identity helper: checks a plugin object and infers its config type. */
export const definePlugin = <Schema extends GenericSchema>(plugin: CrmPlugin<Schema>): CrmPlugin<Schema> => plugin
