import * as v from 'valibot'
import type { LogLevel } from './logger.ts'

const integer = (fallback: number, min = 0) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min),
  )

const flag = (fallback: boolean) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform((text) => text.trim().toLowerCase()),
    v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
    v.transform((text) => ['true', '1', 'yes'].includes(text)),
  )

const text = (fallback: string) => v.pipe(v.optional(v.string(), fallback), v.trim())

/** Every setting the core reads, from environment variables (Node) or Worker vars/secrets. */
const EnvSchema = v.object({
  LOG_LEVEL: v.optional(v.picklist(['debug', 'info', 'warn', 'error'] satisfies LogLevel[]), 'info'),
  /** When set, webhooks must carry it: /webhooks/voicenter/<secret>, ?token=<secret> or X-Webhook-Secret. */
  WEBHOOK_SECRET: v.optional(v.pipe(v.string(), v.trim(), v.minLength(16, 'must be at least 16 characters'))),
  /** CRM plugin ids in lookup order. */
  CRM_PLUGINS: v.pipe(
    text('local-directory'),
    v.transform((list) =>
      list
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ),
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
  DIAL_RECORD: flag(false),
  VOICENTER_DEFAULT_COUNTRY: v.pipe(text('IL'), v.toUpperCase(), v.regex(/^[A-Z]{2}$/, 'must be a two-letter country code')),
  VOICENTER_LOOKUP_DEADLINE_MS: integer(1500, 50),
  /** Forget per-call state after this long. */
  CALL_STATE_TTL_HOURS: integer(24, 1),
})

export type Config = v.InferOutput<typeof EnvSchema>

export class ConfigError extends Error {}

export const parseConfig = (env: Record<string, string | undefined>): Config => {
  // Empty variables mean "not set", as in most .env tooling.
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  const parsed = v.safeParse(EnvSchema, defined)
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => `${issue.path?.map((item) => String(item.key)).join('.') ?? ''}: ${issue.message}`)
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  }
  return parsed.output
}
