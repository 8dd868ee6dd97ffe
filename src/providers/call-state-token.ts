import { decodeBase64Url, encodeBase64Url } from 'hono/utils/encode'
import * as v from 'valibot'

/**
 * State that travels in a URL we hand a provider (the COLLECT / input eventUrl): the IVR step, the attempt
 * count and who is calling. Signed (HS256) so a caller cannot forge it, bound to the call once its id is
 * known, and short-lived.
 */
const StatePayload = v.looseObject({
  /** step */
  s: v.string(),
  /** attempt at that step, counting the request this state comes back with */
  a: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** caller */
  f: v.string(),
  /** number called */
  t: v.string(),
  /** call, once known */
  c: v.optional(v.string()),
})
export type CallStateToken = v.InferOutput<typeof StatePayload>

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

/** Base64url without padding, as JWTs write it. */
const base64url = (bytes: ArrayBufferLike) => encodeBase64Url(bytes).replace(/=+$/, '')

/** HMAC-SHA256 of `data` under `key`, base64url without padding: WebCrypto by default; the Node entry passes node:crypto's. */
export type HmacSha256 = (key: string, data: string) => string | Promise<string>

/**
 * WebCrypto, with the key imported once per secret. Node runs every WebCrypto HMAC as a job on its thread
 * pool, a quarter of a Routee step's CPU: the Node entry passes a synchronous one instead.
 */
export const webCryptoHmac = (): HmacSha256 => {
  const keys = new Map<string, ReturnType<typeof crypto.subtle.importKey>>()
  return async (secret, data) => {
    let key = keys.get(secret)
    if (!key) {
      key = crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      keys.set(secret, key)
    }
    return base64url(await crypto.subtle.sign('HMAC', await key, utf8.encode(data)))
  }
}

const HEADER = base64url(utf8.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).buffer)
const textOf = (part: string) => fromUtf8.decode(decodeBase64Url(part))

/** Equal strings take as long to compare as any others of their length: a signature is not guessed byte by byte. */
const sameText = (a: string, b: string) => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index)
  return difference === 0
}

/** A JWT (HS256), the format hono's jwt helpers read and write, signed with the HMAC given. */
export const createCallStateTokens = (secret: string, ttlSeconds = 3600, now: () => number = Date.now, hmac = webCryptoHmac()) => ({
  async sign(state: CallStateToken): Promise<string> {
    const payload = base64url(utf8.encode(JSON.stringify({ ...state, exp: Math.floor(now() / 1000) + ttlSeconds })).buffer)
    return `${HEADER}.${payload}.${await hmac(secret, `${HEADER}.${payload}`)}`
  },
  /** Undefined when forged, tampered with, malformed or expired. */
  async read(token: string): Promise<CallStateToken | undefined> {
    try {
      const [header, payload, signature, extra] = token.split('.')
      if (!header || !payload || !signature || extra !== undefined) return undefined
      if ((JSON.parse(textOf(header)) as { alg?: unknown }).alg !== 'HS256') return undefined
      if (!sameText(signature, await hmac(secret, `${header}.${payload}`))) return undefined
      const claims = JSON.parse(textOf(payload)) as { exp?: unknown }
      // Expiry is checked against our clock, so it follows the same time as signing.
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now()) return undefined
      const parsed = v.safeParse(StatePayload, claims)
      return parsed.success ? parsed.output : undefined
    } catch {
      return undefined
    }
  },
})

/** What a collect hands out: the step asked for, and which attempt at it the answer will be. */
export const stateForCollect = (
  step: string,
  event: { layer?: string; attempt?: number; callerRaw?: string; did?: string; callId?: string },
): CallStateToken => ({
  s: step,
  a: step === event.layer ? (event.attempt ?? 1) + 1 : 1,
  f: event.callerRaw ?? '',
  t: event.did ?? '',
  ...(event.callId ? { c: event.callId } : {}),
})

/** This service's webhook URL for a provider, with the webhook secret in the path when there is one. */
export const webhookUrl = (base: string, provider: string, webhookSecret?: string) =>
  `${base.replace(/\/+$/, '')}/webhooks/${provider}${webhookSecret ? `/${encodeURIComponent(webhookSecret)}` : ''}`
