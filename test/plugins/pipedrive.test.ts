import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pipedrive } from '../../plugins/pipedrive.ts'
import { type CallLogEntry, type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'
import { createPluginChain, PluginConfigError } from '../../src/crm/plugin-chain.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import company from '../fixtures/pipedrive/company.json' with { type: 'json' }
import personReference from '../fixtures/pipedrive/person-reference.json' with { type: 'json' }
import searchReference from '../fixtures/pipedrive/person-search-reference.json' with { type: 'json' }
import userReference from '../fixtures/pipedrive/user-reference.json' with { type: 'json' }
import { type FakePerson, type FakePipedrive, startFakePipedrive } from '../helpers/fake-pipedrive.ts'
import { recordingLogger, startTestServer, voicenterRequest } from '../helpers/test-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

const [PIN_FIELD, EXTENSION_FIELD, BALANCE_FIELD, TIER_FIELD] = company.personFields.slice(4).map((field) => field.key) as [
  string,
  string,
  string,
  string,
]

const startFake = () => startFakePipedrive({ persons: company.persons, users: company.users, personFields: company.personFields })

const apiTokenEnv = (fake: FakePipedrive): Record<string, string> => ({
  PIPEDRIVE_API_TOKEN: fake.apiToken,
  PIPEDRIVE_BASE_URL: fake.url,
  PIPEDRIVE_PIN_FIELD: PIN_FIELD,
  PIPEDRIVE_FIELDS: `${BALANCE_FIELD}:balance,${TIER_FIELD}:tier`,
})

const oauthEnv = (fake: FakePipedrive): Record<string, string> => ({
  PIPEDRIVE_ACCESS_TOKEN: fake.oauth.accessToken,
  PIPEDRIVE_REFRESH_TOKEN: fake.oauth.refreshToken,
  PIPEDRIVE_CLIENT_ID: fake.oauth.clientId,
  PIPEDRIVE_CLIENT_SECRET: fake.oauth.clientSecret,
  PIPEDRIVE_TOKEN_URL: `${fake.url}/oauth/token`,
  PIPEDRIVE_BASE_URL: fake.url,
  PIPEDRIVE_PIN_FIELD: PIN_FIELD,
})

const openPlugin = async (env: Record<string, string>) => {
  const directory = mkdtempSync(join(tmpdir(), 'pipedrive-'))
  const database = openDatabase(join(directory, 'test.db'))
  await seedDemoData(database.db)
  const { log, entries } = recordingLogger()
  const [entry] = await createPluginChain({
    available: [pipedrive()],
    enabled: ['pipedrive'],
    env,
    db: database.db,
    revisions: createRevisionReader(database.db, 0),
    log,
  })
  return {
    client: entry?.client as CrmClient,
    logs: entries,
    close: async () => {
      database.sqlite.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

const options = () => ({ signal: new AbortController().signal })
const failure = (promise: Promise<unknown> | undefined) =>
  promise?.then(
    () => {
      throw new Error('expected a failure')
    },
    (caught: unknown) => caught as Error,
  ) as Promise<Error>

const callOf = (contact: NonNullable<Awaited<ReturnType<NonNullable<CrmClient['findByPhone']>>>>, extra: Partial<CallLogEntry> = {}) => ({
  provider: 'voicenter',
  callId: 'c-1',
  contact,
  direction: 'inbound' as const,
  from: '+972501234567',
  to: '+972722776772',
  at: new Date('2026-11-23T08:00:00Z'),
  summary: 'rule "VIP" → dialled extension 101\nCall ended: <Completed>',
  ...extra,
})

describe('pipedrive', () => {
  let fake: FakePipedrive
  beforeAll(async () => {
    fake = await startFake()
  })
  afterAll(() => fake.close())

  testCrmPluginContract({
    pluginId: 'pipedrive',
    setup: () => openPlugin(apiTokenEnv(fake)),
    known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
    unknown: { phone: '+972539999999', pin: '999' },
    fake: {
      rateLimitNext: (count, seconds) => fake.rateLimitNext(count, seconds),
      failNext: (count, status) => fake.failNext(count, status),
      dropNext: (count) => fake.dropNext(count),
      delayNext: (count, ms) => fake.delayNext(count, ms),
      requestCount: () => fake.requestCount(),
      loggedCalls: () => fake.callLogs,
    },
  })

  describe('the fake answers in the shapes of Pipedrive’s reference', () => {
    it('search items and person details have the reference answers’ keys', async () => {
      const headers = { 'x-api-token': fake.apiToken }
      const search = await (
        await fetch(`${fake.url}/api/v2/persons/search?term=0501234567&fields=phone&exact_match=true`, { headers })
      ).json()
      const referenceItem = searchReference.body.data.items[0]
      expect(Object.keys(search.data.items[0]).sort()).toEqual(Object.keys(referenceItem ?? {}).sort())
      expect(Object.keys(search.data.items[0].item).sort()).toEqual(Object.keys(referenceItem?.item ?? {}).sort())
      expect(Object.keys(search.additional_data)).toEqual(Object.keys(searchReference.body.additional_data))
      const person = await (await fetch(`${fake.url}/api/v2/persons/101`, { headers })).json()
      const sharedKeys = Object.keys(personReference.body.data).filter((key) => key in person.data)
      // The fake leaves out only what contact sync adds (im, notes, birthday, job_title, postal_address).
      expect(
        Object.keys(personReference.body.data)
          .filter((key) => !sharedKeys.includes(key))
          .sort(),
      ).toEqual(['birthday', 'im', 'job_title', 'notes', 'postal_address'].sort())
      const user = await (await fetch(`${fake.url}/api/v1/users/1042`, { headers })).json()
      expect(Object.keys(user.data).sort()).toEqual(Object.keys(userReference.body.data).sort())
    })

    it('answers a wrong token with 401 in Pipedrive’s error envelope', async () => {
      const response = await fetch(`${fake.url}/api/v2/persons/101`, { headers: { 'x-api-token': 'wrong' } })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ success: false, error: 'unauthorized access', errorCode: 401 })
    })
  })

  describe('lookups', () => {
    let client: CrmClient
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ client, close } = await openPlugin(apiTokenEnv(fake)))
    })
    afterAll(() => close())
    beforeEach(() => fake.reset())

    it('finds a number typed in national form, with labels, organization, free fields and the owner', async () => {
      expect(await client.findByPhone?.('+972501234567', options())).toEqual({
        id: '101',
        source: 'pipedrive',
        name: 'Dana Levi',
        company: 'Acme Ltd',
        segment: 'VIP',
        tags: ['VIP', 'Customer'],
        fields: { balance: '0', tier: 'Gold' },
        updatedAt: '2026-10-01T10:00:00.000Z',
        owner: { id: '1042', name: 'John Doe', email: 'john@example.com', extension: '101', phone: '+972541000101', layer: '22' },
      })
      // The owner map knew the owner: no users API call.
      expect(fake.requestsTo('/api/v1/users')).toHaveLength(0)
    })

    it('searches the E.164 and the national form, exact match on phones, with the token in a header and not the URL', async () => {
      await client.findByPhone?.('+972501234567', options())
      const searches = fake.requestsTo('/api/v2/persons/search')
      expect(searches.map((request) => request.query)).toEqual([
        { term: '+972501234567', fields: 'phone', exact_match: 'true', limit: '50' },
        { term: '0501234567', fields: 'phone', exact_match: 'true', limit: '50' },
      ])
      expect(fake.requests.every((request) => request.apiToken === fake.apiToken && !('api_token' in request.query))).toBe(true)
    })

    it('finds a number typed in E.164 with spaces, and a second number of the same person', async () => {
      expect(await client.findByPhone?.('+972541112233', options())).toMatchObject({ id: '102', name: 'Moshe Cohen' })
      expect(await client.findByPhone?.('+972771112233', options())).toMatchObject({ id: '102' })
    })

    it('re-reads the numbers: a foreign caller whose national form has the same digits is not the person', async () => {
      expect(await client.findByPhone?.('+49501234567', options())).toBeNull()
      // Pipedrive did find Dana by the digits; the plugin turned her down without reading her details.
      expect(fake.requestsTo('/api/v2/persons/search').map((request) => request.query.term)).toContain('0501234567')
      expect(fake.requestsTo('/api/v2/persons/101')).toHaveLength(0)
    })

    it('several persons with the number: the most recently updated wins', async () => {
      expect(await client.findByPhone?.('+97231111111', options())).toMatchObject({ id: '104', name: 'New Switchboard' })
    })

    it('an owner missing from the owner map comes from the users API, once, with the phone Pipedrive has', async () => {
      const fresh = await openPlugin(apiTokenEnv(fake))
      try {
        const found = await fresh.client.findByPhone?.('+972541112233', options())
        expect(found?.owner).toEqual({ id: '7', name: 'Rachel Green', email: 'rachel@example.com', phone: '+972547000007' })
        await fresh.client.findByPhone?.('+972771112233', options())
        expect(fake.requestsTo('/api/v1/users')).toHaveLength(1)
      } finally {
        await fresh.close()
      }
    })

    it('a failing users API still returns the person, without the owner name', async () => {
      const fresh = await openPlugin(apiTokenEnv(fake))
      try {
        fake.mode.user = 'error500'
        const found = await fresh.client.findByPhone?.('+972541112233', options())
        expect(found).toMatchObject({ id: '102', owner: { id: '7' } })
        expect(found?.owner?.name).toBeUndefined()
        expect(fresh.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'Pipedrive owner lookup failed' }))
      } finally {
        await fresh.close()
      }
    })

    it('finds by the PIN custom field, with the input cleaned', async () => {
      expect(await client.findByPin?.(' 1234 5678# ', options())).toMatchObject({ id: '101', name: 'Dana Levi' })
      expect(fake.requestsTo('/api/v2/persons/search')[0]?.query).toEqual({
        term: '12345678',
        fields: 'custom_fields',
        exact_match: 'true',
        limit: '50',
      })
      expect(await client.findByPin?.('#*', options())).toBeNull()
      expect(fake.requestsTo('/api/v2/persons/search')).toHaveLength(1)
    })

    it('a PIN found in another custom field is not a PIN', async () => {
      // Avi's "customer reference" is 4321; his account number field is empty.
      expect(await client.findByPin?.('4321', options())).toBeNull()
      expect(fake.requestsTo('/api/v2/persons/101')).toHaveLength(0)
      expect(fake.requestsTo('/api/v2/persons/105')).toHaveLength(1)
    })

    it('reads at most two pages of a search, and still finds the caller among them', async () => {
      const crowd: FakePerson[] = Array.from({ length: 120 }, (_, index) => ({
        id: 5000 + index,
        name: `Crowd ${index}`,
        owner_id: 1043,
        phones: [{ value: '+972 58 000 0000', primary: true, label: 'work' }],
        update_time: `2026-01-01T00:00:${String(index % 60).padStart(2, '0')}Z`,
      }))
      fake.persons.push(...crowd)
      try {
        expect((await client.findByPhone?.('+972580000000', options()))?.name).toMatch(/^Crowd /)
        // The E.164 search matches all 120 (pages of 50: two read, the third not); the national form none.
        const searches = fake
          .requestsTo('/api/v2/persons/search')
          .map((request) => [request.query.term, request.query.cursor ? 'next' : 'first'])
        expect(searches.sort()).toEqual([
          ['+972580000000', 'first'],
          ['+972580000000', 'next'],
          ['0580000000', 'first'],
        ])
        expect(fake.requestsTo('/api/v2/persons/5').length).toBeLessThanOrEqual(5)
      } finally {
        fake.persons.splice(-crowd.length)
      }
    })

    it('429: RateLimitedError with Retry-After; the daily budget spent: 10 minutes', async () => {
      fake.mode.search = 'rateLimited'
      const burst = (await failure(client.findByPhone?.('+972501234567', options()))) as RateLimitedError
      expect(burst).toBeInstanceOf(RateLimitedError)
      expect(burst.retryAfterMs).toBe(2000)
      expect(burst.message).toBe('Pipedrive person search: rate limited (429)')
      fake.mode.search = 'dailyLimited'
      expect(((await failure(client.findByPin?.('12345678', options()))) as RateLimitedError).retryAfterMs).toBe(600_000)
    })

    it("a 500 becomes an error with Pipedrive's error text and never the token", async () => {
      fake.mode.search = 'error500'
      const error = await failure(client.findByPhone?.('+972501234567', options()))
      expect(error.message).toBe('Pipedrive person search: HTTP 500 Internal server error')
      expect(error.message).not.toContain(fake.apiToken)
    })

    it('a slow Pipedrive: the lookup ends when its signal is aborted', async () => {
      fake.latencyMs = 60_000
      const controller = new AbortController()
      const lookup = failure(client.findByPhone?.('+972501234567', { signal: controller.signal }))
      while (fake.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      controller.abort()
      expect((await lookup).name).toBe('AbortError')
    })

    it('declares its timeout and a rate of lookups within the search limit (two searches each)', () => {
      expect(client.timeoutMs).toBe(1500)
      expect(client.rateLimit).toEqual({ perSecond: 2 })
    })

    it('logs a call through the call logs API with the outcome, numbers, times, person and owner', async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake Pipedrive holds Dana')
      await client.logCall?.(callOf(contact, { durationMs: 65_400, status: 'Completed' }))
      expect(fake.callLogs.map((log) => log.body)).toEqual([
        {
          outcome: 'connected',
          from_phone_number: '+972501234567',
          to_phone_number: '+972722776772',
          start_time: '2026-11-23 08:00:00',
          end_time: '2026-11-23 08:01:05',
          duration: '65',
          subject: 'Inbound call routed by the IVR',
          note: 'rule "VIP" → dialled extension 101<br>Call ended: &lt;Completed&gt;',
          person_id: 101,
          user_id: 1042,
        },
      ])
      expect(fake.requestsTo('/api/v1/callLogs')[0]?.contentType).toBe('application/json')
    })

    it('a 429 from the call logs API is RateLimitedError for the outbox to wait; a 5xx an Error, nothing logged', async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake Pipedrive holds Dana')
      fake.mode.callLogs = 'rateLimited'
      const limited = (await failure(client.logCall?.(callOf(contact)))) as RateLimitedError
      expect(limited).toBeInstanceOf(RateLimitedError)
      expect(limited.retryAfterMs).toBe(2000)
      fake.mode.callLogs = 'error500'
      const failed = await failure(client.logCall?.(callOf(contact)))
      expect(failed).not.toBeInstanceOf(RateLimitedError)
      expect(failed.message).toBe('Pipedrive call logging: HTTP 500 Internal server error')
      expect(fake.callLogs).toEqual([])
    })

    it("maps providers' final statuses to Pipedrive's outcomes", async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake Pipedrive holds Dana')
      const expected: [string | undefined, string][] = [
        [undefined, 'connected'],
        ['Completed', 'connected'],
        ['ANSWERED', 'connected'],
        ['Busy', 'busy'],
        ['NoAnswer', 'no_answer'],
        ['NO ANSWER', 'no_answer'],
        ['no-answer', 'no_answer'],
        ['Failed', 'no_answer'],
        ['CANCEL', 'no_answer'],
        ['voicemail', 'left_voicemail'],
      ]
      for (const [status] of expected) await client.logCall?.(callOf(contact, { status }))
      // The fake refuses an outcome that is not one of Pipedrive's six, as Pipedrive does.
      expect(fake.callLogs.map((log) => log.body.outcome)).toEqual(expected.map(([, outcome]) => outcome))
    })
  })

  describe('owner extension from a person field', () => {
    it("the person's extension field wins over the owner map", async () => {
      const { client, close } = await openPlugin({ ...apiTokenEnv(fake), PIPEDRIVE_EXTENSION_FIELD: EXTENSION_FIELD })
      try {
        expect((await client.findByPhone?.('+972527654321', options()))?.owner).toMatchObject({ id: '1042', extension: '150' })
        expect((await client.findByPhone?.('+972501234567', options()))?.owner).toMatchObject({ id: '1042', extension: '101' })
      } finally {
        await close()
      }
    })
  })

  describe('OAuth', () => {
    beforeEach(() => fake.reset())

    it('on 401 refreshes the access token (Basic client auth, form body) and retries; the new token is kept', async () => {
      const { client, logs, close } = await openPlugin(oauthEnv(fake))
      try {
        expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: '101' })
        expect(fake.requestsTo('/oauth/token')).toHaveLength(0)
        const firstRefreshToken = fake.oauth.refreshToken
        fake.expireAccessToken()
        fake.reset()
        expect(await client.findByPin?.('12345678', options())).toMatchObject({ id: '101' })
        const [refresh, ...more] = fake.requestsTo('/oauth/token')
        expect(more).toEqual([])
        expect(refresh?.body).toEqual({ grant_type: 'refresh_token', refresh_token: firstRefreshToken })
        expect(refresh?.authorization).toBe(`Basic ${btoa(`${fake.oauth.clientId}:${fake.oauth.clientSecret}`)}`)
        const searches = fake.requestsTo('/api/v2/persons/search')
        expect(searches.map((request) => request.authorization)).toEqual(['Bearer fake-access-0', `Bearer ${fake.oauth.accessToken}`])
        // Later calls use the new token without refreshing again.
        fake.reset()
        expect(await client.findByPhone?.('+972541112233', options())).toMatchObject({ id: '102' })
        expect(fake.requestsTo('/oauth/token')).toHaveLength(0)
        expect(logs.some((entry) => JSON.stringify(entry).includes(fake.oauth.accessToken))).toBe(false)
        // Two searches refused at once (a phone lookup searches two forms side by side): one refresh.
        fake.expireAccessToken()
        fake.reset()
        expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: '101' })
        expect(fake.requestsTo('/oauth/token')).toHaveLength(1)
      } finally {
        await close()
      }
    })

    it('a refresh token Pipedrive refuses: a clear error naming what to do', async () => {
      const { client, close } = await openPlugin(oauthEnv(fake))
      try {
        fake.expireAccessToken()
        fake.revokeRefreshToken()
        const error = await failure(client.findByPhone?.('+972501234567', options()))
        expect(error.message).toBe(
          'Pipedrive OAuth refresh failed (Invalid grant: refresh_token is invalid): authorise the app again and set a new PIPEDRIVE_REFRESH_TOKEN',
        )
      } finally {
        await close()
      }
    })
  })

  describe('configuration', () => {
    const chain = (env: Record<string, string>) =>
      createPluginChain({
        available: [pipedrive()],
        enabled: ['pipedrive'],
        env,
        db: {} as never,
        revisions: {} as never,
        log: recordingLogger().log,
      })

    it('needs an API token or OAuth tokens, and client credentials to refresh', async () => {
      await expect(chain({})).rejects.toThrow(PluginConfigError)
      await expect(chain({})).rejects.toThrow('set PIPEDRIVE_API_TOKEN, or PIPEDRIVE_ACCESS_TOKEN / PIPEDRIVE_REFRESH_TOKEN for OAuth')
      await expect(chain({ PIPEDRIVE_REFRESH_TOKEN: 'r' })).rejects.toThrow(
        'refreshing needs PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET',
      )
      await expect(chain({ PIPEDRIVE_API_TOKEN: 't', PIPEDRIVE_FIELDS: 'abc' })).rejects.toThrow(
        'PIPEDRIVE_FIELDS: write each field as key:name',
      )
      await expect(chain({ PIPEDRIVE_API_TOKEN: 't', PIPEDRIVE_BASE_URL: 'acme' })).rejects.toThrow('PIPEDRIVE_BASE_URL: must be a URL')
    })

    it('without a PIN field there is no PIN lookup; logging can be switched off', async () => {
      const { client, close } = await openPlugin({ ...apiTokenEnv(fake), PIPEDRIVE_PIN_FIELD: '', PIPEDRIVE_LOG_CALLS: 'false' })
      try {
        expect(client.findByPin).toBeUndefined()
        expect(client.logCall).toBeUndefined()
      } finally {
        await close()
      }
    })
  })

  describe('the whole service with Pipedrive', () => {
    it("a VIP found in Pipedrive rings the owner's extension, and the call is logged to Pipedrive", async () => {
      fake.reset()
      const server = await startTestServer({
        env: { CRM_PLUGINS: 'pipedrive', CALL_LOG_DELAY_SECONDS: '0', ...apiTokenEnv(fake) },
        plugins: [pipedrive()],
      })
      try {
        const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'pd-1' }))).json()
        expect(answer).toMatchObject({
          ACTION: 'DIAL',
          CALLER_NAME: 'Dana Levi',
          TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
          CUSTOM_DATA: { CRM_ID: '101', CRM_SOURCE: 'pipedrive', NAME: 'Dana Levi', OWNER: 'John Doe' },
        })
        await server.settle()
        expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 1, failed: 0 })
        expect(fake.callLogs).toHaveLength(1)
        expect(fake.callLogs[0]?.body).toMatchObject({
          outcome: 'connected',
          person_id: 101,
          user_id: 1042,
          from_phone_number: '+972501234567',
          note: expect.stringContaining('rule "VIP callers ring their account manager" → dialled extension 101'),
        })
      } finally {
        await server.close()
      }
    })
  })
})
