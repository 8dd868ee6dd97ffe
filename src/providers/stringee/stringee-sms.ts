import { withDeadline } from '../../lib/deadline.ts'
import { errorMessage, type Logger } from '../../lib/logger.ts'

/**
 * Stringee's SMS REST API (seed 002's key-press action 5, "send an SMS to the caller"): POST /v1/sms with
 * `{"sms": [{from, to, text}]}`, authorised by a REST token in X-STRINGEE-AUTH.
 * https://developer.stringee.com/docs/sms-rest-api, /docs/rest-api-reference/authentication
 */
export interface StringeeSmsOptions {
  /** @default 'https://api.stringee.com' */
  apiUrl?: string
  /** The API key (SID) and its secret, from Stringee's dashboard (Project → API keys). */
  keySid?: string
  keySecret?: string
  /** The brandname registered with Stringee that the SMS comes from. */
  from?: string
  fetch: typeof fetch
  log: Logger
  /** How long one send may take. @default 5000 */
  timeoutMs?: number
  now?: () => number
}

/** What the send asks, without the caller's number in any log. */
export interface StringeeSms {
  /** The digits of the caller's number, country code first (Stringee's own form: 84901234567). */
  to: string
  text: string
  /** For the logs. */
  callId: string
}

export const STRINGEE_API_URL = 'https://api.stringee.com'
/** How long a REST token is valid: one send needs seconds. */
const TOKEN_SECONDS = 3600

const base64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
const jsonPart = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)))

/**
 * A Stringee REST API token: an HS256 JWT signed with the API key's secret, whose header names Stringee's
 * content type (`cty: stringee-api;v=1`, which hono's jwt signer cannot set), issued by the key's SID for
 * the REST API (`rest_api: true`). Web Crypto, so the same on Node and Workers.
 */
export const stringeeRestToken = async (keySid: string, keySecret: string, nowSeconds: number): Promise<string> => {
  const head = `${jsonPart({ typ: 'JWT', alg: 'HS256', cty: 'stringee-api;v=1' })}.${jsonPart({
    jti: `${keySid}-${nowSeconds}`,
    iss: keySid,
    exp: nowSeconds + TOKEN_SECONDS,
    rest_api: true,
  })}`
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', encoder.encode(keySecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return `${head}.${base64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(head))))}`
}

interface SmsResponse {
  smsSent?: unknown
  result?: { r?: unknown; msg?: unknown }[]
  r?: unknown
  msg?: unknown
  message?: unknown
}

const readJson = (raw: string): SmsResponse => {
  try {
    const parsed: unknown = JSON.parse(raw)
    return parsed && typeof parsed === 'object' ? (parsed as SmsResponse) : {}
  } catch {
    return {}
  }
}

/**
 * Sends SMS through Stringee. Never throws: a send that fails (no settings, a timeout, a refused token, or
 * Stringee's 200 with a message whose `r` is not 0, as for a bad number or brandname) is logged, with the
 * call id and Stringee's reason, never the caller's number or the text.
 */
export const createStringeeSms = ({
  apiUrl = STRINGEE_API_URL,
  keySid,
  keySecret,
  from,
  fetch: fetchImpl,
  log,
  timeoutMs = 5000,
  now = Date.now,
}: StringeeSmsOptions) => {
  const missing = [
    ...(keySid ? [] : ['STRINGEE_API_KEY_SID']),
    ...(keySecret ? [] : ['STRINGEE_API_KEY_SECRET']),
    ...(from ? [] : ['STRINGEE_SMS_FROM']),
  ]
  const url = `${apiUrl.replace(/\/+$/, '')}/v1/sms`

  /** True when Stringee took the message. */
  const send = async ({ to, text, callId }: StringeeSms): Promise<boolean> => {
    if (missing.length > 0) {
      log.warn('Stringee SMS not sent: settings missing', { callId, missing })
      return false
    }
    try {
      const token = await stringeeRestToken(keySid as string, keySecret as string, Math.floor(now() / 1000))
      const response = await withDeadline(
        (signal) =>
          fetchImpl(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-stringee-auth': token },
            body: JSON.stringify({ sms: [{ from, to, text }] }),
            signal,
          }),
        timeoutMs,
      )
      const body = readJson(await response.text())
      if (!response.ok) {
        log.error('Stringee SMS failed', { callId, status: response.status, reason: String(body.message ?? body.msg ?? '') })
        return false
      }
      // Stringee answers 200 for a message it refused: its own result code `r` says so (0 is sent).
      const result = Array.isArray(body.result) ? body.result[0] : body
      if (result?.r !== 0) {
        log.error('Stringee SMS refused', { callId, r: result?.r, reason: String(result?.msg ?? body.message ?? '') })
        return false
      }
      log.info('Stringee SMS sent', { callId })
      return true
    } catch (error) {
      log.error('Stringee SMS failed', { callId, error: errorMessage(error) })
      return false
    }
  }

  return { send, missing }
}

export type StringeeSmsClient = ReturnType<typeof createStringeeSms>
