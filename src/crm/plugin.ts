import type { GenericSchema, InferOutput } from 'valibot'
import type { Database } from '../db/database.ts'
import type { Logger } from '../logger.ts'

/** The one shape every CRM plugin returns a contact in. */
export interface Contact {
  id: string
  /** Plugin id the contact came from. */
  source: string
  name: string
  company?: string
  owner?: ContactOwner
  segment?: string
  tags: string[]
  /** Free fields for rules, templates and the screen pop (balance, last ticket, ...). */
  fields: Record<string, string>
  /** ISO time the CRM last changed the record; the newest wins when several match. */
  updatedAt?: string
}

export interface ContactOwner {
  id?: string
  name?: string
  email?: string
  extension?: string
  phone?: string
  layer?: string
}

export interface LookupOptions {
  /** Aborted when the provider's deadline is reached; plugins pass it to their HTTP calls. */
  signal: AbortSignal
}

export interface CallLogEntry {
  provider: string
  callId: string
  contact: Contact
  direction: 'inbound' | 'outbound'
  from: string
  to: string
  at: Date
  /** Human readable: which rule fired and what the caller was answered. */
  summary: string
  durationMs?: number
  status?: string
}

/** What a plugin can do; every capability is optional. */
export interface CrmClient {
  /**
   * The longest one lookup may take, so a slow CRM early in the chain leaves time for the plugins after it.
   * Without it a plugin may use all that is left of the provider's deadline.
   */
  timeoutMs?: number
  /** Lookups per second the CRM allows this client (HubSpot search: 4); over it the plugin is skipped. */
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
