import * as v from 'valibot'
import { envCountry, envFlag, envList, envSecret, envInteger as integer, setting, envText as text } from './lib/env-schema.ts'
import { describeIssues } from './lib/issues.ts'
import type { LogLevel } from './lib/logger.ts'

const secret = () => envSecret(16, 'must be at least 16 characters')

/**
 * Every setting the core reads, from environment variables (Node) or Worker vars/secrets. Each provider's
 * and plugin's own settings are in their schemas; docs/configuration.md is generated from all of them.
 */
const EnvSchema = v.object({
  LOG_LEVEL: setting(
    v.optional(v.picklist(['debug', 'info', 'warn', 'error'] satisfies LogLevel[]), 'info'),
    'debug, info, warn or error.',
  ),
  WEBHOOK_SECRET: setting(
    secret(),
    'When set, webhooks must carry it: /webhooks/<provider>/<secret>, ?token=<secret> or an X-Webhook-Secret header. At least 16 characters.',
  ),
  STATE_SECRET: setting(
    secret(),
    'Signs the call state put into URLs we hand providers (Routee and Stringee eventUrls); default: WEBHOOK_SECRET. Without either, calls in progress do not survive a restart.',
  ),
  ADMIN_TOKEN: setting(
    secret(),
    'Bearer token for /admin and /metrics, and the console sign-in that may edit; without it they are off. At least 16 characters.',
  ),
  VIEWER_TOKEN: setting(
    secret(),
    'Console sign-in that may look but not change anything (supervisors): rules, calls with numbers masked, health. At least 16 characters.',
  ),
  CONSOLE_SESSION_IDLE_MINUTES: setting(integer(60, 1), 'Minutes a console session stays signed in without a page being opened.'),
  CONSOLE_SESSION_HOURS: setting(integer(12, 1), 'Hours after sign-in a console session ends, however busy.'),
  PUBLIC_URL: setting(
    v.optional(v.pipe(v.string(), v.trim(), v.url('must be a URL such as https://ivr.example.com'))),
    'Where providers reach this service (https://ivr.example.com), for URLs we hand out; default: the origin of each request.',
  ),
  CRM_PLUGINS: setting(envList('local-directory'), 'CRM plugin ids, comma-separated, in lookup order.'),
  TIME_ZONE: setting(
    v.pipe(
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
    "The time zone rules' days and hours are in (IANA name, e.g. Asia/Jerusalem).",
  ),
  DEFAULT_COUNTRY: setting(envCountry('IL'), 'Country of local numbers typed into the admin API (contacts, decision filters).'),
  RULES_REFRESH_MS: setting(
    integer(1000),
    'How often the rules and the local directory are checked for changes (ms): an edit, through the admin API or any SQLite tool, counts within this time; 0 checks on every call.',
  ),
  DEFAULT_LANGUAGE: setting(text('EN'), 'Language of announcements when a rule gives none.'),
  DIAL_MAX_CALL_DURATION: setting(integer(7200, 1), 'Longest dialled call, in seconds, when a rule gives none.'),
  DIAL_MAX_DIAL_DURATION: setting(integer(60, 1), 'Seconds a dial rings before giving up, when a rule gives none.'),
  DIAL_RECORD: setting(envFlag(false), 'Record dialled calls when a rule does not say.'),
  LOOKUP_CACHE_TTL_SECONDS: setting(integer(300), 'Seconds a found contact is served from the cache.'),
  LOOKUP_CACHE_MISS_TTL_SECONDS: setting(integer(15), 'Seconds an unknown caller is served from the cache.'),
  LOOKUP_CACHE_ERROR_TTL_SECONDS: setting(
    integer(5),
    'Seconds a failed lookup is not retried (a contact found before is served meanwhile).',
  ),
  LOOKUP_CACHE_STALE_SECONDS: setting(
    integer(86_400),
    'Seconds an expired found contact may still be served while it is refreshed ("not found" and failures never are).',
  ),
  LOOKUP_CACHE_SIZE: setting(integer(10_000, 1), 'Most answers the lookup cache holds.'),
  LOOKUP_BREAKER_FAILURES: setting(integer(5, 1), 'Consecutive failures after which a CRM is left alone.'),
  LOOKUP_BREAKER_OPEN_SECONDS: setting(integer(30, 1), 'Seconds a failing CRM is left alone before it is tried again.'),
  CALL_LOG_DELAY_SECONDS: setting(
    integer(30),
    "Seconds a call's CRM log waits for the call's later IVR steps, then goes out as one engagement.",
  ),
  CALL_LOG_MAX_ATTEMPTS: setting(integer(12, 1), 'Attempts to deliver a call log before it is given up.'),
  OUTBOX_INTERVAL_SECONDS: setting(integer(5, 1), 'How often the Node server sends due call logs (Workers: the cron in wrangler.toml).'),
  CALL_STATE_TTL_HOURS: setting(integer(24, 1), 'Hours per-call state (attempt counts) is kept.'),
  DECISIONS_RETENTION_DAYS: setting(integer(30), 'Days decisions are kept (about 1 MB per 1,000 calls); 0 = forever.'),
  OUTBOX_RETENTION_DAYS: setting(integer(7), 'Days delivered CRM call logs stay in the outbox table; 0 = forever.'),
  OUTBOX_FAILED_RETENTION_DAYS: setting(
    integer(30),
    'Days call logs given up after CALL_LOG_MAX_ATTEMPTS stay (from their last attempt) for a person to look at; 0 = forever.',
  ),
  RETENTION_BATCH_SIZE: setting(
    integer(500, 1),
    'Rows per retention DELETE: each is one short statement, so calls never wait behind a purge.',
  ),
  RETENTION_MAX_ROWS_PER_RUN: setting(
    integer(20_000, 1),
    'Most rows of each kind one retention run deletes; the rest goes on the next run.',
  ),
  RETENTION_INTERVAL_SECONDS: setting(integer(60, 1), 'How often the Node server runs retention (Workers: the cron in wrangler.toml).'),
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
  if (read.settings.VIEWER_TOKEN && read.settings.VIEWER_TOKEN === read.settings.ADMIN_TOKEN) {
    throw new ConfigError('invalid configuration: VIEWER_TOKEN: must differ from ADMIN_TOKEN (a viewer would sign in as an admin)')
  }
  return read.settings
}

/** The core's settings schema, for the configuration reference. */
export const coreSettings = EnvSchema
