import * as v from 'valibot'

/**
 * Salesforce's OAuth 2.0 server-to-server flows, with web APIs only (fetch, crypto.subtle, btoa), so the same
 * code runs on Node and Workers:
 * - client credentials: the connected (or external client) app's consumer key and secret, posted to the
 *   My Domain token endpoint; the app's "run as" user is who the API sees;
 * - JWT bearer: an RS256 JWT (iss = consumer key, sub = username, aud = login server, exp within 3 minutes)
 *   signed with the private key whose certificate is uploaded to the app.
 * Neither flow issues a refresh token: a new access token is simply asked for again.
 */
/** crypto.subtle's key type, named through the API itself: Node's and Workers' type libraries name it differently. */
export type SigningKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

export type SalesforceLogin =
  | { flow: 'client-credentials'; loginUrl: string; clientId: string; clientSecret: string }
  | { flow: 'jwt-bearer'; loginUrl: string; clientId: string; username: string; audience: string; privateKey: SigningKey }

export interface SalesforceSession {
  accessToken: string
  /** The org's API host, from the token answer: every API call goes there. */
  instanceUrl: string
}

const TokenAnswer = v.object({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  instance_url: v.pipe(v.string(), v.url()),
  token_type: v.optional(v.string()),
  issued_at: v.optional(v.string()),
})
const TokenError = v.object({ error: v.string(), error_description: v.optional(v.string()) })

/** Salesforce rejects a JWT whose exp is more than 3 minutes away. */
const JWT_LIFETIME_SECONDS = 170

const base64Url = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
const base64UrlJson = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)))

/**
 * A PKCS#8 PEM ("BEGIN PRIVATE KEY") as an RS256 signing key. Env files often hold the PEM on one line with
 * literal \n; only the base64 between the markers counts, so both forms work.
 */
export const importPrivateKey = async (pem: string): Promise<SigningKey> => {
  if (/BEGIN (RSA |ENCRYPTED )PRIVATE KEY/.test(pem)) {
    throw new Error(
      'must be an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY"); convert it with: openssl pkcs8 -topk8 -nocrypt -in server.key',
    )
  }
  const body = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(pem.replace(/\\n/g, '\n'))?.[1]
  if (!body) throw new Error('must be a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)')
  let der: Uint8Array<ArrayBuffer>
  try {
    der = Uint8Array.from(atob(body.replace(/\s+/g, '')), (char) => char.charCodeAt(0))
  } catch {
    throw new Error('is not valid base64 between the PEM markers')
  }
  try {
    return await crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  } catch {
    throw new Error('is not an RSA private key')
  }
}

/** The signed assertion of the JWT bearer flow. */
export const signedAssertion = async (
  login: Extract<SalesforceLogin, { flow: 'jwt-bearer' }>,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> => {
  const unsigned = `${base64UrlJson({ alg: 'RS256' })}.${base64UrlJson({
    iss: login.clientId,
    sub: login.username,
    aud: login.audience,
    exp: nowSeconds + JWT_LIFETIME_SECONDS,
  })}`
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', login.privateKey, new TextEncoder().encode(unsigned))
  return `${unsigned}.${base64Url(new Uint8Array(signature))}`
}

/** Asks the token endpoint for a new access token; the error names what Salesforce said, never a secret. */
export const requestSession = async (login: SalesforceLogin, fetchImpl: typeof fetch, signal: AbortSignal): Promise<SalesforceSession> => {
  const form: Record<string, string> =
    login.flow === 'client-credentials'
      ? { grant_type: 'client_credentials', client_id: login.clientId, client_secret: login.clientSecret }
      : { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await signedAssertion(login) }
  const response = await fetchImpl(`${login.loginUrl.replace(/\/+$/, '')}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    signal,
  })
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const parsed = v.safeParse(TokenAnswer, body)
  if (response.ok && parsed.success) return { accessToken: parsed.output.access_token, instanceUrl: parsed.output.instance_url }
  const reason = v.is(TokenError, body)
    ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
    : `HTTP ${response.status}${response.ok ? ', an answer without access_token and instance_url' : ''}`
  throw new Error(`Salesforce login (${login.flow}) failed (${reason})`)
}
