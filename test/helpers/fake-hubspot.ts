import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js'
import { readBody } from './read-body.ts'

/**
 * A fake HubSpot on 127.0.0.1 speaking the CRM v3 endpoints this project uses (contact search, owners,
 * call engagements), for tests and the benchmark to drive the real @hubspot/api-client against.
 * Where it answers, it answers as HubSpot does (the shapes in test/fixtures/hubspot/ are real ones):
 * - search: at most 5 filter groups, 6 filters in a group, 18 filters in all, else a 400 VALIDATION_ERROR
 *   (https://developers.hubspot.com/docs/guides/api/crm/search#filter-search-results); its 429 (5 searches
 *   a second per account) and its other answers carry no X-HubSpot-RateLimit-* headers and no Retry-After;
 * - the other endpoints send the X-HubSpot-RateLimit-* headers, and their 429 is the 10-second rolling one;
 * - a call's hs_call_status and hs_call_direction must be one of HubSpot's options
 *   (https://developers.hubspot.com/docs/guides/api/crm/engagements/calls), else a 400 INVALID_OPTION.
 */
export interface FakeContact {
  id: string
  properties: Record<string, string | null>
  /** ISO; also served as the lastmodifieddate property. */
  updatedAt?: string
  /** ISO; also served as the createdate property. */
  createdAt?: string
}

export interface FakeOwner {
  id: string
  email: string
  firstName: string
  lastName: string
  userId?: number
  teams?: { id: string; name: string; primary: boolean }[]
  createdAt?: string
  updatedAt?: string
}

/**
 * `rateLimited`: HubSpot's 429 for the endpoint (search: the per-second limit, with no headers; the others:
 * the 10-second rolling limit, with its headers); `dailyLimited`: the daily limit's 429.
 */
export type FakeMode = 'ok' | 'hang' | 'error500' | 'rateLimited' | 'dailyLimited'

export interface FakeRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Parsed JSON; the raw text when it was not JSON; undefined when empty. */
  body: unknown
  authorization?: string
}

export interface FakeHubSpot {
  url: string
  token: string
  contacts: FakeContact[]
  owners: FakeOwner[]
  calls: { id: string; properties: Record<string, string>; associations: unknown[]; createdAt: string }[]
  /** Per-endpoint behaviour; default 'ok' for all. */
  mode: { search: FakeMode; owners: FakeMode; calls: FakeMode }
  /** Added delay before every answer (ms). */
  latencyMs: number
  counts: { search: number; owners: number; calls: number; total: number }
  /** Every request received, including those answered with errors and hung ones. */
  requests: FakeRequest[]
  /** Empties counts, requests and calls, modes back to 'ok', latency 0; contacts and owners are kept. */
  reset(): void
  /** Also ends hung requests, so a test never waits on one. */
  close(): Promise<void>
}

type Endpoint = 'search' | 'owners' | 'calls'

interface Filter {
  propertyName: string
  operator: string
  value?: unknown
  values?: unknown[]
}

interface Sort {
  propertyName: string
  descending: boolean
}

type SystemProperty = 'hs_object_id' | 'createdate' | 'lastmodifieddate'
type SearchableProperties = Record<string, string | null | undefined> & Record<SystemProperty, string>

const DEFAULT_TIMESTAMP = '2025-01-01T00:00:00.000Z'
/** HubSpot adds these to every search result, asked for or not. */
const ALWAYS_RETURNED: SystemProperty[] = ['hs_object_id', 'createdate', 'lastmodifieddate']
/** What HubSpot returns for contacts when a search names no properties. */
const DEFAULT_CONTACT_PROPERTIES = ['firstname', 'lastname', 'email']
const MAX_LIMIT = 200
/** HubSpot's search limits (its search guide, "Filter search results"). */
export const SEARCH_LIMITS = { filterGroups: 5, filtersPerGroup: 6, filters: 18 }
/** The options of the calls' enumeration properties, as HubSpot's calls guide lists them. */
export const CALL_STATUSES = [
  'BUSY',
  'CALLING_CRM_USER',
  'CANCELED',
  'COMPLETED',
  'CONNECTING',
  'FAILED',
  'IN_PROGRESS',
  'NO_ANSWER',
  'QUEUED',
  'RINGING',
]
const CALL_OPTIONS: Record<string, string[]> = { hs_call_status: CALL_STATUSES, hs_call_direction: ['INBOUND', 'OUTBOUND'] }

export const startFakeHubSpot = async (
  options: {
    token?: string
    contacts?: FakeContact[]
    owners?: FakeOwner[]
    /** The portal's country: how numbers typed without a country code are read, unless the contact says. */
    defaultCountry?: CountryCode
  } = {},
): Promise<FakeHubSpot> => {
  const defaultCountry = options.defaultCountry ?? 'IL'
  const sockets = new Set<Socket>()
  // Aborts latency waits on close(), so no timer outlives the server.
  const closing = new AbortController()
  let nextCallId = 9000
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
    // In place: callers may hold on to fake.mode / fake.counts.
    reset() {
      Object.assign(fake.counts, { search: 0, owners: 0, calls: 0, total: 0 })
      Object.assign(fake.mode, { search: 'ok', owners: 'ok', calls: 'ok' })
      fake.requests.length = 0
      fake.calls.length = 0
      fake.latencyMs = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const method = request.method ?? 'GET'
    const text = await readBody(request)
    let body: unknown
    let badJson = false
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
      badJson = true
    }
    const route = routeOf(method, url.pathname)
    fake.counts.total++
    if (route) fake.counts[route.endpoint]++
    fake.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: request.headers.authorization,
    })

    if (fake.latencyMs > 0) await sleep(fake.latencyMs, undefined, { signal: closing.signal })
    // Search answers carry no rate-limit headers; every other endpoint's do.
    const reply = replier(response, route?.endpoint === 'search' ? {} : RATE_LIMIT_HEADERS)
    if (request.headers.authorization !== `Bearer ${fake.token}`) {
      return reply.error(401, 'INVALID_AUTHENTICATION', AUTHENTICATION_MESSAGE)
    }
    if (!route) return reply.error(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname}`)
    const mode = fake.mode[route.endpoint]
    if (mode === 'hang') return
    if (mode === 'error500') return reply.error(500, 'INTERNAL_ERROR', 'internal error')
    if (mode === 'rateLimited' || mode === 'dailyLimited') return sendRateLimited(response, route.endpoint, mode)
    if (badJson) return reply.error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1, column 1')
    if (route.endpoint === 'search') return search(reply, body)
    if (route.endpoint === 'owners') return owner(reply, route.id ?? '', url.searchParams)
    if (method === 'GET') return listCalls(reply, url.searchParams)
    return createCall(reply, body)
  }

  const search = (reply: Reply, body: unknown) => {
    const input = isRecord(body) ? body : {}
    const groups = parseFilterGroups(input.filterGroups)
    if (typeof groups === 'string') return reply.error(400, 'VALIDATION_ERROR', groups)
    const sorts = parseSorts(input.sorts)
    if (typeof sorts === 'string') return reply.error(400, 'VALIDATION_ERROR', sorts)
    const requested =
      Array.isArray(input.properties) && input.properties.length > 0 ? input.properties.map(String) : DEFAULT_CONTACT_PROPERTIES
    const limit =
      typeof input.limit === 'number' && Number.isFinite(input.limit) ? Math.max(0, Math.min(Math.trunc(input.limit), MAX_LIMIT)) : 10
    const offset = Math.max(0, Number.parseInt(String(input.after ?? '0'), 10) || 0)

    const found = fake.contacts
      .map((contact) => searchable(contact, defaultCountry))
      .filter((properties) => groups.length === 0 || groups.some((filters) => filters.every((filter) => matchesFilter(properties, filter))))
      .sort((a, b) => compareBySorts(a, b, sorts))
    const page = found.slice(offset, offset + limit)
    const results = page.map((properties) => {
      const returned: Record<string, string | null> = {}
      for (const name of [...requested, ...ALWAYS_RETURNED]) returned[name] = properties[name] ?? null
      return {
        id: properties.hs_object_id,
        properties: returned,
        createdAt: properties.createdate,
        updatedAt: properties.lastmodifieddate,
        archived: false,
      }
    })
    const end = offset + page.length
    reply.send(200, {
      total: found.length,
      results,
      ...(end < found.length ? { paging: { next: { after: String(end), link: `?after=${end}` } } } : {}),
    })
  }

  const owner = (reply: Reply, id: string, query: URLSearchParams) => {
    const byUserId = query.get('idProperty') === 'userId'
    // Only unarchived owners exist here; archived=true asks for archived ones.
    const found =
      query.get('archived') === 'true'
        ? undefined
        : fake.owners.find((candidate) => (byUserId ? String(userIdOf(candidate)) === id : candidate.id === id))
    if (!found) return reply.error(404, 'OBJECT_NOT_FOUND', `Owner with ${byUserId ? 'userId' : 'id'} ${id} not found`)
    reply.send(200, {
      id: found.id,
      email: found.email,
      firstName: found.firstName,
      lastName: found.lastName,
      userId: userIdOf(found),
      userIdIncludingInactive: userIdOf(found),
      type: 'PERSON',
      createdAt: found.createdAt ?? DEFAULT_TIMESTAMP,
      updatedAt: found.updatedAt ?? DEFAULT_TIMESTAMP,
      archived: false,
      teams: found.teams ?? [],
    })
  }

  const createCall = (reply: Reply, body: unknown) => {
    const input = isRecord(body) ? body : {}
    const properties = isRecord(input.properties)
      ? Object.fromEntries(Object.entries(input.properties).map(([name, value]) => [name, value === null ? '' : String(value)]))
      : {}
    const associations = Array.isArray(input.associations) ? input.associations : []
    if (!properties.hs_timestamp) {
      return reply.error(400, 'VALIDATION_ERROR', 'Property values were not valid: hs_timestamp is required')
    }
    const invalid = Object.entries(CALL_OPTIONS).flatMap(([name, options]) => {
      const value = properties[name]
      return value === undefined || options.includes(value)
        ? []
        : [{ isValid: false, message: `${value} was not one of the allowed options: ${options.join(', ')}`, error: 'INVALID_OPTION', name }]
    })
    if (invalid.length > 0) {
      return reply.error(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(invalid)}`)
    }
    const id = String(nextCallId++)
    const at = new Date().toISOString()
    fake.calls.push({ id, properties, associations, createdAt: at })
    reply.send(201, {
      id,
      properties: { ...properties, hs_object_id: id, hs_createdate: at, hs_lastmodifieddate: at },
      createdAt: at,
      updatedAt: at,
      archived: false,
    })
  }

  /** GET /crm/v3/objects/calls: a page of calls with the properties asked for (comma-separated). */
  const listCalls = (reply: Reply, query: URLSearchParams) => {
    const requested = (query.get('properties') ?? '').split(',').filter(Boolean)
    const limit = Math.max(1, Math.min(Number.parseInt(query.get('limit') ?? '10', 10) || 10, 100))
    const offset = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0)
    const page = fake.calls.slice(offset, offset + limit)
    const end = offset + page.length
    reply.send(200, {
      results: page.map((call) => {
        const properties: Record<string, string | null> = {}
        for (const name of requested) properties[name] = call.properties[name] ?? null
        return {
          id: call.id,
          properties: { ...properties, hs_createdate: call.createdAt, hs_lastmodifieddate: call.createdAt, hs_object_id: call.id },
          createdAt: call.createdAt,
          updatedAt: call.createdAt,
          archived: false,
        }
      }),
      ...(end < fake.calls.length ? { paging: { next: { after: String(end), link: `?after=${end}` } } } : {}),
    })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!closing.signal.aborted) replier(response, {}).error(500, 'INTERNAL_ERROR', `fake HubSpot failed: ${String(error)}`)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fake HubSpot: no TCP address')
  fake.url = `http://127.0.0.1:${address.port}`
  return fake
}

const AUTHENTICATION_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at ' +
  'https://developers.hubspot.com/docs/methods/auth/oauth-overview'

const routeOf = (method: string, path: string): { endpoint: Endpoint; id?: string } | undefined => {
  if (method === 'POST' && path === '/crm/v3/objects/contacts/search') return { endpoint: 'search' }
  if ((method === 'POST' || method === 'GET') && path === '/crm/v3/objects/calls') return { endpoint: 'calls' }
  const owner = /^\/crm\/v3\/owners\/([^/]+)$/.exec(path)
  if (method === 'GET' && owner?.[1]) return { endpoint: 'owners', id: decodeURIComponent(owner[1]) }
  return undefined
}

const userIdOf = (owner: FakeOwner) => owner.userId ?? Number(owner.id) + 10_000

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** https://developers.hubspot.com/docs/api/crm/search#filter-search-results */
const parseFilterGroups = (value: unknown): Filter[][] | string => {
  if (value === undefined) return []
  if (!Array.isArray(value)) return 'filterGroups must be an array'
  const groups: Filter[][] = []
  for (const group of value) {
    if (!isRecord(group) || !Array.isArray(group.filters)) return 'each filter group needs a filters array'
    const filters: Filter[] = []
    for (const filter of group.filters) {
      if (!isRecord(filter) || typeof filter.propertyName !== 'string' || typeof filter.operator !== 'string') {
        return 'Cannot build Filter, some of required attributes are not set [propertyName, operator]'
      }
      if (UNSUPPORTED_OPERATORS.has(filter.operator)) {
        return `operator ${filter.operator} is not implemented by the fake HubSpot`
      }
      if (!Object.hasOwn(OPERATORS, filter.operator)) {
        const accepted = [...Object.keys(OPERATORS), ...UNSUPPORTED_OPERATORS].join(', ')
        return `Cannot deserialize value of type FilterOperator from String "${filter.operator}": not one of the values accepted for Enum class: [${accepted}]`
      }
      filters.push({
        propertyName: filter.propertyName,
        operator: filter.operator,
        value: filter.value,
        values: Array.isArray(filter.values) ? filter.values : undefined,
      })
    }
    groups.push(filters)
  }
  // HubSpot answers these with a 400 VALIDATION_ERROR; the wording of the message is the fake's own.
  const total = groups.reduce((sum, filters) => sum + filters.length, 0)
  const { filterGroups, filtersPerGroup, filters } = SEARCH_LIMITS
  if (groups.length > filterGroups) return `Too many filter groups: ${groups.length} (at most ${filterGroups})`
  const crowded = groups.find((group) => group.length > filtersPerGroup)
  if (crowded) return `Too many filters in a filter group: ${crowded.length} (at most ${filtersPerGroup})`
  if (total > filters) return `Too many filters: ${total} (at most ${filters} in all filter groups)`
  return groups
}

/**
 * The client types sorts as string[], so callers send `{ propertyName, direction }` objects, their JSON, or
 * "-name" / "name"; HubSpot accepts all three.
 */
const parseSorts = (value: unknown): Sort[] | string => {
  if (value === undefined) return []
  if (!Array.isArray(value)) return 'sorts must be an array'
  const sorts: Sort[] = []
  for (const entry of value) {
    let sort: unknown = entry
    if (typeof entry === 'string') {
      if (entry.trim().startsWith('{')) {
        try {
          sort = JSON.parse(entry)
        } catch {
          return `invalid sort ${entry}`
        }
      } else {
        sort = entry.startsWith('-')
          ? { propertyName: entry.slice(1), direction: 'DESCENDING' }
          : { propertyName: entry, direction: 'ASCENDING' }
      }
    }
    if (!isRecord(sort) || typeof sort.propertyName !== 'string') return `invalid sort ${JSON.stringify(entry)}`
    sorts.push({ propertyName: sort.propertyName, descending: sort.direction === 'DESCENDING' })
  }
  return sorts
}

/**
 * Stored properties plus what HubSpot derives: the system properties, the E.164 form of phone and
 * mobilephone with the phone's country, and the national-number copies it indexes for search (real records:
 * test/fixtures/hubspot/contact-object-*.json). A number typed without a country code is read in the
 * contact's country (hs_calculated_phone_number_country_code), else the portal's. The derived ones override
 * stored values, as HubSpot's are read-only.
 */
const searchable = (contact: FakeContact, portalCountry: CountryCode): SearchableProperties => {
  const country = (contact.properties.hs_calculated_phone_number_country_code as CountryCode | null | undefined) || portalCountry
  const phone = parsePhone(contact.properties.phone, country)
  const mobile = parsePhone(contact.properties.mobilephone, country)
  return {
    ...contact.properties,
    hs_searchable_calculated_phone_number: phone?.nationalNumber ?? null,
    hs_searchable_calculated_mobile_number: mobile?.nationalNumber ?? null,
    hs_calculated_phone_number: phone?.number ?? null,
    hs_calculated_mobile_number: mobile?.number ?? null,
    hs_calculated_phone_number_country_code: phone?.country ?? null,
    hs_object_id: contact.id,
    createdate: contact.createdAt ?? DEFAULT_TIMESTAMP,
    lastmodifieddate: contact.updatedAt ?? DEFAULT_TIMESTAMP,
  }
}

const parsePhone = (value: string | null | undefined, country: CountryCode) => {
  if (!value) return undefined
  return parsePhoneNumberFromString(value, value.trim().startsWith('+') ? undefined : country)
}

const present = (value: string | null | undefined): value is string => value !== null && value !== undefined && value !== ''

const sameText = (actual: string | null | undefined, expected: unknown) =>
  present(actual) && actual.toLowerCase() === String(expected ?? '').toLowerCase()

const globToRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  )

/** Whole-word match on the value's tokens (or the whole value); `*` is a wildcard, so `*1234567` means "ends with". */
const containsToken = (actual: string | null | undefined, expected: unknown) => {
  if (!present(actual)) return false
  const pattern = globToRegExp(String(expected ?? ''))
  return [actual, ...actual.split(/[\s,;]+/)].some((token) => pattern.test(token))
}

type Operator = (actual: string | null | undefined, filter: Filter) => boolean

const OPERATORS: Record<string, Operator> = {
  EQ: (actual, filter) => sameText(actual, filter.value),
  NEQ: (actual, filter) => !sameText(actual, filter.value),
  HAS_PROPERTY: (actual) => present(actual),
  NOT_HAS_PROPERTY: (actual) => !present(actual),
  CONTAINS_TOKEN: (actual, filter) => containsToken(actual, filter.value),
  NOT_CONTAINS_TOKEN: (actual, filter) => !containsToken(actual, filter.value),
  IN: (actual, filter) => (filter.values ?? []).some((value) => sameText(actual, value)),
  NOT_IN: (actual, filter) => !(filter.values ?? []).some((value) => sameText(actual, value)),
}

/** Real HubSpot operators the fake does not model: a loud 400 beats a silently wrong match. */
const UNSUPPORTED_OPERATORS = new Set(['LT', 'LTE', 'GT', 'GTE', 'BETWEEN'])

const matchesFilter = (properties: Record<string, string | null | undefined>, filter: Filter): boolean =>
  (OPERATORS[filter.operator] as Operator)(properties[filter.propertyName], filter)

const compareValues = (a: string | null | undefined, b: string | null | undefined): number => {
  if (!present(a) || !present(b)) return present(a) ? -1 : present(b) ? 1 : 0
  const numberA = Number(a)
  const numberB = Number(b)
  if (Number.isFinite(numberA) && Number.isFinite(numberB)) return numberA - numberB
  return a < b ? -1 : a > b ? 1 : 0
}

const compareBySorts = (
  a: Record<string, string | null | undefined>,
  b: Record<string, string | null | undefined>,
  sorts: Sort[],
): number => {
  for (const sort of sorts) {
    const order = compareValues(a[sort.propertyName], b[sort.propertyName])
    if (order !== 0) return sort.descending ? -order : order
  }
  return compareValues(a.hs_object_id, b.hs_object_id)
}

/** What a private app on a Professional account sees on every answer but search's. */
const RATE_LIMIT_HEADERS = {
  'X-HubSpot-RateLimit-Daily': '650000',
  'X-HubSpot-RateLimit-Daily-Remaining': '649000',
  'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
  'X-HubSpot-RateLimit-Max': '190',
  'X-HubSpot-RateLimit-Remaining': '189',
}

const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
}

type Reply = ReturnType<typeof replier>

/** Answers with the headers the endpoint sends; errors in HubSpot's error shape. */
const replier = (response: ServerResponse, headers: Record<string, string>) => ({
  send: (status: number, body: unknown) => send(response, status, body, headers),
  error: (status: number, category: string, message: string) =>
    send(response, status, { status: 'error', message, correlationId: randomUUID(), category }, headers),
})

/**
 * HubSpot's 429s (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details#error-responses).
 * Search's has no headers at all, so nothing says how long to wait; the others carry the limit's headers.
 * None carries Retry-After.
 */
const sendRateLimited = (response: ServerResponse, endpoint: Endpoint, mode: 'rateLimited' | 'dailyLimited') => {
  const policy = mode === 'dailyLimited' ? 'DAILY' : endpoint === 'search' ? 'SECONDLY' : 'TEN_SECONDLY_ROLLING'
  const body = {
    status: 'error',
    message: `You have reached your ${policy === 'TEN_SECONDLY_ROLLING' ? 'ten_secondly_rolling' : policy.toLowerCase()} limit.`,
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName: policy,
    category: 'RATE_LIMITS',
  }
  if (endpoint === 'search') return send(response, 429, body)
  send(response, 429, body, {
    ...RATE_LIMIT_HEADERS,
    ...(policy === 'DAILY' ? { 'X-HubSpot-RateLimit-Daily-Remaining': '0' } : { 'X-HubSpot-RateLimit-Remaining': '0' }),
  })
}
