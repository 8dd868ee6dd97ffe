import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readBody } from './read-body.ts'
import type { Socket } from 'node:net'
import { parsePhoneNumberFromString } from 'libphonenumber-js'

/**
 * A fake HubSpot on 127.0.0.1 speaking the CRM v3 endpoints this project uses (contact search, owners,
 * call engagements), for tests and the benchmark to drive the real @hubspot/api-client against.
 * https://developers.hubspot.com/docs/api/crm/search
 */
export interface FakeContact {
  id: string
  properties: Record<string, string | null>
  updatedAt?: string
  createdAt?: string
}

export interface FakeOwner {
  id: string
  email: string
  firstName: string
  lastName: string
  userId?: number
}

export type FakeMode = 'ok' | 'hang' | 'error500' | 'rateLimited'

export interface FakeHubSpot {
  url: string
  token: string
  contacts: FakeContact[]
  owners: FakeOwner[]
  calls: { id: string; properties: Record<string, string>; associations: unknown[] }[]
  mode: { search: FakeMode; owners: FakeMode; calls: FakeMode }
  latencyMs: number
  counts: { search: number; owners: number; calls: number; total: number }
  requests: { method: string; path: string; body: unknown; authorization?: string }[]
  reset(): void
  close(): Promise<void>
}

interface Filter {
  propertyName: string
  operator: string
  value?: string
}


export const startFakeHubSpot = async (
  options: { token?: string; contacts?: FakeContact[]; owners?: FakeOwner[] } = {},
): Promise<FakeHubSpot> => {
  const sockets = new Set<Socket>()
  const fake: FakeHubSpot = {
    url: '',
    token: options.token ?? 'test-token',
    contacts: options.contacts ? structuredClone(options.contacts) : [],
    owners: options.owners ? structuredClone(options.owners) : [],
    calls: [],
    mode: { search: 'ok', owners: 'ok', calls: 'ok' },
    latencyMs: 0,
    counts: { search: 0, owners: 0, calls: 0, total: 0 },
    requests: [],
    reset() {
      fake.counts = { search: 0, owners: 0, calls: 0, total: 0 }
      fake.requests.length = 0
      fake.calls.length = 0
      fake.mode = { search: 'ok', owners: 'ok', calls: 'ok' }
      fake.latencyMs = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const text = await readBody(request)
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    fake.counts.total++
    fake.requests.push({ method: request.method ?? '', path: url.pathname, body, authorization: request.headers.authorization })
    const route = routeOf(request.method ?? '', url.pathname)
    if (route) fake.counts[route.endpoint]++
    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs))
    if (request.headers.authorization !== `Bearer ${fake.token}`) {
      return send(response, 401, {
        status: 'error',
        message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        category: 'INVALID_AUTHENTICATION',
      })
    }
    if (!route) return send(response, 404, { status: 'error', message: 'Not found', category: 'OBJECT_NOT_FOUND' })
    const mode = fake.mode[route.endpoint]
    if (mode === 'hang') return
    if (mode === 'error500') return send(response, 500, { status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' })
    if (mode === 'rateLimited') {
      return send(
        response,
        429,
        {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'SECONDLY',
          category: 'RATE_LIMITS',
        },
        { 'retry-after': '1', 'x-hubspot-ratelimit-interval-milliseconds': '1000', 'x-hubspot-ratelimit-remaining': '0' },
      )
    }
    if (route.endpoint === 'search') return search(response, body)
    if (route.endpoint === 'owners') return owner(response, route.id ?? '')
    return createCall(response, body)
  }

  const search = (response: ServerResponse, body: unknown) => {
    const { filterGroups = [], properties = [], limit = 10 } = (body ?? {}) as {
      filterGroups?: { filters: Filter[] }[]
      properties?: string[]
      limit?: number
    }
    const filterCount = filterGroups.reduce((sum, group) => sum + group.filters.length, 0)
    if (filterGroups.length > 5 || filterGroups.some((group) => group.filters.length > 10) || filterCount > 25) {
      return send(response, 400, {
        status: 'error',
        message: 'Too many filter groups or filters (at most 5 groups, 10 filters per group, 25 filters).',
        category: 'VALIDATION_ERROR',
      })
    }
    const unknown = filterGroups.flatMap((group) => group.filters).find((filter) => !OPERATORS[filter.operator])
    if (unknown) {
      return send(response, 400, { status: 'error', message: `Unknown operator ${unknown.operator}`, category: 'VALIDATION_ERROR' })
    }
    const matches = fake.contacts
      .filter(
        (contact) =>
          filterGroups.length === 0 ||
          filterGroups.some((group) => group.filters.every((filter) => matchFilter(withComputed(contact), filter))),
      )
      .sort((a, b) => Number(a.id) - Number(b.id))
    const results = matches.slice(0, Math.min(limit, 200)).map((contact) => {
      const all = withComputed(contact)
      const returned: Record<string, string | null> = {
        hs_object_id: contact.id,
        createdate: contact.createdAt ?? '2025-01-01T00:00:00.000Z',
        lastmodifieddate: contact.updatedAt ?? '2025-01-01T00:00:00.000Z',
      }
      for (const name of properties) returned[name] = all[name] ?? null
      return {
        id: contact.id,
        properties: returned,
        createdAt: contact.createdAt ?? '2025-01-01T00:00:00.000Z',
        updatedAt: contact.updatedAt ?? '2025-01-01T00:00:00.000Z',
        archived: false,
      }
    })
    send(response, 200, { total: matches.length, results })
  }

  const owner = (response: ServerResponse, id: string) => {
    const found = fake.owners.find((candidate) => candidate.id === id)
    if (!found) return send(response, 404, { status: 'error', message: `Owner ${id} not found`, category: 'OBJECT_NOT_FOUND' })
    send(response, 200, {
      ...found,
      userId: found.userId ?? Number(found.id) + 10_000,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      archived: false,
      teams: [],
    })
  }

  const createCall = (response: ServerResponse, body: unknown) => {
    const { properties = {}, associations = [] } = (body ?? {}) as { properties?: Record<string, string>; associations?: unknown[] }
    if (!properties.hs_timestamp) {
      return send(response, 400, { status: 'error', message: 'hs_timestamp is required', category: 'VALIDATION_ERROR' })
    }
    const id = String(9000 + fake.calls.length)
    fake.calls.push({ id, properties, associations })
    const at = new Date().toISOString()
    send(response, 201, { id, properties, createdAt: at, updatedAt: at, archived: false })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { status: 'error', message: String(error) }))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return fake
}

const routeOf = (method: string, path: string): { endpoint: 'search' | 'owners' | 'calls'; id?: string } | undefined => {
  if (method === 'POST' && path === '/crm/v3/objects/contacts/search') return { endpoint: 'search' }
  const owner = /^\/crm\/v3\/owners\/([^/]+)$/.exec(path)
  if (method === 'GET' && owner) return { endpoint: 'owners', id: decodeURIComponent(owner[1] as string) }
  if (method === 'POST' && path === '/crm/v3/objects/calls') return { endpoint: 'calls' }
  return undefined
}

/** The properties HubSpot computes from phone and mobilephone: a national-number copy for search. */
const withComputed = (contact: FakeContact): Record<string, string | null> => {
  const parse = (value: string | null | undefined) =>
    value ? (parsePhoneNumberFromString(value, value.trim().startsWith('+') ? undefined : 'IL') ?? undefined) : undefined
  const phone = parse(contact.properties.phone)
  const mobile = parse(contact.properties.mobilephone)
  return {
    ...contact.properties,
    hs_searchable_calculated_phone_number: phone?.nationalNumber ?? null,
    hs_searchable_calculated_mobile_number: mobile?.nationalNumber ?? null,
    hs_calculated_phone_number: phone?.number ?? null,
  }
}

const OPERATORS: Record<string, (actual: string | null | undefined, expected: string) => boolean> = {
  EQ: (actual, expected) => actual !== null && actual !== undefined && actual.toLowerCase() === expected.toLowerCase(),
  NEQ: (actual, expected) => actual === null || actual === undefined || actual.toLowerCase() !== expected.toLowerCase(),
  HAS_PROPERTY: (actual) => actual !== null && actual !== undefined && actual !== '',
  NOT_HAS_PROPERTY: (actual) => actual === null || actual === undefined || actual === '',
  CONTAINS_TOKEN: (actual, expected) => {
    if (!actual) return false
    const wanted = expected.toLowerCase()
    const tokens = actual.toLowerCase().split(/[\s,;]+/)
    return wanted.startsWith('*') ? tokens.some((token) => token.endsWith(wanted.slice(1))) : tokens.includes(wanted)
  },
}

const matchFilter = (properties: Record<string, string | null>, filter: Filter): boolean =>
  (OPERATORS[filter.operator] as (actual: string | null | undefined, expected: string) => boolean)(
    properties[filter.propertyName],
    filter.value ?? '',
  )


const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (response.headersSent) return
  response.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'x-hubspot-ratelimit-max': '190',
    'x-hubspot-ratelimit-remaining': '189',
    ...headers,
  })
  response.end(JSON.stringify(body))
}
