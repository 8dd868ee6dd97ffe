/**
 * The switches of a fake from fake-crm-server.ts, driven over HTTP: for tests that run where the fake's
 * object is out of reach (inside workerd, while the fake runs in Node from test/workers/global-setup.ts).
 * Web APIs only, so it loads in both runtimes.
 */

/** One request as the fake received it. Header names are lower case. */
export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  /** The raw body ('' when there was none). */
  body: string
  /** The body parsed as JSON; undefined when it was empty or not JSON. */
  json?: unknown
}

/** What the next requests get instead of their route's answer. */
export type FakeMisbehaviour =
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'fail'; status: number }
  /** The connection is cut before any answer: a network error for the client. */
  | { kind: 'drop' }
  /** The route's answer, sent only after `ms` (to test deadlines and the abort signal). */
  | { kind: 'delay'; ms: number }

/** Where a fake listens for its switches; requests under it are neither routed nor recorded. */
export const CONTROL_PATH = '/__fake'

/** The same switches as FakeCrmServer's, each a request to the fake. */
export interface FakeCrmControl {
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds?: number): Promise<void>
  /** The next `count` requests answer `status` (a 5xx by default). */
  failNext(count: number, status?: number): Promise<void>
  /** The next `count` connections are cut before any answer. */
  dropNext(count: number): Promise<void>
  /** The next `count` requests are answered after `ms`. */
  delayNext(count: number, ms: number): Promise<void>
  /** Every request received so far, oldest first. */
  requests(): Promise<RecordedRequest[]>
  requestCount(): Promise<number>
  clearRequests(): Promise<void>
}

export const fakeCrmControl = (url: string, fetchImpl: typeof fetch = fetch): FakeCrmControl => {
  const control = `${url.replace(/\/+$/, '')}${CONTROL_PATH}`
  const misbehave = async (count: number, misbehaviour: FakeMisbehaviour) => {
    const response = await fetchImpl(`${control}/next`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count, ...misbehaviour }),
    })
    if (!response.ok) throw new Error(`fake CRM control: HTTP ${response.status} ${await response.text()}`)
    await response.body?.cancel()
  }
  return {
    rateLimitNext: (count, retryAfterSeconds = 1) => misbehave(count, { kind: 'rate-limit', retryAfterSeconds }),
    failNext: (count, status = 503) => misbehave(count, { kind: 'fail', status }),
    dropNext: (count) => misbehave(count, { kind: 'drop' }),
    delayNext: (count, ms) => misbehave(count, { kind: 'delay', ms }),
    requests: async () => (await (await fetchImpl(`${control}/requests`)).json()) as RecordedRequest[],
    requestCount: async () => ((await (await fetchImpl(`${control}/requests`)).json()) as unknown[]).length,
    clearRequests: async () => {
      await (await fetchImpl(`${control}/requests`, { method: 'DELETE' })).body?.cancel()
    },
  }
}
