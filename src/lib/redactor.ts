import type { Logger } from './logger.ts'

/** Names of settings that hold secrets: ours (WEBHOOK_SECRET, ADMIN_TOKEN…) and any plugin's (HUBSPOT_ACCESS_TOKEN). */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i
/** Shorter values would redact ordinary words and numbers; real secrets are longer (ours must be 16+). */
const MIN_SECRET_LENGTH = 8
export const REDACTED = '[redacted]'

/**
 * Replaces every secret the environment holds, in its plain and URL-encoded forms, wherever it appears:
 * the webhook secret travels in URL paths and `?token=`, and our own answers carry it in the eventUrls we
 * hand to Routee and Stringee, so stored requests, stored answers and log lines all pass through this.
 */
export const createRedactor = (env: Record<string, string | undefined>): ((text: string) => string) => {
  const secrets = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    const secret = value?.trim()
    if (!secret || secret.length < MIN_SECRET_LENGTH || !SECRET_NAME.test(name)) continue
    secrets.add(secret)
    secrets.add(encodeURIComponent(secret))
  }
  if (secrets.size === 0) return (text) => text
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const secret of ordered) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED)
    return out
  }
}

/** A secret made only of digits can sit where JSON wanted a number: then the text is logged as it is. */
const parseOr = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A logger whose messages and fields have the secrets taken out before they are written. */
export const redactingLogger = (log: Logger, redact: (text: string) => string): Logger => {
  const clean = (fields?: Record<string, unknown>) => {
    if (!fields) return fields
    let out: Record<string, unknown> | undefined
    for (const [key, value] of Object.entries(fields)) {
      let text: string | undefined
      if (typeof value === 'string') text = value
      else if (typeof value === 'object' && value !== null) {
        try {
          text = JSON.stringify(value)
        } catch {
          continue
        }
      }
      if (text === undefined) continue
      const redacted = redact(text)
      if (redacted === text) continue
      out ??= { ...fields }
      out[key] = typeof value === 'string' ? redacted : parseOr(redacted)
    }
    return out ?? fields
  }
  return {
    debug: (message, fields) => log.debug(redact(message), clean(fields)),
    info: (message, fields) => log.info(redact(message), clean(fields)),
    warn: (message, fields) => log.warn(redact(message), clean(fields)),
    error: (message, fields) => log.error(redact(message), clean(fields)),
  }
}
