import { Client } from '@hubspot/api-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import frContact from '../fixtures/hubspot/contact-object-fr-phones.json' with { type: 'json' }
import usContact from '../fixtures/hubspot/contact-object-us-phone.json' with { type: 'json' }
import ownerReference from '../fixtures/hubspot/owner-by-id-reference.json' with { type: 'json' }
import { CORPUS_CONTACTS, CORPUS_OWNER } from '../fixtures/hubspot/portal.ts'
import searchReference from '../fixtures/hubspot/search-response-reference.json' with { type: 'json' }
import { CALL_STATUSES, type FakeContact, type FakeHubSpot, SEARCH_LIMITS, startFakeHubSpot } from './fake-hubspot.ts'

type SearchRequest = Parameters<Client['crm']['contacts']['searchApi']['doSearch']>[0]
type Filter = NonNullable<SearchRequest['filterGroups']>[number]['filters'][number]
type CallInput = Parameters<Client['crm']['objects']['calls']['basicApi']['create']>[0]

/** What every generated API's ApiException carries; the class itself is not exported by the package. */
interface ClientError extends Error {
  code: number
  body: Record<string, unknown>
  headers: Record<string, string>
}

const CONTACTS: FakeContact[] = [
  {
    id: '1',
    properties: { firstname: 'Dana', lastname: 'Levi', email: 'Dana@Acme.example', phone: '050-123-4567', segment: 'VIP' },
    updatedAt: '2026-10-01T10:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
  },
  {
    id: '2',
    properties: { firstname: 'Moshe', lastname: 'Cohen', phone: '+972501234567', segment: 'regular' },
    updatedAt: '2026-11-01T10:00:00.000Z',
  },
  {
    id: '3',
    properties: { firstname: 'Ruth', lastname: 'Levi', phone: 'call reception', mobilephone: '+972771112233', segment: 'VIP' },
    updatedAt: '2026-09-01T10:00:00.000Z',
  },
  { id: '4', properties: { firstname: 'Klaus', lastname: 'Berlin', phone: '+49301234567', segment: null } },
]

const OWNERS = [{ id: '1042', email: 'john@example.com', firstName: 'John', lastName: 'Doe', userId: 77 }]

const filter = (propertyName: string, operator: string, value?: string): Filter =>
  ({ propertyName, operator, ...(value === undefined ? {} : { value }) }) as Filter

/** One filter group: its filters ANDed. */
const where = (...filters: Filter[]): SearchRequest => ({ filterGroups: [{ filters }] })

const failure = async (promise: Promise<unknown>): Promise<ClientError> => {
  try {
    await promise
  } catch (error) {
    return error as ClientError
  }
  throw new Error('expected the request to fail')
}

const clientFor = (fake: FakeHubSpot, token = fake.token) =>
  new Client({ accessToken: token, basePath: fake.url, numberOfApiCallRetries: 0 })

describe('fake HubSpot through @hubspot/api-client', () => {
  let fake: FakeHubSpot
  let client: Client
  const search = (request: SearchRequest) => client.crm.contacts.searchApi.doSearch(request)
  const ids = async (request: SearchRequest) => (await search(request)).results.map((result) => result.id)

  beforeAll(async () => {
    fake = await startFakeHubSpot({ contacts: CONTACTS, owners: OWNERS })
    client = clientFor(fake)
  })
  afterAll(() => fake.close())
  beforeEach(() => fake.reset())

  describe('contact search', () => {
    it('finds by phone with EQ, as stored, and EQ ignores case', async () => {
      expect(await ids(where(filter('phone', 'EQ', '050-123-4567')))).toEqual(['1'])
      expect(await ids(where(filter('phone', 'EQ', '0501234567')))).toEqual([])
      expect(await ids(where(filter('email', 'EQ', 'dana@acme.EXAMPLE')))).toEqual(['1'])
    })

    it('matches the national number HubSpot derives from local and international forms, and returns it only when asked', async () => {
      const request = where(filter('hs_searchable_calculated_phone_number', 'EQ', '501234567'))
      const response = await search(request)
      expect(response.results.map((result) => result.id)).toEqual(['1', '2'])
      expect(response.results[0]?.properties).not.toHaveProperty('hs_searchable_calculated_phone_number')

      const asked = await search({
        ...request,
        properties: ['hs_searchable_calculated_phone_number', 'hs_calculated_phone_number', 'hs_searchable_calculated_mobile_number'],
      })
      expect(asked.results[0]?.properties).toMatchObject({
        hs_searchable_calculated_phone_number: '501234567',
        hs_calculated_phone_number: '+972501234567',
        hs_searchable_calculated_mobile_number: null,
      })
      expect(await ids(where(filter('hs_searchable_calculated_mobile_number', 'EQ', '771112233')))).toEqual(['3'])
      // An unparseable stored phone yields no searchable value.
      expect(await ids(where(filter('hs_searchable_calculated_phone_number', 'HAS_PROPERTY')))).toEqual(['1', '2', '4'])
    })

    it('ORs filter groups and ANDs the filters inside a group', async () => {
      expect(
        await ids({
          filterGroups: [{ filters: [filter('firstname', 'EQ', 'Moshe')] }, { filters: [filter('firstname', 'EQ', 'Klaus')] }],
        }),
      ).toEqual(['2', '4'])
      expect(
        await ids(where(filter('lastname', 'EQ', 'Levi'), filter('segment', 'EQ', 'VIP'), filter('mobilephone', 'HAS_PROPERTY'))),
      ).toEqual(['3'])
      expect(await ids(where(filter('lastname', 'EQ', 'Levi'), filter('firstname', 'NEQ', 'Dana')))).toEqual(['3'])
      expect(await ids(where(filter('segment', 'NOT_HAS_PROPERTY')))).toEqual(['4'])
    })

    it('CONTAINS_TOKEN matches whole tokens, and a leading * means "ends with"', async () => {
      expect(await ids(where(filter('phone', 'CONTAINS_TOKEN', '*1234567')))).toEqual(['2', '4'])
      expect(await ids(where(filter('phone', 'CONTAINS_TOKEN', 'reception')))).toEqual(['3'])
      expect(await ids(where(filter('phone', 'CONTAINS_TOKEN', 'recep')))).toEqual([])
      expect(await ids(where(filter('phone', 'NOT_CONTAINS_TOKEN', '*1234567')))).toEqual(['1', '3'])
    })

    it('IN and NOT_IN compare against values, ignoring case', async () => {
      const among = (operator: string) => ({ propertyName: 'firstname', operator, values: ['moshe', 'KLAUS'] }) as Filter
      expect(await ids(where(among('IN')))).toEqual(['2', '4'])
      expect(await ids(where(among('NOT_IN')))).toEqual(['1', '3'])
    })

    it('returns the requested properties (null when missing) plus the three HubSpot always adds, with Date timestamps', async () => {
      const response = await search({
        filterGroups: [{ filters: [filter('hs_object_id', 'EQ', '4')] }],
        properties: ['firstname', 'segment', 'mobilephone'],
      })
      expect(response.total).toBe(1)
      const [klaus] = response.results
      expect(klaus?.properties).toEqual({
        firstname: 'Klaus',
        segment: null,
        mobilephone: null,
        hs_object_id: '4',
        createdate: '2025-01-01T00:00:00.000Z',
        lastmodifieddate: '2025-01-01T00:00:00.000Z',
      })
      expect(klaus?.archived).toBe(false)

      const [dana] = (await search(where(filter('hs_object_id', 'EQ', '1')))).results
      expect(dana?.createdAt).toBeInstanceOf(Date)
      expect(dana?.updatedAt.toISOString()).toBe('2026-10-01T10:00:00.000Z')
      expect(dana?.properties.lastmodifieddate).toBe('2026-10-01T10:00:00.000Z')
      expect(Object.keys(dana?.properties ?? {}).sort()).toEqual([
        'createdate',
        'email',
        'firstname',
        'hs_object_id',
        'lastmodifieddate',
        'lastname',
      ])
    })

    it('sorts by lastmodifieddate descending when asked, by id otherwise', async () => {
      const everyone = where(filter('firstname', 'HAS_PROPERTY'))
      expect(await ids(everyone)).toEqual(['1', '2', '3', '4'])
      // The client types sorts as string[]: JSON-encoded sort objects are the usual workaround.
      const newestFirst = JSON.stringify({ propertyName: 'lastmodifieddate', direction: 'DESCENDING' })
      expect(await ids({ ...everyone, sorts: [newestFirst] })).toEqual(['2', '1', '3', '4'])
      const asObject = { propertyName: 'lastmodifieddate', direction: 'DESCENDING' } as never
      expect(await ids({ ...everyone, sorts: [asObject] })).toEqual(['2', '1', '3', '4'])
    })

    it('respects limit and pages with after', async () => {
      const everyone = where(filter('firstname', 'HAS_PROPERTY'))
      const first = await search({ ...everyone, limit: 3 })
      expect(first.total).toBe(4)
      expect(first.results.map((result) => result.id)).toEqual(['1', '2', '3'])
      expect(first.paging?.next).toEqual({ after: '3', link: '?after=3' })
      const rest = await search({ ...everyone, limit: 3, after: '3' })
      expect(rest.results.map((result) => result.id)).toEqual(['4'])
      expect(rest.paging).toBeUndefined()
      expect((await search({})).results).toHaveLength(4)
    })

    it('rejects more than 5 groups, 6 filters in a group or 18 filters in all with HubSpot’s 400', async () => {
      expect(SEARCH_LIMITS).toEqual({ filterGroups: 5, filtersPerGroup: 6, filters: 18 })
      const groups = (count: number, perGroup: number) =>
        Array.from({ length: count }, () => ({ filters: Array.from({ length: perGroup }, () => filter('phone', 'EQ', '1')) }))
      for (const filterGroups of [groups(6, 1), groups(1, 7), groups(4, 5)]) {
        const error = await failure(search({ filterGroups }))
        expect(error.code).toBe(400)
        expect(Object.keys(error.body).sort()).toEqual(['category', 'correlationId', 'message', 'status'])
        expect(error.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' })
      }
      expect(await ids({ filterGroups: groups(3, 6) })).toEqual([])
      expect(await ids({ filterGroups: groups(5, 3) })).toEqual([])
    })

    it('rejects an unknown (or unmodelled) operator with a 400', async () => {
      // Range operators are real HubSpot ones the fake does not model; it refuses them rather than guess.
      for (const operator of ['STARTS_WITH', 'constructor', 'GTE']) {
        const error = await failure(search(where(filter('phone', operator, '05'))))
        expect(error.code).toBe(400)
        expect(error.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' })
        expect(String(error.body.message)).toContain(operator)
      }
    })
  })

  describe('owners', () => {
    it('gets an owner by id, and 404s an unknown one', async () => {
      const owner = await client.crm.owners.ownersApi.getById(1042, 'id', false)
      expect(owner).toMatchObject({
        id: '1042',
        email: 'john@example.com',
        firstName: 'John',
        lastName: 'Doe',
        userId: 77,
        archived: false,
        teams: [],
      })
      expect(owner.createdAt).toBeInstanceOf(Date)
      expect(fake.requests[0]).toMatchObject({
        method: 'GET',
        path: '/crm/v3/owners/1042',
        query: { idProperty: 'id', archived: 'false' },
      })

      const error = await failure(client.crm.owners.ownersApi.getById(1043, 'id', false))
      expect(error.code).toBe(404)
      expect(error.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' })
      expect(fake.counts.owners).toBe(2)
    })

    it('finds by userId when idProperty says so', async () => {
      expect((await client.crm.owners.ownersApi.getById(77, 'userId', false)).id).toBe('1042')
    })
  })

  describe('call engagements', () => {
    it('creates a call and keeps it', async () => {
      const input = {
        properties: { hs_timestamp: '2026-11-23T08:00:00.000Z', hs_call_title: 'Inbound call' },
        associations: [{ to: { id: '1' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] }],
      } as CallInput
      const created = await client.crm.objects.calls.basicApi.create(input)
      expect(created.id).toBe(fake.calls[0]?.id)
      expect(created.createdAt).toBeInstanceOf(Date)
      expect(created.properties).toMatchObject(input.properties)
      expect(fake.calls).toEqual([
        { id: created.id, properties: input.properties, associations: input.associations, createdAt: expect.any(String) },
      ])
    })

    it('takes every hs_call_status HubSpot lists, and refuses another value as HubSpot does (400 INVALID_OPTION)', async () => {
      const at = '2026-11-23T08:00:00.000Z'
      for (const status of CALL_STATUSES) {
        await client.crm.objects.calls.basicApi.create({
          properties: { hs_timestamp: at, hs_call_status: status, hs_call_direction: 'INBOUND' },
        })
      }
      expect(fake.calls.map((call) => call.properties.hs_call_status)).toEqual(CALL_STATUSES)
      for (const properties of [{ hs_call_status: 'NoAnswer' }, { hs_call_status: 'ANSWERED' }, { hs_call_direction: 'IN' }] as Record<
        string,
        string
      >[]) {
        const error = await failure(client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: at, ...properties } }))
        expect(error.code).toBe(400)
        expect(error.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' })
        expect(String(error.body.message)).toMatch(/^Property values were not valid: \[\{"isValid":false,.*"error":"INVALID_OPTION"/)
      }
      expect(fake.calls).toHaveLength(CALL_STATUSES.length)
    })

    it('lists calls with the properties asked for', async () => {
      const at = '2026-11-23T08:00:00.000Z'
      await client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: at, hs_call_status: 'BUSY' } })
      await client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: at, hs_call_status: 'NO_ANSWER' } })
      const page = await client.crm.objects.calls.basicApi.getPage(1, undefined, ['hs_call_status', 'hs_call_title'])
      expect(page.results.map((call) => call.properties)).toEqual([
        expect.objectContaining({ hs_call_status: 'BUSY', hs_object_id: fake.calls[0]?.id }),
      ])
      expect(page.paging?.next?.after).toBe('1')
      const rest = await client.crm.objects.calls.basicApi.getPage(10, '1', ['hs_call_status'])
      expect(rest.results.map((call) => call.properties.hs_call_status)).toEqual(['NO_ANSWER'])
      expect(rest.paging).toBeUndefined()
    })

    it('needs hs_timestamp', async () => {
      const error = await failure(client.crm.objects.calls.basicApi.create({ properties: { hs_call_title: 'x' } }))
      expect(error.code).toBe(400)
      expect(fake.calls).toHaveLength(0)
      expect(fake.counts.calls).toBe(1)
    })
  })

  describe('cross-cutting behaviour', () => {
    it('answers 401 to a wrong token, and records what it was sent', async () => {
      const error = await failure(clientFor(fake, 'wrong-token').crm.contacts.searchApi.doSearch({}))
      expect(error.code).toBe(401)
      expect(error.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' })
      expect(String(error.body.message)).toMatch(/^Authentication credentials not found/)
      expect(fake.requests).toEqual([
        { method: 'POST', path: '/crm/v3/objects/contacts/search', query: {}, body: {}, authorization: 'Bearer wrong-token' },
      ])
      expect(fake.counts).toEqual({ search: 1, owners: 0, calls: 0, total: 1 })
    })

    it('answers 404 to anything else', async () => {
      const response = await client.apiRequest({ method: 'GET', path: '/crm/v3/objects/contacts' })
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' })
      expect(fake.counts).toEqual({ search: 0, owners: 0, calls: 0, total: 1 })
    })

    it('rateLimited on search: the per-second 429, with no rate-limit headers and no Retry-After (as HubSpot’s)', async () => {
      fake.mode.search = 'rateLimited'
      const error = await failure(search({}))
      expect(error.code).toBe(429)
      expect(error.body).toMatchObject({
        status: 'error',
        message: 'You have reached your secondly limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'SECONDLY',
        category: 'RATE_LIMITS',
      })
      expect(error.headers['retry-after']).toBeUndefined()
      expect(Object.keys(error.headers).filter((name) => name.startsWith('x-hubspot-ratelimit'))).toEqual([])
      expect(await client.crm.owners.ownersApi.getById(1042, 'id', false)).toMatchObject({ id: '1042' })
    })

    it('rateLimited elsewhere: the 10-second rolling 429, whose headers say the window; no Retry-After', async () => {
      fake.mode.calls = 'rateLimited'
      const error = await failure(client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: '2026-11-23T08:00:00.000Z' } }))
      expect(error.code).toBe(429)
      expect(error.body).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT', category: 'RATE_LIMITS' })
      // Header names arrive lower-cased.
      expect(error.headers).toMatchObject({
        'x-hubspot-ratelimit-interval-milliseconds': '10000',
        'x-hubspot-ratelimit-max': '190',
        'x-hubspot-ratelimit-remaining': '0',
      })
      expect(error.headers['retry-after']).toBeUndefined()
    })

    it('dailyLimited: the daily 429 (its headers on other endpoints, none on search)', async () => {
      fake.mode.search = 'dailyLimited'
      fake.mode.owners = 'dailyLimited'
      const searchError = await failure(search({}))
      expect(searchError.body).toMatchObject({ message: 'You have reached your daily limit.', policyName: 'DAILY' })
      expect(searchError.headers['x-hubspot-ratelimit-daily-remaining']).toBeUndefined()
      const ownerError = await failure(client.crm.owners.ownersApi.getById(1042, 'id', false))
      expect(ownerError.code).toBe(429)
      expect(ownerError.headers['x-hubspot-ratelimit-daily-remaining']).toBe('0')
    })

    it('error500: a 500 error', async () => {
      fake.mode.owners = 'error500'
      const error = await failure(client.crm.owners.ownersApi.getById(1042, 'id', false))
      expect(error.code).toBe(500)
      expect(error.body).toMatchObject({ status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' })
      expect(error.message).toMatch(/^HTTP-Code: 500\n/)
    })

    it('normal answers carry rate-limit headers too, but search’s never do', async () => {
      const owner = await client.crm.owners.ownersApi.getByIdWithHttpInfo(1042, 'id', false)
      expect(owner.httpStatusCode).toBe(200)
      expect(owner.headers).toHaveProperty('x-hubspot-ratelimit-max')
      expect(owner.headers).toHaveProperty('x-hubspot-ratelimit-remaining')
      const found = await client.crm.contacts.searchApi.doSearchWithHttpInfo({})
      expect(found.httpStatusCode).toBe(200)
      expect(Object.keys(found.headers).filter((name) => name.startsWith('x-hubspot-ratelimit'))).toEqual([])
    })

    it('latencyMs delays the answer by at least that long', async () => {
      fake.latencyMs = 150
      const started = performance.now()
      await search({})
      expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    })

    it('counts and records every request; reset() clears them and the modes but keeps the data', async () => {
      await search(where(filter('phone', 'EQ', '050-123-4567')))
      await client.crm.owners.ownersApi.getById(1042, 'id', false)
      fake.mode.calls = 'error500'
      await failure(client.crm.objects.calls.basicApi.create({ properties: { hs_timestamp: '2026-11-23T08:00:00.000Z' } }))
      expect(fake.counts).toEqual({ search: 1, owners: 1, calls: 1, total: 3 })
      expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        'POST /crm/v3/objects/contacts/search',
        'GET /crm/v3/owners/1042',
        'POST /crm/v3/objects/calls',
      ])
      expect(fake.requests[0]?.body).toEqual({
        filterGroups: [{ filters: [{ propertyName: 'phone', operator: 'EQ', value: '050-123-4567' }] }],
      })
      expect(fake.requests[0]?.authorization).toBe('Bearer test-token')

      const counts = fake.counts
      fake.latencyMs = 50
      fake.mode.search = 'hang'
      fake.reset()
      expect(counts).toEqual({ search: 0, owners: 0, calls: 0, total: 0 })
      expect(fake.requests).toEqual([])
      expect(fake.calls).toEqual([])
      expect(fake.mode).toEqual({ search: 'ok', owners: 'ok', calls: 'ok' })
      expect(fake.latencyMs).toBe(0)
      expect(fake.contacts).toHaveLength(CONTACTS.length)
      expect(fake.owners).toHaveLength(1)
    })
  })
})

describe('fake HubSpot against real HubSpot records (test/fixtures/hubspot/)', () => {
  let fake: FakeHubSpot
  let client: Client
  beforeAll(async () => {
    fake = await startFakeHubSpot({ contacts: CORPUS_CONTACTS, owners: [CORPUS_OWNER] })
    client = clientFor(fake)
  })
  afterAll(() => fake.close())

  const DERIVED = [
    'hs_calculated_phone_number',
    'hs_calculated_mobile_number',
    'hs_calculated_phone_number_country_code',
    'hs_searchable_calculated_phone_number',
    'hs_searchable_calculated_mobile_number',
  ]

  it('derives from phone and mobilephone what HubSpot derived for these contacts (FR in E.164, US typed domestically)', async () => {
    for (const record of [frContact.body, usContact.body]) {
      const [found] = (await client.crm.contacts.searchApi.doSearch(where(filter('hs_object_id', 'EQ', record.id)))).results
      const asked = await client.crm.contacts.searchApi.doSearch({ ...where(filter('hs_object_id', 'EQ', record.id)), properties: DERIVED })
      const real = record.properties as Record<string, string | undefined>
      expect(asked.results[0]?.properties).toMatchObject(Object.fromEntries(DERIVED.map((name) => [name, real[name] ?? null])))
      expect(found?.updatedAt.toISOString()).toBe(record.updatedAt)
    }
  })

  it('finds them by the national number HubSpot indexes', async () => {
    const byNational = (property: string, value: string) =>
      client.crm.contacts.searchApi.doSearch(where(filter(property, 'EQ', value))).then((page) => page.results.map((result) => result.id))
    expect(await byNational('hs_searchable_calculated_phone_number', '655555555')).toEqual(['5751'])
    expect(await byNational('hs_searchable_calculated_mobile_number', '644444444')).toEqual(['5751'])
    expect(await byNational('hs_searchable_calculated_phone_number', '5132271572')).toEqual(['10301'])
  })

  it('answers a search in the shape of HubSpot’s reference response', async () => {
    const response = await client.apiRequest({
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      body: { filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'HAS_PROPERTY' }] }], limit: 1 },
    })
    const page = (await response.json()) as typeof searchReference.body
    const keys = (value: object) => Object.keys(value).sort()
    expect(keys(page)).toEqual(keys(searchReference.body))
    expect(keys(page.paging.next)).toEqual(keys(searchReference.body.paging.next))
    expect(keys(page.results[0] ?? {})).toEqual(keys(searchReference.body.results[0] ?? {}))
    // Every value a string, as in the reference (numbers, booleans and dates included).
    expect(Object.values(page.results[0]?.properties ?? {}).every((value) => typeof value === 'string' || value === null)).toBe(true)
  })

  it('answers an owner as HubSpot’s reference does (plus the schema’s type)', async () => {
    const response = await client.apiRequest({ method: 'GET', path: `/crm/v3/owners/${ownerReference.body.id}`, qs: { idProperty: 'id' } })
    const owner = (await response.json()) as Record<string, unknown>
    expect(owner).toMatchObject(ownerReference.body)
    expect(owner.type).toBe('PERSON')
  })
})

describe('fake HubSpot, hang mode', () => {
  it('never answers, counts the request, and close() still finishes quickly', async () => {
    const fake = await startFakeHubSpot({ contacts: CONTACTS })
    const client = clientFor(fake)
    fake.mode.search = 'hang'
    const pending = client.crm.contacts.searchApi.doSearch({})
    pending.catch(() => undefined)
    const timedOut = Symbol('timed out')
    const winner = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve(timedOut), 300))])
    expect(winner).toBe(timedOut)
    expect(fake.counts.search).toBe(1)

    const started = performance.now()
    await fake.close()
    expect(performance.now() - started).toBeLessThan(500)
    // Closing the socket fails the hung request instead of leaving it pending forever.
    await expect(pending).rejects.toThrow()
  })

  it('close() also ends a request waiting out latencyMs', async () => {
    const fake = await startFakeHubSpot()
    fake.latencyMs = 60_000
    const pending = clientFor(fake).crm.contacts.searchApi.doSearch({})
    pending.catch(() => undefined)
    await expect.poll(() => fake.counts.total).toBe(1)
    const started = performance.now()
    await fake.close()
    expect(performance.now() - started).toBeLessThan(500)
    await expect(pending).rejects.toThrow()
  })
})
