import { LRUCache } from 'lru-cache'
import * as v from 'valibot'
import {
  type CallLogEntry,
  type CallOutcome,
  type Contact,
  type ContactOwner,
  callOutcome,
  definePlugin,
  ownerMap,
  RateLimitedError,
} from '../src/crm/plugin.ts'
import { withDeadline } from '../src/lib/deadline.ts'
import { envCountry, envFlag, envInteger, envList, envSecret, envText, setting } from '../src/lib/env-schema.ts'
import { describeIssues } from '../src/lib/issues.ts'
import { nationalDialForm, toE164 } from '../src/lib/phone.ts'

/**
 * Pipedrive CRM: finds callers among persons by phone (as typed, in E.164 or national form) or by a PIN kept in
 * a custom field, resolves the person's owner (a Pipedrive user), and logs calls through the call logs API.
 *
 * A small fetch client rather than the official `pipedrive` package: that client is built on axios and
 * Node's Buffer, and carries every endpoint of both API versions, far beyond the Worker bundle budget for the
 * five endpoints used here. Every answer is checked with valibot instead.
 *
 * Endpoints (the current ones where Pipedrive has moved to v2): GET /api/v2/persons/search, GET
 * /api/v2/persons/{id}; v1 where no v2 exists yet: GET /api/v1/users/{id}, GET /api/v1/personFields,
 * POST /api/v1/callLogs.
 */
export const pipedrive = () =>
  definePlugin({
    id: 'pipedrive',
    version: '1.0.0',
    envPrefix: 'PIPEDRIVE_',
    config: v.pipe(
      v.object({
        apiToken: setting(envSecret(), "A user's personal API token (Settings → Personal preferences → API); or use OAuth."),
        accessToken: setting(envSecret(), 'An OAuth access token of an app installed in the company (with PIPEDRIVE_REFRESH_TOKEN).'),
        refreshToken: setting(envSecret(), 'The OAuth refresh token; a new access token is fetched with it when Pipedrive answers 401.'),
        clientId: setting(envSecret(), "The OAuth app's client id (needed to refresh)."),
        clientSecret: setting(envSecret(), "The OAuth app's client secret (needed to refresh)."),
        tokenUrl: setting(
          v.pipe(envText('https://oauth.pipedrive.com/oauth/token'), v.url('must be a URL')),
          "Pipedrive's OAuth token endpoint (tests point it at a fake).",
        ),
        baseUrl: setting(
          v.pipe(envText('https://api.pipedrive.com'), v.url('must be a URL')),
          "The company's API address, e.g. https://acme.pipedrive.com (OAuth's api_domain); tests point it at a fake.",
        ),
        pinField: setting(
          v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
          'The key (a 40-character hash) of the person custom field holding the PIN / account number callers type; unset = no PIN lookups.',
        ),
        extensionField: setting(
          v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
          "The key of a person custom field holding the owner's extension for this caller; else the owner map gives it.",
        ),
        fields: setting(
          v.pipe(
            envList(''),
            v.check((pairs) => pairs.every((pair) => /^[^:]+:[^:]+$/.test(pair)), 'write each field as key:name'),
            v.transform((pairs) => pairs.map((pair) => pair.split(':').map((part) => part.trim()) as [string, string])),
          ),
          "Person fields that become the contact's free fields, comma-separated key:name pairs (key = Pipedrive's field key).",
        ),
        defaultCountry: setting(envCountry('IL'), 'Country of numbers stored without an international prefix.'),
        timeoutMs: setting(
          envInteger(1500, 50),
          'The longest one lookup may take (ms), so the next plugin in the chain still gets a turn.',
        ),
        searchesPerSecond: setting(
          envInteger(4, 1),
          "Person searches a second: Pipedrive's search allows 10 per 2 s per token, and each costs 20 of the company's daily API tokens; a phone lookup takes two.",
        ),
        ownerTimeoutMs: setting(envInteger(400, 50), "The longest reading a person's owner may take (ms)."),
        ownerCacheSeconds: setting(envInteger(3600, 0), 'Seconds users (owners) and person field labels are kept in memory.'),
        logCalls: setting(envFlag(true), 'Log each call on the person through the call logs API.'),
        logAsOwner: setting(
          envFlag(true),
          "Log the call as the person's owner (user_id): needs a token of a user with account settings access; false = as the token's user.",
        ),
      }),
      v.check(
        (config) => Boolean(config.apiToken || config.accessToken || config.refreshToken),
        'set PIPEDRIVE_API_TOKEN, or PIPEDRIVE_ACCESS_TOKEN / PIPEDRIVE_REFRESH_TOKEN for OAuth',
      ),
      v.check(
        (config) => !config.refreshToken || Boolean(config.clientId && config.clientSecret),
        'refreshing needs PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET',
      ),
    ),
    setup({ config, db, log, fetch: fetchImpl }) {
      const base = config.baseUrl.replace(/\/+$/, '')
      const oauth = !config.apiToken
      let accessToken = config.accessToken
      let refreshToken = config.refreshToken
      let refreshing: Promise<void> | undefined

      /** One refresh at a time: concurrent 401s share it, and a used refresh token is not sent twice. */
      const refresh = () => {
        refreshing ??= refreshAccessToken().finally(() => {
          refreshing = undefined
        })
        return refreshing
      }

      const refreshAccessToken = async () => {
        if (!refreshToken || !config.clientId || !config.clientSecret) {
          throw new Error('Pipedrive: the access token was refused and there is no refresh token (set PIPEDRIVE_REFRESH_TOKEN)')
        }
        // Not the lookup's signal: a refresh cut short by one caller's deadline would be lost for the next caller.
        const response = await fetchImpl(config.tokenUrl, {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${config.clientId}:${config.clientSecret}`)}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
          signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
        })
        const body = await readJson(response)
        const parsed = v.safeParse(TokenResponse, body)
        if (!response.ok || !parsed.success) {
          const reason = v.is(OAuthError, body) ? (body.message ?? body.error) : `HTTP ${response.status}`
          throw new Error(`Pipedrive OAuth refresh failed (${reason}): authorise the app again and set a new PIPEDRIVE_REFRESH_TOKEN`)
        }
        accessToken = parsed.output.access_token
        // Pipedrive rotates refresh tokens: the old one stops working once this one is issued. Kept in memory only.
        refreshToken = parsed.output.refresh_token ?? refreshToken
        log.info('Pipedrive access token refreshed', { plugin: 'pipedrive' })
      }

      // The header, not ?api_token=: a token in the URL ends up in proxy and server access logs.
      const authHeaders = (): Record<string, string> =>
        oauth ? { authorization: `Bearer ${accessToken ?? ''}` } : { 'x-api-token': config.apiToken as string }

      const call = async <Schema extends v.GenericSchema>(
        what: string,
        schema: Schema,
        path: string,
        init: { method?: 'GET' | 'POST'; query?: Record<string, string>; body?: unknown; signal: AbortSignal },
      ): Promise<v.InferOutput<Schema>> => {
        const url = `${base}${path}${init.query ? `?${new URLSearchParams(init.query)}` : ''}`
        if (oauth && !accessToken) await refresh()
        for (let attempt = 0; ; attempt++) {
          const sentWith = accessToken
          const response = await fetchImpl(url, {
            method: init.method ?? 'GET',
            headers: {
              accept: 'application/json',
              ...authHeaders(),
              ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: init.body === undefined ? undefined : JSON.stringify(init.body),
            signal: init.signal,
          })
          if (response.status === 401 && oauth && attempt === 0 && refreshToken) {
            await response.body?.cancel()
            // Another request may have refreshed meanwhile: its new token is tried before a refresh of our own.
            if (accessToken === sentWith) await refresh()
            continue
          }
          if (response.status === 429) {
            await response.body?.cancel()
            throw new RateLimitedError(`Pipedrive ${what}: rate limited (429)`, rateLimitPauseMs(response.headers))
          }
          const body = await readJson(response)
          if (!response.ok || (v.is(Failure, body) && body.success === false)) {
            const error = v.is(Failure, body) ? body.error : undefined
            throw new PipedriveError(`Pipedrive ${what}: HTTP ${response.status}${error ? ` ${error}` : ''}`, response.status)
          }
          const parsed = v.safeParse(schema, body)
          if (!parsed.success) throw new Error(`Pipedrive ${what}: unexpected answer (${describeIssues(parsed.issues.slice(0, 1))})`)
          return parsed.output
        }
      }

      /** Every person whose `field` equals `term`, over at most MAX_SEARCH_PAGES pages. */
      const search = async (field: 'phone' | 'custom_fields', term: string, signal: AbortSignal): Promise<SearchItem[]> => {
        const items: SearchItem[] = []
        let cursor: string | null | undefined
        for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
          const query: Record<string, string> = { term, fields: field, exact_match: 'true', limit: String(SEARCH_PAGE_SIZE) }
          if (cursor) query.cursor = cursor
          const answer = await call('person search', SearchResponse, '/api/v2/persons/search', { query, signal })
          items.push(...answer.data.items.map((entry) => entry.item))
          cursor = answer.additional_data?.next_cursor
          if (!cursor) break
        }
        if (cursor) log.warn('Pipedrive search has more pages than are read', { plugin: 'pipedrive', field, read: items.length })
        return items
      }

      const personById = (id: number, signal: AbortSignal) =>
        call('person details', PersonResponse, `/api/v2/persons/${id}`, { signal }).then((answer) => answer.data)

      const ownerMapRows = ownerMap(db)
      const cacheTtl = Math.max(config.ownerCacheSeconds, 1) * 1000
      const userCache = new LRUCache<number, { user: User | null }>({ max: 1000, ttl: cacheTtl })

      const userById = async (id: number): Promise<User | null> => {
        const cached = userCache.get(id)
        if (cached) return cached.user
        try {
          const user = (
            await call('user lookup', UserResponse, `/api/v1/users/${id}`, { signal: AbortSignal.timeout(config.ownerTimeoutMs) })
          ).data
          userCache.set(id, { user })
          return user
        } catch (error) {
          if (error instanceof PipedriveError && error.status === 404) {
            userCache.set(id, { user: null })
            return null
          }
          throw error
        }
      }

      /** The owner map says how to reach a user by phone; Pipedrive knows their name and e-mail (and maybe a phone). */
      const ownerOf = async (userId: number | null | undefined, extension: string | undefined): Promise<ContactOwner | undefined> => {
        if (!userId) return undefined
        const id = String(userId)
        let row = await ownerMapRows.find(id)
        let user: User | null = null
        if (!row?.name || !row.email) {
          try {
            user = await withDeadline(() => userById(userId), config.ownerTimeoutMs)
          } catch (error) {
            // The person is still worth routing on without the owner's name.
            log.warn('Pipedrive owner lookup failed', { plugin: 'pipedrive', ownerId: id, error: (error as Error).message })
          }
          if (!row && user?.email) row = await ownerMapRows.find(id, user.email)
        }
        return dropEmpty({
          id,
          name: row?.name || user?.name || undefined,
          email: row?.email || user?.email || undefined,
          extension: extension || row?.extension || undefined,
          phone: row?.phone || (user?.phone ? toE164(user.phone, config.defaultCountry) : undefined),
          layer: row?.layer || undefined,
        })
      }

      let fieldOptions: { at: number; options: Promise<FieldOptions> } | undefined
      /** Option labels of the label field and of enum/set fields, read at most once per cache time. */
      const optionsOfFields = (): Promise<FieldOptions> => {
        if (!fieldOptions || Date.now() - fieldOptions.at > cacheTtl) {
          const options = readFieldOptions()
          fieldOptions = { at: Date.now(), options }
          options.catch(() => {
            fieldOptions = undefined
          })
        }
        return fieldOptions.options
      }
      const readFieldOptions = async (): Promise<FieldOptions> => {
        const options: FieldOptions = new Map()
        let start = 0
        for (let page = 0; page < MAX_FIELD_PAGES; page++) {
          const answer = await call('person fields', FieldsResponse, '/api/v1/personFields', {
            query: { start: String(start), limit: '500' },
            signal: AbortSignal.timeout(config.ownerTimeoutMs),
          })
          for (const field of answer.data ?? []) {
            if (field.options?.length) options.set(field.key, new Map(field.options.map((option) => [String(option.id), option.label])))
          }
          const pagination = answer.additional_data?.pagination
          if (!pagination?.more_items_in_collection || pagination.next_start === undefined) break
          start = pagination.next_start
        }
        return options
      }
      const labelsOf = async (ids: number[]): Promise<string[]> => {
        if (ids.length === 0) return []
        try {
          const options = await withDeadline(() => optionsOfFields(), config.ownerTimeoutMs)
          const labels = options.get('label_ids') ?? options.get('label')
          return ids.map((id) => labels?.get(String(id))).filter((label): label is string => Boolean(label))
        } catch (error) {
          log.warn('Pipedrive person fields lookup failed', { plugin: 'pipedrive', error: (error as Error).message })
          return []
        }
      }

      const toContact = async (item: SearchItem, person: Person): Promise<Contact> => {
        const custom = person.custom_fields ?? {}
        const needsOptions = config.fields.some(([key]) => isOptionValue(custom[key]))
        const [labels, options] = await Promise.all([
          labelsOf(person.label_ids ?? []),
          needsOptions ? optionsOfFields().catch(() => undefined) : undefined,
        ])
        const fields: Record<string, string> = {}
        for (const [key, name] of config.fields) {
          const text = fieldText(custom[key], options?.get(key))
          if (text) fields[name] = text
        }
        const extension = config.extensionField ? fieldText(custom[config.extensionField], undefined) : undefined
        const contact: Contact = { id: String(person.id), source: 'pipedrive', name: person.name || item.name || '', tags: labels, fields }
        const company = item.organization?.name
        if (company) contact.company = company
        if (labels[0]) contact.segment = labels[0]
        const updatedAt = isoTime(person.update_time)
        if (updatedAt) contact.updatedAt = updatedAt
        const owner = await ownerOf(person.owner_id ?? item.owner?.id, extension)
        if (owner) contact.owner = owner
        return contact
      }

      /** The details of up to MAX_CANDIDATES persons, those that `keep` accepts, the most recently updated first. */
      const newestOf = async (items: SearchItem[], signal: AbortSignal, keep: (person: Person) => boolean): Promise<Contact | null> => {
        const unique = [...new Map(items.map((item) => [item.id, item])).values()].slice(0, MAX_CANDIDATES)
        const persons = await settled(unique.map((item) => personById(item.id, signal)))
        const matching = persons
          .map((person, index) => ({ person, item: unique[index] as SearchItem }))
          .filter(({ person }) => !person.is_deleted && keep(person))
          .sort((a, b) => (isoTime(b.person.update_time) ?? '').localeCompare(isoTime(a.person.update_time) ?? ''))
        const best = matching[0]
        if (matching.length > 1)
          log.warn('several Pipedrive persons match; the newest is used', { plugin: 'pipedrive', count: matching.length })
        return best ? toContact(best.item, best.person) : null
      }

      const isCaller = (phones: readonly string[], phone: string) => phones.some((typed) => toE164(typed, config.defaultCountry) === phone)

      return {
        timeoutMs: config.timeoutMs,
        // The lookup service counts lookups; Pipedrive counts searches, two for a phone lookup.
        rateLimit: { perSecond: config.searchesPerSecond / PHONE_SEARCHES },

        async findByPhone(phone, { signal }) {
          // Pipedrive keeps numbers as typed and matches the term whole: ask for both forms people type.
          const forms = [...new Set([phone, nationalDialForm(phone)].filter((form): form is string => Boolean(form)))]
          const found = (await settled(forms.map((form) => search('phone', form, signal)))).flat()
          // Re-read every number in our country: a foreign number with the same digits is not this caller.
          const callers = found.filter((item) => isCaller(item.phones ?? [], phone))
          if (callers.length === 0) return null
          return newestOf(callers, signal, (person) =>
            isCaller(
              (person.phones ?? []).map((entry) => entry.value ?? ''),
              phone,
            ),
          )
        },

        ...(config.pinField
          ? {
              async findByPin(pin: string, { signal }: { signal: AbortSignal }) {
                const clean = pin.replace(/[^0-9A-Za-z-]/g, '')
                if (!clean) return null
                const pinField = config.pinField as string
                // The search covers every custom field: only a person whose PIN field holds it is the caller.
                const found = await search('custom_fields', clean, signal)
                if (found.length === 0) return null
                return newestOf(found, signal, (person) => fieldText(person.custom_fields?.[pinField], undefined) === clean)
              },
            }
          : {}),

        ...(config.logCalls
          ? {
              async logCall(entry: CallLogEntry) {
                await call('call logging', CallLogResponse, '/api/v1/callLogs', {
                  method: 'POST',
                  body: callLogBody(entry, config.logAsOwner),
                  // The outbox gives up at its own deadline; this ends the request too.
                  signal: AbortSignal.timeout(CALL_LOG_TIMEOUT_MS),
                })
              },
            }
          : {}),
      }
    },
  })

/** Two searches per phone lookup: the E.164 form and the national form. */
const PHONE_SEARCHES = 2
const SEARCH_PAGE_SIZE = 50
/** An exact search for one number or PIN that fills more than two pages is a data problem, not a caller. */
const MAX_SEARCH_PAGES = 2
/** Persons whose details are read for one lookup. */
const MAX_CANDIDATES = 5
const MAX_FIELD_PAGES = 4
const REFRESH_TIMEOUT_MS = 5000
const CALL_LOG_TIMEOUT_MS = 10_000
/** Pipedrive's burst window is 2 s; its 429 normally says more. */
const BURST_PAUSE_MS = 2000
/** The daily token budget resets at midnight (UTC) of Pipedrive's server, which we only guess at; ask again now and then. */
const DAILY_PAUSE_MS = 10 * 60_000

type FieldOptions = Map<string, Map<string, string>>

/** Pipedrive answered with an error status; `status` tells a missing user (404) from an outage. */
class PipedriveError extends Error {
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.status = status
  }
}

const Success = v.literal(true)
const Failure = v.object({ success: v.literal(false), error: v.optional(v.string()) })

const SearchItem = v.object({
  id: v.number(),
  name: v.optional(v.nullable(v.string())),
  phones: v.optional(v.array(v.string())),
  owner: v.optional(v.nullable(v.object({ id: v.number() }))),
  organization: v.optional(v.nullable(v.object({ id: v.optional(v.number()), name: v.optional(v.nullable(v.string())) }))),
})
type SearchItem = v.InferOutput<typeof SearchItem>

const SearchResponse = v.object({
  success: Success,
  data: v.object({ items: v.array(v.object({ result_score: v.optional(v.number()), item: SearchItem })) }),
  additional_data: v.optional(v.nullable(v.object({ next_cursor: v.optional(v.nullable(v.string())) }))),
})

const CustomValue = v.union([v.string(), v.number(), v.boolean(), v.null(), v.array(v.unknown()), v.record(v.string(), v.unknown())])

const Person = v.object({
  id: v.number(),
  name: v.optional(v.nullable(v.string())),
  owner_id: v.optional(v.nullable(v.number())),
  org_id: v.optional(v.nullable(v.number())),
  update_time: v.optional(v.nullable(v.string())),
  is_deleted: v.optional(v.boolean()),
  phones: v.optional(v.array(v.object({ value: v.optional(v.string()) }))),
  label_ids: v.optional(v.nullable(v.array(v.number()))),
  custom_fields: v.optional(v.nullable(v.record(v.string(), CustomValue))),
})
type Person = v.InferOutput<typeof Person>

const PersonResponse = v.object({ success: Success, data: Person })

const User = v.object({
  id: v.number(),
  name: v.optional(v.nullable(v.string())),
  email: v.optional(v.nullable(v.string())),
  phone: v.optional(v.nullable(v.string())),
})
type User = v.InferOutput<typeof User>
const UserResponse = v.object({ success: Success, data: User })

const FieldsResponse = v.object({
  success: Success,
  data: v.nullable(
    v.array(
      v.object({
        key: v.string(),
        options: v.optional(v.nullable(v.array(v.object({ id: v.union([v.number(), v.string()]), label: v.string() })))),
      }),
    ),
  ),
  additional_data: v.optional(
    v.nullable(
      v.object({
        pagination: v.optional(v.object({ more_items_in_collection: v.optional(v.boolean()), next_start: v.optional(v.number()) })),
      }),
    ),
  ),
})

const CallLogResponse = v.object({ success: Success, data: v.object({ id: v.string() }) })

const TokenResponse = v.object({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  refresh_token: v.optional(v.string()),
  expires_in: v.optional(v.union([v.number(), v.string()])),
})
const OAuthError = v.object({ message: v.optional(v.string()), error: v.optional(v.string()) })

const readJson = async (response: Response): Promise<unknown> => {
  const text = await response.text()
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return text
  }
}

/**
 * How long to leave Pipedrive alone after a 429: its Retry-After, else x-ratelimit-reset (seconds left in the
 * 2-second burst window), else the window itself; when the daily token budget is spent, minutes.
 */
export const rateLimitPauseMs = (headers: Headers): number => {
  const daily = headers.get('x-daily-ratelimit-token-remaining') ?? headers.get('x-daily-requests-left')
  if (daily === '0') return DAILY_PAUSE_MS
  for (const name of ['retry-after', 'x-ratelimit-reset']) {
    const seconds = Number(headers.get(name))
    if (seconds > 0) return seconds * 1000
  }
  return BURST_PAUSE_MS
}

/**
 * All the promises' values, or the first failure once every one has settled: a lookup that fails leaves no
 * request of its own still running (an answer nobody reads, arriving while the next lookup runs).
 */
const settled = async <T>(promises: Promise<T>[]): Promise<T[]> => {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((result) => (result as PromiseFulfilledResult<T>).value)
}

const isOptionValue = (value: unknown) => typeof value === 'number' || Array.isArray(value)

/** A custom field's value as text: option ids (enum, set) as their labels, a monetary or address field by its value. */
const fieldText = (value: unknown, options: Map<string, string> | undefined): string | undefined => {
  if (value === null || value === undefined || value === '') return undefined
  if (Array.isArray(value)) {
    const parts = value.map((part) => fieldText(part, options)).filter(Boolean)
    return parts.length ? parts.join(', ') : undefined
  }
  if (typeof value === 'object') return fieldText((value as { value?: unknown }).value, undefined)
  const text = String(value).trim()
  return options?.get(text) ?? (text || undefined)
}

/** Pipedrive's v2 times are RFC 3339; v1's are "YYYY-MM-DD HH:MM:SS" in UTC. */
const isoTime = (value: string | null | undefined): string | undefined => {
  if (!value) return undefined
  const date = new Date(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}Z` : value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

const dropEmpty = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined && field !== '')) as T

/**
 * A provider's final call status as one of Pipedrive's call log outcomes (connected, no_answer, left_message,
 * left_voicemail, wrong_number, busy). Compared as letters only, as providers spell them their own way; a
 * call with no final status, or one that ended normally, was answered by the IVR: connected; one that failed or
 * was cancelled was not answered.
 */
const OUTCOMES: Record<CallOutcome, string> = {
  completed: 'connected',
  busy: 'busy',
  no_answer: 'no_answer',
  failed: 'no_answer',
  canceled: 'no_answer',
  voicemail: 'left_voicemail',
}

export const pipedriveOutcome = (status: string | undefined): string => OUTCOMES[callOutcome(status)]

/** "YYYY-MM-DD HH:MM:SS" in UTC, the call logs API's format. */
const utcTime = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ')

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export const callLogBody = (entry: CallLogEntry, asOwner: boolean): Record<string, unknown> => {
  const seconds = Math.max(0, Math.round((entry.durationMs ?? 0) / 1000))
  const ownerId = Number(entry.contact.owner?.id)
  return {
    outcome: pipedriveOutcome(entry.status),
    from_phone_number: entry.from,
    to_phone_number: entry.to,
    start_time: utcTime(entry.at),
    end_time: utcTime(new Date(entry.at.getTime() + seconds * 1000)),
    duration: String(seconds),
    subject: `${entry.direction === 'inbound' ? 'Inbound' : 'Outbound'} call routed by the IVR`,
    // The note is HTML: the summary's lines stay lines.
    note: escapeHtml(entry.summary).replace(/\n/g, '<br>'),
    person_id: Number(entry.contact.id),
    ...(asOwner && Number.isInteger(ownerId) && ownerId > 0 ? { user_id: ownerId } : {}),
  }
}
