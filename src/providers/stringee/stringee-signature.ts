import { timingSafeEqual } from 'hono/utils/buffer'
import type { ProviderRequest } from '../provider.ts'

/**
 * What the URL parsers in front of us (Node's request URL, the Workers runtime, `new URL`) percent-encode in
 * a query that Stringee sends raw: `"`, `<`, `>` and, for http(s), `'`. Stringee signs the Request-URI as it
 * sends it (only a space becomes %20, which no parser touches), so these are undone to get its bytes back.
 */
const PARSER_ESCAPES: Record<string, string> = { '%22': '"', '%27': "'", '%3C': '<', '%3E': '>' }
const ESCAPED = /%(?:22|27|3C|3E)/gi

/** The request-target (path and query) of a full URL, exactly as the string has it: no parsing, no normalising. */
const requestTarget = (url: string): string => {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  if (pathStart === -1) return '/'
  const hash = url.indexOf('#', pathStart)
  return hash === -1 ? url.slice(pathStart) : url.slice(pathStart, hash)
}

/**
 * The Request-URIs Stringee may have signed for this GET: the one we were given, and the same with the
 * escapes of a URL parser undone. A runtime that kept the raw target gives the first; one that parsed it
 * (workerd always does, Node when the URL has a `"`) gives the second. Both say the same query, so
 * accepting either takes nothing from the signature: only Stringee's secret makes a match.
 */
export const signedUriCandidates = (url: string): string[] => targetCandidates(requestTarget(url))

/** A request-target as given, and with a URL parser's escapes undone when it has any. */
const targetCandidates = (given: string): string[] => {
  const unescaped = given.replace(ESCAPED, (sequence) => PARSER_ESCAPES[sequence.toUpperCase()] ?? sequence)
  return unescaped === given ? [given] : [given, unescaped]
}

const hmacSha1Base64 = async (secret: string, data: string): Promise<string> => {
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)))
  return btoa(String.fromCharCode(...signature))
}

/**
 * X-STRINGEE-SIGNATURE = base64(HMAC-SHA1(signing secret, data)), data being the raw body of a POST or the
 * Request-URI of a GET. https://developer.stringee.com/docs/validating-requests-are-coming-from-stringee
 */
export const verifyStringeeSignature = async (signingSecret: string, request: ProviderRequest): Promise<boolean> => {
  const given = request.headers?.['x-stringee-signature']
  if (!given) return false
  // The target as received (Node) is what Stringee signed, unless a client on the way escaped it; a parsed
  // URL (Workers) needs its parser's escapes undone.
  const targets = request.target === undefined ? [] : targetCandidates(request.target)
  const data = request.method !== 'GET' ? [request.rawBody ?? ''] : [...new Set([...targets, ...signedUriCandidates(request.url ?? '')])]
  for (const candidate of data) {
    if (await timingSafeEqual(given, await hmacSha1Base64(signingSecret, candidate))) return true
  }
  return false
}
