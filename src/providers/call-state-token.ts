import { sign, verify } from 'hono/utils/jwt/jwt'
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

export const createCallStateTokens = (secret: string, ttlSeconds = 3600, now: () => number = Date.now) => {
  // Imported once: hono's sign and verify import a text secret again on every call, which was a quarter of
  // the CPU of a Routee COLLECT step (each verifies the state it brings and signs the next one).
  let key: ReturnType<typeof crypto.subtle.importKey> | undefined
  const hmacKey = () => {
    key ??= crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    return key
  }
  return {
    sign: async (state: CallStateToken) => sign({ ...state, exp: Math.floor(now() / 1000) + ttlSeconds }, await hmacKey(), 'HS256'),
    /** Undefined when forged, tampered with, malformed or expired. */
    async read(token: string): Promise<CallStateToken | undefined> {
      try {
        // Expiry is checked against our clock, not hono's, so it follows the same time as signing.
        const payload = await verify(token, await hmacKey(), { alg: 'HS256', exp: false })
        if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now()) return undefined
        const parsed = v.safeParse(StatePayload, payload)
        return parsed.success ? parsed.output : undefined
      } catch {
        return undefined
      }
    },
  }
}

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
