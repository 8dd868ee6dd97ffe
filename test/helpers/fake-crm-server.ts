import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { CONTROL_PATH, type FakeMisbehaviour, type RecordedRequest } from './fake-crm-control.ts'
import { readBody } from './read-body.ts'

export { type FakeCrmControl, fakeCrmControl, type RecordedRequest } from './fake-crm-control.ts'

/**
 * A tiny CRM on 127.0.0.1 for plugin tests: give it the vendor's routes, point the plugin at `url`, and
 * assert on what the plugin sent (`requests`). Switches make the next requests answer 429, fail, hang up or
 * come late, as a real CRM sometimes does:
 *
 *   const fake = await startFakeCrmServer({
 *     routes: {
 *       'GET /v1/persons/search': ({ query }) => json({ data: { items: query.term === '+972501234567' ? [dana] : [] } }),
 *       'GET /v1/persons/:id': ({ params }) => (params.id === '7' ? json({ data: dana }) : json({ error: 'not found' }, 404)),
 *       'POST /v1/calls': ({ json: body }) => json({ data: { id: 1, ...body } }, 201),
 *     },
 *   })
 *   fake.rateLimitNext(1, 2) // the next request gets 429 with Retry-After: 2
 *   expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer token')
 *   await fake.close()
 *
 * Tests running inside workerd reach the same switches over HTTP with fakeCrmControl(fake.url).
 */

/** A request as a route handler sees it: the recorded request plus the `:name` segments of its route. */
export interface FakeRequest extends RecordedRequest {
  params: Record<string, string>
}

export interface FakeReply {
  status?: number
  headers?: Record<string, string>
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown
}

export type RouteHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>

/** `'GET /contacts/:id'` → handler; `:name` matches one path segment. */
export type Routes = Record<string, RouteHandler>

/** A JSON answer. */
export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): FakeReply => ({ status, headers, body })

export interface FakeCrmServer {
  url: string
  /** Every request received, oldest first (control requests excluded). Cleared by clearRequests(). */
  readonly requests: RecordedRequest[]
  /** Adds or replaces a route. */
  route(methodAndPath: string, handler: RouteHandler): void
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void
  /** The next `count` requests answer `status` (503 by default). */
  failNext(count: number, status?: number): void
  /** The next `count` connections are cut before any answer: a network error for the client. */
  dropNext(count: number): void
  /** The next `count` requests get their answer after `ms`. */
  delayNext(count: number, ms: number): void
  /** How many requests were received (requests.length, as a function like the HTTP control's). */
  requestCount(): number
  clearRequests(): void
  close(): Promise<void>
}

export interface FakeCrmServerOptions {
  routes?: Routes
  /** Answer to a request no route takes; by default a 404 that says so. */
  fallback?: RouteHandler
}

interface CompiledRoute {
  method: string
  segments: string[]
  handler: RouteHandler
}

const compileRoute = (methodAndPath: string, handler: RouteHandler): CompiledRoute => {
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(methodAndPath.trim())
  if (!match) throw new Error(`fake CRM route "${methodAndPath}": write it as "GET /path/:param"`)
  return { method: match[1] as string, segments: (match[2] as string).split('/'), handler }
}

const matchRoute = (route: CompiledRoute, method: string, path: string): Record<string, string> | undefined => {
  if (route.method !== method) return undefined
  const segments = path.split('/')
  if (segments.length !== route.segments.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, expected] of route.segments.entries()) {
    const actual = segments[index] as string
    if (expected.startsWith(':')) params[expected.slice(1)] = decodeURIComponent(actual)
    else if (expected !== actual) return undefined
  }
  return params
}

const parseJson = (text: string): unknown => {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const startFakeCrmServer = async ({ routes = {}, fallback }: FakeCrmServerOptions = {}): Promise<FakeCrmServer> => {
  const compiled: CompiledRoute[] = Object.entries(routes).map(([spec, handler]) => compileRoute(spec, handler))
  const requests: RecordedRequest[] = []
  /** Misbehaviours still to serve, one per request, in order. */
  const upcoming: FakeMisbehaviour[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const queue = (count: number, misbehaviour: FakeMisbehaviour) => {
    for (let index = 0; index < count; index++) upcoming.push(misbehaviour)
  }

  const send = (response: ServerResponse, reply: FakeReply) => {
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
    const headers: Record<string, string> = {
      ...(typeof reply.body === 'string' ? {} : { 'content-type': 'application/json' }),
      ...reply.headers,
    }
    response.writeHead(reply.status ?? 200, headers)
    response.end(text)
  }

  const control = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    if (path === `${CONTROL_PATH}/next` && request.method === 'POST') {
      const body = parseJson(await readBody(request)) as ({ count?: number } & FakeMisbehaviour) | undefined
      if (!body || !Number.isInteger(body.count) || !['rate-limit', 'fail', 'drop', 'delay'].includes(body.kind)) {
        return send(response, json({ error: 'expected {count, kind, ...}' }, 400))
      }
      const { count, ...misbehaviour } = body
      queue(count as number, misbehaviour as FakeMisbehaviour)
      return send(response, { status: 204 })
    }
    if (path === `${CONTROL_PATH}/requests` && request.method === 'GET') return send(response, json(requests))
    if (path === `${CONTROL_PATH}/requests` && request.method === 'DELETE') {
      requests.length = 0
      return send(response, { status: 204 })
    }
    send(response, json({ error: 'unknown control request' }, 404))
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (url.pathname.startsWith(CONTROL_PATH)) return control(request, response, url.pathname)
    const body = await readBody(request)
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
      body,
      json: parseJson(body),
    }
    requests.push(recorded)
    const misbehaviour = upcoming.shift()
    if (misbehaviour?.kind === 'drop') {
      request.socket.destroy()
      return
    }
    if (misbehaviour?.kind === 'rate-limit') {
      return send(response, json({ error: 'rate limited' }, 429, { 'retry-after': String(misbehaviour.retryAfterSeconds) }))
    }
    if (misbehaviour?.kind === 'fail') return send(response, json({ error: 'internal error' }, misbehaviour.status))
    if (misbehaviour?.kind === 'delay') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, misbehaviour.ms)
        timers.add(timer)
        // A client that gave up (its deadline, its abort signal) needs no answer.
        response.on('close', () => {
          clearTimeout(timer)
          timers.delete(timer)
          resolve()
        })
      })
      if (response.destroyed) return
    }
    for (const route of compiled) {
      const params = matchRoute(route, recorded.method, recorded.path)
      if (params) return send(response, await route.handler({ ...recorded, params }))
    }
    send(
      response,
      fallback ? await fallback({ ...recorded, params: {} }) : json({ error: `no route for ${recorded.method} ${recorded.path}` }, 404),
    )
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, json({ error: `fake CRM handler failed: ${(error as Error).message}` }, 500))
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    route: (methodAndPath, handler) => {
      const route = compileRoute(methodAndPath, handler)
      const existing = compiled.findIndex((other) => other.method === route.method && other.segments.join('/') === route.segments.join('/'))
      if (existing >= 0) compiled[existing] = route
      else compiled.push(route)
    },
    rateLimitNext: (count, retryAfterSeconds = 1) => queue(count, { kind: 'rate-limit', retryAfterSeconds }),
    failNext: (count, status = 503) => queue(count, { kind: 'fail', status }),
    dropNext: (count) => queue(count, { kind: 'drop' }),
    delayNext: (count, ms) => queue(count, { kind: 'delay', ms }),
    requestCount: () => requests.length,
    clearRequests: () => {
      requests.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
