import { isLoopbackHost } from './loopback-only.ts'

/**
 * The workers project's outbound service (miniflare `outboundService`, vitest.config.ts): every fetch the
 * Worker under test makes comes here, in Node, before workerd resolves or connects anything. Loopback
 * requests (the fakes from test/workers/global-setup.ts) are passed on; any other host is refused with a 502
 * that says why, and kept for test/workers/network-guard-setup.ts, which fails the test.
 */
export const NETWORK_GUARD_ORIGIN = 'http://network-guard.invalid'

const refused: string[] = []

/** Hop-by-hop headers, and what fetch undoes (it decompresses the body it hands on). */
const DROPPED_REQUEST_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length'])
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length'])

const withoutHeaders = (headers: Headers, dropped: Set<string>) =>
  [...headers].filter(([name]) => !dropped.has(name.toLowerCase()) && !name.toLowerCase().startsWith('mf-'))

export const loopbackOnlyOutbound = async (request: Request): Promise<Response> => {
  const url = new URL(request.url)
  // The setup file's question: what was refused since it last asked?
  if (url.origin === NETWORK_GUARD_ORIGIN) return Response.json(refused.splice(0))
  if (!isLoopbackHost(url.hostname)) {
    const what = `${request.method} ${url.origin}${url.pathname}`
    refused.push(what)
    return new Response(`network guard: ${what} refused; tests may only reach 127.0.0.1 (point the setting at a fake from test/helpers)`, {
      status: 502,
      headers: { 'content-type': 'text/plain', 'x-network-guard': 'refused' },
    })
  }
  const response = await fetch(url, {
    method: request.method,
    headers: withoutHeaders(request.headers as Headers, DROPPED_REQUEST_HEADERS),
    body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
    redirect: 'manual',
  })
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: withoutHeaders(response.headers, DROPPED_RESPONSE_HEADERS),
  })
}
