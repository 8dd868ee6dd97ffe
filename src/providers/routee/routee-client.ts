import { withDeadline } from '../../lib/deadline.ts'

/**
 * Routee's REST API for outbound calls: an OAuth client-credentials token from the auth server, cached
 * until it expires and fetched again on a 401 or 403 (Routee answers either for a token it no longer takes:
 * "once you get an HTTP response with a status code of 401 or 403 … issue a new token and repeat your
 * request"), and `POST /voice/conversation`, at most one per second as Routee asks.
 * https://docs.routee.net/docs/get-authenticated, /reference-link/authentication, /reference/perform-a-voice-conversation
 */
export interface RouteeClientOptions {
  applicationId: string
  applicationSecret: string
  /** @default 'https://auth.routee.net' */
  authUrl?: string
  /** @default 'https://connect.routee.net' */
  apiUrl?: string
  /** @default 1000 */
  minIntervalMs?: number
  /** Per HTTP request. @default 10000 */
  timeoutMs?: number
  fetch?: typeof fetch
  now?: () => number
}

export interface ConversationRequest {
  from: string
  to: { phone: string }
  dialPlan: { verbs: unknown[] }
  callback?: { url: string; strategy: 'OnChange' | 'OnCompletion' }
}

export class RouteeApiError extends Error {
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.status = status
  }
}

export const createRouteeClient = ({
  applicationId,
  applicationSecret,
  authUrl = 'https://auth.routee.net',
  apiUrl = 'https://connect.routee.net',
  minIntervalMs = 1000,
  timeoutMs = 10_000,
  fetch: fetchImpl = fetch,
  now = Date.now,
}: RouteeClientOptions) => {
  let token: { value: string; expiresAt: number } | undefined
  let fetching: Promise<string> | undefined
  let queue: Promise<unknown> = Promise.resolve()
  let lastCallAt = Number.NEGATIVE_INFINITY

  const fetchToken = async (): Promise<string> => {
    const response = await withDeadline(
      (signal) =>
        fetchImpl(`${authUrl.replace(/\/+$/, '')}/oauth/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${applicationId}:${applicationSecret}`)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
          signal,
        }),
      timeoutMs,
    )
    if (!response.ok) throw new RouteeApiError(`Routee token request failed: HTTP ${response.status}`, response.status)
    const body = (await response.json()) as { access_token?: string; expires_in?: number }
    if (!body.access_token) throw new RouteeApiError('Routee token response has no access_token', response.status)
    // Renew a minute early so a token never expires between check and use.
    token = { value: body.access_token, expiresAt: now() + Math.max((body.expires_in ?? 3600) - 60, 1) * 1000 }
    return token.value
  }

  const accessToken = (): Promise<string> => {
    if (token && token.expiresAt > now()) return Promise.resolve(token.value)
    fetching ??= fetchToken().finally(() => {
      fetching = undefined
    })
    return fetching
  }

  /** Calls run one after another, at least minIntervalMs apart. */
  const paced = <T>(call: () => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      const wait = lastCallAt + minIntervalMs - now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      try {
        return await call()
      } finally {
        // Counted from the end of the call: a slow answer never lets the next request in too early.
        lastCallAt = now()
      }
    })
    queue = run.catch(() => {})
    return run
  }

  const post = async (path: string, body: unknown, retried = false): Promise<unknown> => {
    const bearer = await accessToken()
    const response = await withDeadline(
      (signal) =>
        fetchImpl(`${apiUrl.replace(/\/+$/, '')}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal,
        }),
      timeoutMs,
    )
    if ((response.status === 401 || response.status === 403) && !retried) {
      token = undefined
      return post(path, body, true)
    }
    const text = await response.text()
    if (!response.ok) throw new RouteeApiError(`Routee ${path} failed: HTTP ${response.status} ${text.slice(0, 200)}`, response.status)
    return text ? JSON.parse(text) : {}
  }

  return {
    /** Starts an outbound call with a dial plan; resolves to Routee's answer (with trackingId). */
    startConversation: (request: ConversationRequest) =>
      paced(() => post('/voice/conversation', request)) as Promise<{ trackingId?: string; [key: string]: unknown }>,
  }
}

export type RouteeClient = ReturnType<typeof createRouteeClient>
