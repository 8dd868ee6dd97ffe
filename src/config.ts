import * as v from 'valibot'
import { envCountry, envFlag, envInteger as integer, envList, envText as text } from './lib/env-schema.ts'
import type { LogLevel } from './lib/logger.ts'
import { describeIssues } from './lib/issues.ts'

/** Every setting the core reads, from environment variables (Node) or Worker vars/secrets. */
const EnvSchema = v.object({
  LOG_LEVEL: v.optional(v.picklist(['debug', 'info', 'warn', 'error'] satisfies LogLevel[]), 'info'),
  /** When set, webhooks must carry it: /webhooks/voicenter/<secret>, ?token=<secret> or X-Webhook-Secret. */
  WEBHOOK_SECRET: v.optional(v.pipe(v.string(), v.trim(), v.minLength(16, 'must be at least 16 characters'))),
  /** CRM plugin ids in lookup order. */
  CRM_PLUGINS: envList('local-directory'),
  TIME_ZONE: v.pipe(
    text('UTC'),
    v.check((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone })
        return true
      } catch {
        return false
      }
    }, 'must be an IANA time zone such as Asia/Jerusalem'),
  ),
  RULES_REFRESH_MS: integer(1000),
  DEFAULT_LANGUAGE: text('EN'),
  DIAL_MAX_CALL_DURATION: integer(7200, 1),
  DIAL_MAX_DIAL_DURATION: integer(60, 1),
  DIAL_RECORD: envFlag(false),
  LOOKUP_CACHE_TTL_SECONDS: integer(300),
  LOOKUP_CACHE_MISS_TTL_SECONDS: integer(15),
  LOOKUP_CACHE_ERROR_TTL_SECONDS: integer(5),
  LOOKUP_CACHE_STALE_SECONDS: integer(86_400),
  LOOKUP_CACHE_SIZE: integer(10_000, 1),
  LOOKUP_BREAKER_FAILURES: integer(5, 1),
  LOOKUP_BREAKER_OPEN_SECONDS: integer(30, 1),
  /** A call's CRM log waits this long for the call's later IVR steps, then goes out as one engagement. */
  CALL_LOG_DELAY_SECONDS: integer(30),
  CALL_LOG_MAX_ATTEMPTS: integer(12, 1),
  /** How often the Node server sends due call logs. */
  OUTBOX_INTERVAL_SECONDS: integer(5, 1),
  /** Where providers reach this service (https://ivr.example.com); used in URLs we hand out. */
  PUBLIC_URL: v.optional(v.pipe(v.string(), v.trim(), v.url('must be a URL such as https://ivr.example.com'))),
  /** Bearer token for /admin endpoints; without it they are off. */
  ADMIN_TOKEN: v.optional(v.pipe(v.string(), v.trim(), v.minLength(16, 'must be at least 16 characters'))),
  /** Signs state we hand providers in URLs (Routee, Stringee eventUrls); defaults to WEBHOOK_SECRET. */
  STATE_SECRET: v.optional(v.pipe(v.string(), v.trim(), v.minLength(16, 'must be at least 16 characters'))),
  /** Country of local numbers typed into the admin API (contacts, decision filters). */
  DEFAULT_COUNTRY: envCountry('IL'),
  /** Forget per-call state after this long. */
  CALL_STATE_TTL_HOURS: integer(24, 1),
  /** Days decisions are kept (about 1 MB per 1,000 calls); 0 = forever. */
  DECISIONS_RETENTION_DAYS: integer(30),
  /** Days delivered CRM call logs stay in the outbox table; 0 = forever. */
  OUTBOX_RETENTION_DAYS: integer(7),
  /** Days call logs given up after CALL_LOG_MAX_ATTEMPTS stay (from their last attempt) for a person to look at; 0 = forever. */
  OUTBOX_FAILED_RETENTION_DAYS: integer(30),
  /** Rows per retention DELETE: each is one short statement, so calls never wait behind a purge. */
  RETENTION_BATCH_SIZE: integer(500, 1),
  /** Most rows of each kind one retention run deletes; the rest goes on the next run. */
  RETENTION_MAX_ROWS_PER_RUN: integer(20_000, 1),
  /** How often the Node server runs retention (Workers: the cron in wrangler.toml). */
  RETENTION_INTERVAL_SECONDS: integer(60, 1),
})

export type Config = v.InferOutput<typeof EnvSchema>

export class ConfigError extends Error {}

/** Empty variables mean "not set", as in most .env tooling. */
const definedOnly = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))

/** Parses a settings schema (the core's, a provider's) from the environment; undefined problems when valid. */
export const readSettings = <Schema extends v.GenericSchema>(
  schema: Schema,
  env: Record<string, string | undefined>,
): { ok: true; settings: v.InferOutput<Schema> } | { ok: false; problems: string } => {
  const parsed = v.safeParse(schema, definedOnly(env))
  return parsed.success ? { ok: true, settings: parsed.output } : { ok: false, problems: describeIssues(parsed.issues) }
}

export const parseConfig = (env: Record<string, string | undefined>): Config => {
  const read = readSettings(EnvSchema, env)
  if (!read.ok) throw new ConfigError(`invalid configuration: ${read.problems}`)
  return read.settings
}

/** The core's settings schema, for the configuration reference. */
export const coreSettings = EnvSchema
