import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { readBody } from './read-body.ts'

/**
 * A fake Pipedrive on 127.0.0.1 speaking the endpoints the pipedrive plugin uses, as Pipedrive's API reference
 * describes them (shapes in test/fixtures/pipedrive/, sources in its README.md):
 * - GET /api/v2/persons/search (term, fields, exact_match, limit ≤ 500, cursor → additional_data.next_cursor);
 * - GET /api/v2/persons/{id}; GET /api/v1/users/{id}; GET /api/v1/personFields (start/limit pagination);
 * - POST and GET /api/v1/callLogs (outcome one of Pipedrive's six, times as "YYYY-MM-DD HH:MM:SS");
 * - POST /oauth/token (refresh_token grant, client id and secret in Basic auth, rotating refresh tokens).
 * Every answer is `{ success, data, additional_data }` or `{ success: false, error, error_info }`, carries
 * the x-ratelimit-* headers, and a 429 adds Retry-After. An API token is taken from the x-api-token header (or
 * the api_token query parameter, as Pipedrive also accepts), an OAuth access token as a Bearer.
 */
export interface FakePerson {
  id: number
  name: string
  owner_id: number
  org?: { id: number; name: string }
  phones: { value: string; primary: boolean; label: string }[]
  emails?: { value: string; primary: boolean; label: string }[]
  label_ids?: number[]
  custom_fields?: Record<string, unknown>
  add_time?: string
  update_time?: string
  is_deleted?: boolean
}

export interface FakeUser {
  id: number
  name: string
  email: string
  phone?: string | null
}

export interface FakePersonField {
  id: number
  key: string
  name: string
  field_type: string
  options?: { id: number; label: string }[]
}

export type FakeMode = 'ok' | 'hang' | 'error500' | 'rateLimited' | 'dailyLimited'
type Endpoint = 'search' | 'person' | 'user' | 'fields' | 'callLogs' | 'oauth'
type Override = { kind: 'rateLimit' | 'fail' | 'drop' | 'delay'; value: number }

export interface FakeRequest {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
  apiToken?: string
  authorization?: string
  contentType?: string
}

export interface FakeCallLog {
  id: string
  body: Record<string, unknown>
}

export interface FakePipedrive {
  url: string
  apiToken: string
  oauth: { clientId: string; clientSecret: string; accessToken: string; refreshToken: string }
  persons: FakePerson[]
  users: FakeUser[]
  personFields: FakePersonField[]
  callLogs: FakeCallLog[]
  mode: Record<Endpoint, FakeMode>
  /** Delay before every answer (ms); a request whose client gives up meanwhile is dropped. */
  latencyMs: number
  requests: FakeRequest[]
  /** Requests to one endpoint, by path prefix. */
  requestsTo(path: string): FakeRequest[]
  /** The contract suite's switches (test/plugins/plugin-contract.ts): the next `count` API requests (not /oauth). */
  rateLimitNext(count: number, retryAfterSeconds: number): void
  failNext(count: number, status: number): void
  dropNext(count: number): void
  delayNext(count: number, ms: number): void
  requestCount(): number
  /** The access token stops working (as it does after an hour); the refresh token still works. */
  expireAccessToken(): void
  /** The refresh token stops working (unused for 60 days, or the app was uninstalled). */
  revokeRefreshToken(): void
  reset(): void
  close(): Promise<void>
}

const SEARCHABLE_CUSTOM_TYPES = new Set(['address', 'varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone'])
const OUTCOMES = ['connected', 'no_answer', 'left_message', 'left_voicemail', 'wrong_number', 'busy']
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const ERROR_INFO = 'Please check developers.pipedrive.com'
const CONTROL_PATH = '/__fake/'
const RATE_LIMIT = { limit: 40, windowSeconds: 2 }

/** The fake over the test company (test/fixtures/pipedrive/company.json). */
export const startFakePipedriveCompany = async () => {
  const { default: company } = await import('../fixtures/pipedrive/company.json', { with: { type: 'json' } })
  return startFakePipedrive({ persons: company.persons, users: company.users, personFields: company.personFields })
}

export const startFakePipedrive = async (
  options: { persons?: FakePerson[]; users?: FakeUser[]; personFields?: FakePersonField[]; apiToken?: string } = {},
): Promise<FakePipedrive> => {
  const sockets = new Set<Socket>()
  const closing = new AbortController()
  let issued = 0
  const newToken = (kind: string) => `${kind}-${++issued}-${Math.random().toString(36).slice(2, 10)}`
  const initialOauth = {
    clientId: 'fake-client-id',
    clientSecret: 'fake-client-secret',
    accessToken: 'fake-access-0',
    refreshToken: 'fake-refresh-0',
  }
  let nextCallLog = 1
  const okModes = (): Record<Endpoint, FakeMode> => ({ search: 'ok', person: 'ok', user: 'ok', fields: 'ok', callLogs: 'ok', oauth: 'ok' })
  const fake: FakePipedrive = {
    url: '',
    apiToken: options.apiToken ?? 'fake-api-token-0123456789abcdef',
    oauth: { ...initialOauth },
    persons: structuredClone(options.persons ?? []),
    users: structuredClone(options.users ?? []),
    personFields: structuredClone(options.personFields ?? []),
    callLogs: [],
    mode: okModes(),
    latencyMs: 0,
    requests: [],
    requestsTo: (path) => fake.requests.filter((request) => request.path.startsWith(path)),
    rateLimitNext: (count, retryAfterSeconds) => queue(count, { kind: 'rateLimit', value: retryAfterSeconds }),
    failNext: (count, status) => queue(count, { kind: 'fail', value: status }),
    dropNext: (count) => queue(count, { kind: 'drop', value: 0 }),
    delayNext: (count, ms) => queue(count, { kind: 'delay', value: ms }),
    requestCount: () => fake.requests.length,
    expireAccessToken() {
      fake.oauth.accessToken = newToken('access')
    },
    revokeRefreshToken() {
      fake.oauth.refreshToken = newToken('revoked-refresh')
    },
    reset() {
      Object.assign(fake.mode, okModes())
      fake.requests.length = 0
      fake.callLogs.length = 0
      upcoming.length = 0
      fake.latencyMs = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  /** One entry per coming request the switches above change, in arrival order. */
  const upcoming: Override[] = []
  const queue = (count: number, override: Override) => {
    for (let index = 0; index < count; index++) upcoming.push(override)
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const method = request.method ?? 'GET'
    const text = await readBody(request)
    if (url.pathname.startsWith(CONTROL_PATH)) return control(response, url.pathname.slice(CONTROL_PATH.length), text)
    const contentType = request.headers['content-type']
    let body: unknown = text || undefined
    if (text && contentType?.startsWith('application/json')) {
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    } else if (text && contentType?.startsWith('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(text))
    }
    fake.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      apiToken: header(request, 'x-api-token'),
      authorization: header(request, 'authorization'),
      contentType,
    })
    if (fake.latencyMs > 0) await sleep(fake.latencyMs, undefined, { signal: closing.signal })

    const route = routeOf(method, url.pathname)
    const reply = replier(response)
    const override = route?.endpoint === 'oauth' ? undefined : upcoming.shift()
    if (override?.kind === 'drop') return request.socket.destroy()
    if (override?.kind === 'delay') await sleep(override.value, undefined, { signal: closing.signal })
    if (override?.kind === 'fail') return reply.fail(override.value, 'Service unavailable', override.value)
    if (override?.kind === 'rateLimit') return rateLimited(response, 'rateLimited', override.value)
    if (!route) return reply.fail(404, 'Unknown method .', 404)
    const mode = fake.mode[route.endpoint]
    if (mode === 'hang') return
    if (route.endpoint === 'oauth') return token(reply, request, body, mode)

    const apiToken = header(request, 'x-api-token') ?? url.searchParams.get('api_token') ?? undefined
    const bearer = /^Bearer (.+)$/i.exec(header(request, 'authorization') ?? '')?.[1]
    if (bearer !== undefined ? bearer !== fake.oauth.accessToken : apiToken !== fake.apiToken) {
      return reply.fail(401, bearer !== undefined ? 'Invalid token: access token is invalid' : 'unauthorized access', 401)
    }
    if (mode === 'error500') return reply.fail(500, 'Internal server error', 500)
    if (mode === 'rateLimited' || mode === 'dailyLimited') return rateLimited(response, mode)
    switch (route.endpoint) {
      case 'search':
        return search(reply, url.searchParams)
      case 'person':
        return person(reply, route.id)
      case 'user':
        return user(reply, route.id)
      case 'fields':
        return fields(reply, url.searchParams)
      default:
        return method === 'POST' ? addCallLog(reply, body) : listCallLogs(reply, url.searchParams)
    }
  }

  /**
   * The switches for tests that cannot reach this object (workerd): POST /__fake/next {kind, count, value},
   * GET /__fake/request-count. The fake's own, not Pipedrive's; never counted as requests.
   */
  const control = (response: ServerResponse, action: string, text: string) => {
    if (action === 'request-count') return send(response, 200, { count: fake.requests.length })
    const input = JSON.parse(text || '{}') as { kind?: Override['kind']; count?: number; value?: number }
    if (action !== 'next' || !input.kind) return send(response, 404, { error: `no control ${action}` })
    queue(input.count ?? 1, { kind: input.kind, value: input.value ?? 0 })
    send(response, 200, { queued: upcoming.length })
  }

  const search = (reply: Reply, query: URLSearchParams) => {
    const term = query.get('term') ?? ''
    const exact = query.get('exact_match') === 'true' || query.get('exact_match') === '1'
    if (term.length < (exact ? 1 : 2)) return reply.fail(400, 'Search term must be at least 2 characters long (or 1 with exact_match)', 400)
    const fieldsAsked = (query.get('fields') ?? 'custom_fields,email,notes,phone,name').split(',')
    const unknown = fieldsAsked.find((field) => !['custom_fields', 'email', 'notes', 'phone', 'name'].includes(field))
    if (unknown) return reply.fail(400, `Invalid field "${unknown}"`, 400)
    const limit = Number(query.get('limit') ?? 100)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.fail(400, 'Limit must be between 1 and 500', 400)
    const offset = decodeCursor(query.get('cursor'))
    if (offset === undefined) return reply.fail(400, 'Invalid cursor', 400)

    const matches = (value: string, normalise: (text: string) => string = (text) => text.trim().toLowerCase()) => {
      const [stored, wanted] = [normalise(value), normalise(term)]
      return wanted !== '' && (exact ? stored === wanted : stored.includes(wanted))
    }
    const found = fake.persons
      .filter((person) => !person.is_deleted)
      .map((person) => {
        const customMatches = fieldsAsked.includes('custom_fields') ? searchableCustomValues(person).filter((value) => matches(value)) : []
        const hit =
          (fieldsAsked.includes('name') && matches(person.name)) ||
          // Pipedrive matches phone numbers by their digits, however they were typed.
          (fieldsAsked.includes('phone') && person.phones.some((phone) => matches(phone.value, digitsOnly))) ||
          (fieldsAsked.includes('email') && (person.emails ?? []).some((email) => matches(email.value))) ||
          customMatches.length > 0
        return hit ? { person, customMatches } : undefined
      })
      .filter((hit) => hit !== undefined)
    const page = found.slice(offset, offset + limit)
    const end = offset + page.length
    reply.send(200, {
      success: true,
      data: {
        items: page.map(({ person, customMatches }) => ({
          result_score: exact ? 1 : 0.5,
          item: {
            id: person.id,
            type: 'person',
            name: person.name,
            phones: person.phones.map((phone) => phone.value),
            emails: (person.emails ?? []).map((email) => email.value),
            visible_to: 3,
            owner: { id: person.owner_id },
            organization: person.org ? { id: person.org.id, name: person.org.name, address: null } : null,
            custom_fields: customMatches,
            notes: [],
          },
        })),
      },
      additional_data: { next_cursor: end < found.length ? encodeCursor(end) : null },
    })
  }

  const searchableCustomValues = (person: FakePerson) =>
    Object.entries(person.custom_fields ?? {}).flatMap(([key, value]) => {
      const field = fake.personFields.find((candidate) => candidate.key === key)
      if (!field || !SEARCHABLE_CUSTOM_TYPES.has(field.field_type) || value === null || value === undefined) return []
      return [typeof value === 'object' ? String((value as { value?: unknown }).value ?? '') : String(value)]
    })

  const person = (reply: Reply, id: string) => {
    const found = fake.persons.find((candidate) => String(candidate.id) === id && !candidate.is_deleted)
    if (!found) return reply.fail(404, 'Entity was not found', 404, 'Object was not found.')
    const [first, ...rest] = found.name.split(' ')
    reply.send(200, {
      success: true,
      data: {
        id: found.id,
        name: found.name,
        first_name: first ?? '',
        last_name: rest.join(' '),
        owner_id: found.owner_id,
        org_id: found.org?.id ?? null,
        add_time: found.add_time ?? '2025-01-01T00:00:00Z',
        update_time: found.update_time ?? '2025-01-01T00:00:00Z',
        emails: found.emails ?? [],
        phones: found.phones,
        is_deleted: false,
        visible_to: 3,
        label_ids: found.label_ids ?? [],
        picture_id: null,
        custom_fields: Object.fromEntries(
          fake.personFields.filter(isCustomField).map((field) => [field.key, found.custom_fields?.[field.key] ?? null]),
        ),
      },
    })
  }

  const user = (reply: Reply, id: string) => {
    const found = fake.users.find((candidate) => String(candidate.id) === id)
    if (!found) return reply.fail(404, 'User not found', 404)
    reply.send(200, {
      success: true,
      data: {
        id: found.id,
        name: found.name,
        default_currency: 'ILS',
        locale: 'en_US',
        lang: 1,
        email: found.email,
        phone: found.phone ?? null,
        activated: true,
        last_login: '2026-11-01 08:00:00',
        created: '2024-01-01 09:00:00',
        modified: '2026-11-01 08:00:00',
        has_created_company: false,
        access: [{ app: 'sales', admin: false, permission_set_id: '62cc4d7f-4038-4352-abf3-a8c1c822b631' }],
        active_flag: true,
        timezone_name: 'Asia/Jerusalem',
        timezone_offset: '+02:00',
        role_id: 1,
        icon_url: null,
        is_you: false,
        is_deleted: false,
      },
    })
  }

  const fields = (reply: Reply, query: URLSearchParams) => {
    const start = Number(query.get('start') ?? 0)
    const limit = Math.min(Number(query.get('limit') ?? 100), 500)
    const page = fake.personFields.slice(start, start + limit)
    const more = start + page.length < fake.personFields.length
    reply.send(200, {
      success: true,
      data: page.map((field) => ({
        id: field.id,
        key: field.key,
        name: field.name,
        order_nr: field.id,
        field_type: field.field_type,
        add_time: '2024-01-01 09:00:00',
        update_time: '2024-01-01 09:00:00',
        active_flag: true,
        edit_flag: isCustomField(field),
        bulk_edit_allowed: true,
        mandatory_flag: false,
        ...(field.options ? { options: field.options } : {}),
      })),
      additional_data: { pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } },
    })
  }

  const addCallLog = (reply: Reply, body: unknown) => {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const problem =
      (!OUTCOMES.includes(String(input.outcome)) && `outcome must be one of ${OUTCOMES.join(', ')}`) ||
      (!input.to_phone_number && 'to_phone_number is required') ||
      (!UTC_TIME.test(String(input.start_time)) && 'start_time must be in format YYYY-MM-DD HH:MM:SS') ||
      (!UTC_TIME.test(String(input.end_time)) && 'end_time must be in format YYYY-MM-DD HH:MM:SS') ||
      (input.duration !== undefined && !/^\d+$/.test(String(input.duration)) && 'duration must be a number of seconds') ||
      (input.person_id !== undefined && !fake.persons.some((candidate) => candidate.id === input.person_id) && 'Person not found') ||
      (input.user_id !== undefined && !fake.users.some((candidate) => candidate.id === input.user_id) && 'User not found')
    if (problem) return reply.fail(400, problem, 400)
    const id = `call-log-${nextCallLog++}`
    fake.callLogs.push({ id, body: input })
    reply.send(200, { success: true, data: { id, has_recording: false, company_id: 1001, ...input } })
  }

  const listCallLogs = (reply: Reply, query: URLSearchParams) => {
    const start = Number(query.get('start') ?? 0)
    const limit = Math.min(Number(query.get('limit') ?? 20), 50)
    const page = fake.callLogs.slice(start, start + limit)
    reply.send(200, {
      success: true,
      data: page.map((log) => ({ id: log.id, has_recording: false, company_id: 1001, ...log.body })),
      additional_data: { pagination: { start, limit, more_items_in_collection: start + page.length < fake.callLogs.length } },
    })
  }

  /** https://pipedrive.readme.io/docs/marketplace-oauth-authorization#step-7-refreshing-the-tokens */
  const token = (reply: Reply, request: IncomingMessage, body: unknown, mode: FakeMode) => {
    if (mode === 'error500') return reply.send(500, { success: false, message: 'Internal Server Error' })
    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return reply.send(400, { success: false, message: 'Invalid request: content must be application/x-www-form-urlencoded' })
    }
    const basic = `Basic ${Buffer.from(`${fake.oauth.clientId}:${fake.oauth.clientSecret}`).toString('base64')}`
    if (request.headers.authorization !== basic) return reply.send(401, { success: false, message: 'Invalid client: client is invalid' })
    const form = (body ?? {}) as Record<string, string>
    if (form.grant_type !== 'refresh_token')
      return reply.send(400, { success: false, message: 'Unsupported grant type: grant_type is invalid' })
    if (form.refresh_token !== fake.oauth.refreshToken) {
      return reply.send(400, { success: false, message: 'Invalid grant: refresh_token is invalid' })
    }
    fake.oauth.accessToken = newToken('access')
    fake.oauth.refreshToken = newToken('refresh')
    reply.send(200, {
      access_token: fake.oauth.accessToken,
      token_type: 'Bearer',
      expires_in: 3599,
      refresh_token: fake.oauth.refreshToken,
      scope: 'base,contacts:read,phone-integration',
      api_domain: fake.url,
    })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!closing.signal.aborted) replier(response).fail(500, `fake Pipedrive failed: ${String(error)}`, 500)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fake Pipedrive: no TCP address')
  fake.url = `http://127.0.0.1:${address.port}`
  return fake
}

const header = (request: IncomingMessage, name: string) => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const routeOf = (method: string, path: string): { endpoint: Endpoint; id: string } | undefined => {
  if (method === 'GET' && path === '/api/v2/persons/search') return { endpoint: 'search', id: '' }
  if (method === 'POST' && path === '/oauth/token') return { endpoint: 'oauth', id: '' }
  if (method === 'GET' && path === '/api/v1/personFields') return { endpoint: 'fields', id: '' }
  if ((method === 'GET' || method === 'POST') && path === '/api/v1/callLogs') return { endpoint: 'callLogs', id: '' }
  const person = /^\/api\/v2\/persons\/(\d+)$/.exec(path)
  if (method === 'GET' && person?.[1]) return { endpoint: 'person', id: person[1] }
  const user = /^\/api\/v1\/users\/(\d+)$/.exec(path)
  if (method === 'GET' && user?.[1]) return { endpoint: 'user', id: user[1] }
  return undefined
}

/** Custom fields have 40-character hash keys; the system fields have names. */
const isCustomField = (field: FakePersonField) => /^[0-9a-f]{40}$/.test(field.key)

const digitsOnly = (text: string) => text.replace(/\D/g, '')

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url')
const decodeCursor = (cursor: string | null): number | undefined => {
  if (!cursor) return 0
  try {
    const offset = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset?: unknown }).offset
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined
  } catch {
    return undefined
  }
}

/** The rate-limit headers Pipedrive puts on every answer (its rate limiting guide). */
const rateLimitHeaders = (remaining: number): Record<string, string> => ({
  'x-ratelimit-limit': String(RATE_LIMIT.limit),
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': String(RATE_LIMIT.windowSeconds),
  'x-daily-ratelimit-token-limit': '90000',
  'x-daily-ratelimit-token-remaining': '88000',
})

const send = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = rateLimitHeaders(RATE_LIMIT.limit - 1),
) => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

type Reply = ReturnType<typeof replier>

const replier = (response: ServerResponse) => ({
  send: (status: number, body: unknown) => send(response, status, body),
  /** Pipedrive's error envelope. */
  fail: (status: number, error: string, errorCode: number, errorInfo = ERROR_INFO) =>
    send(response, status, { success: false, error, errorCode, error_info: errorInfo, data: null, additional_data: null }),
})

/**
 * Over the 2-second burst limit: 429 with Retry-After and the window's headers; over the daily token budget:
 * 429 with the daily budget at 0 (until midnight, so no Retry-After).
 */
const rateLimited = (response: ServerResponse, mode: 'rateLimited' | 'dailyLimited', retryAfterSeconds = RATE_LIMIT.windowSeconds) => {
  const body = { success: false, error: 'Request over limit', errorCode: 429, error_info: ERROR_INFO, data: null, additional_data: null }
  if (mode === 'dailyLimited')
    return send(response, 429, body, { ...rateLimitHeaders(RATE_LIMIT.limit - 1), 'x-daily-ratelimit-token-remaining': '0' })
  send(response, 429, body, { ...rateLimitHeaders(0), 'retry-after': String(retryAfterSeconds) })
}
