import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hubspot, SEARCH_LIMITS } from '../../plugins/hubspot.ts'
import { type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'
import { createPluginChain, PluginConfigError } from '../../src/crm/plugin-chain.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import frContact from '../fixtures/hubspot/contact-object-fr-phones.json' with { type: 'json' }
import ownerReference from '../fixtures/hubspot/owner-by-id-reference.json' with { type: 'json' }
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import { CALL_STATUSES, type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import { recordingLogger } from '../helpers/test-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

const openPlugin = async (fake: FakeHubSpot, env: Record<string, string> = {}) => {
  const directory = mkdtempSync(join(tmpdir(), 'hubspot-'))
  const database = openDatabase(join(directory, 'test.db'))
  await seedDemoData(database.db)
  const { log, entries } = recordingLogger()
  const [entry] = await createPluginChain({
    available: [hubspot()],
    enabled: ['hubspot'],
    env: {
      HUBSPOT_ACCESS_TOKEN: fake.token,
      HUBSPOT_BASE_URL: fake.url,
      HUBSPOT_PIN_PROPERTY: 'account_number',
      HUBSPOT_SEGMENT_PROPERTY: 'segment',
      ...env,
    },
    db: database.db,
    revisions: createRevisionReader(database.db, 0),
    log,
  })
  return {
    client: entry?.client as CrmClient,
    database,
    logs: entries,
    close: async () => {
      database.sqlite.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

const options = () => ({ signal: new AbortController().signal })

interface SearchBody {
  filterGroups: { filters: { propertyName: string; operator: string; value?: string; values?: string[] }[] }[]
}

/** The filter groups of every search the fake was sent, one line per filter. */
const searchesSent = (fake: FakeHubSpot) =>
  fake.requests
    .filter((request) => request.path === '/crm/v3/objects/contacts/search')
    .map((request) =>
      (request.body as SearchBody).filterGroups.map((group) =>
        group.filters.map((filter) => `${filter.propertyName} ${filter.operator} ${filter.value ?? filter.values?.join(',')}`),
      ),
    )

const withinSearchLimits = (groups: unknown[][]) =>
  groups.length <= SEARCH_LIMITS.filterGroups &&
  groups.every((filters) => filters.length <= SEARCH_LIMITS.filtersPerGroup) &&
  groups.flat().length <= SEARCH_LIMITS.filters

const rateLimitError = (promise: Promise<unknown> | undefined) => promise?.catch((caught: unknown) => caught) as Promise<RateLimitedError>

describe('hubspot', () => {
  let fake: FakeHubSpot
  beforeAll(async () => {
    fake = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
  })
  afterAll(() => fake.close())

  testCrmPluginContract({
    pluginId: 'hubspot',
    setup: () => openPlugin(fake),
    known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
    unknown: { phone: '+972539999999', pin: '999' },
  })

  describe('lookups against the HubSpot API', () => {
    let client: CrmClient
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ client, close } = await openPlugin(fake))
    })
    afterAll(() => close())
    beforeEach(() => fake.reset())

    it('finds a number typed in local format, with the owner from the owner map and no owners API call', async () => {
      expect(await client.findByPhone?.('+972501234567', options())).toEqual({
        id: '101',
        source: 'hubspot',
        name: 'Dana Levi',
        company: 'Acme Ltd',
        segment: 'VIP',
        tags: [],
        fields: { company: 'Acme Ltd', email: 'dana@acme.example' },
        updatedAt: '2026-10-01T10:00:00.000Z',
        owner: { id: '1042', name: 'John Doe', email: 'john@example.com', extension: '101', phone: '+972541000101', layer: '22' },
      })
      expect(fake.counts.owners).toBe(0)
    })

    it('searches every form HubSpot stores, with the bearer token, in one search request', async () => {
      await client.findByPhone?.('+972501234567', options())
      expect(fake.counts.search).toBe(1)
      expect(fake.requests[0]?.authorization).toBe(`Bearer ${fake.token}`)
      // The national-number copies HubSpot indexes, then each phone property as people type it.
      expect(searchesSent(fake)).toEqual([
        [
          ['hs_searchable_calculated_phone_number EQ 501234567'],
          ['hs_searchable_calculated_mobile_number EQ 501234567'],
          ['phone IN +972501234567,972501234567,0501234567,501234567'],
          ['mobilephone IN +972501234567,972501234567,0501234567,501234567'],
        ],
      ])
    })

    it('finds a mobile number, and asks the owners API (once) for an owner missing from the map', async () => {
      const first = await client.findByPhone?.('+972771112233', options())
      expect(first).toMatchObject({
        id: '102',
        name: 'Moshe Cohen',
        owner: { id: '1099', name: 'Rachel Green', email: 'rachel@example.com' },
      })
      expect(first?.owner?.extension).toBeUndefined()
      await client.findByPhone?.('+972541112233', options())
      expect(fake.counts.owners).toBe(1)
    })

    it('several matches: the most recently modified wins', async () => {
      expect(await client.findByPhone?.('+972531111111', options())).toMatchObject({ id: '104', name: 'New Switchboard' })
      fake.contacts.push({
        id: '106',
        properties: { firstname: 'Newest', lastname: 'Desk', phone: '053-111-1111' },
        updatedAt: '2026-11-20T00:00:00.000Z',
      })
      try {
        expect(await client.findByPhone?.('+972531111111', options())).toMatchObject({ id: '106', name: 'Newest Desk' })
      } finally {
        fake.contacts.pop()
      }
    })

    it('re-verifies matches: a foreign number with the same national digits is not the caller', async () => {
      const found = await client.findByPhone?.('+972501234567', options())
      expect(found?.id).toBe('101')
      expect(await client.findByPhone?.('+4915112345678', options())).toBeNull()
    })

    it('finds by PIN with the input cleaned', async () => {
      expect(await client.findByPin?.(' 1234 5678# ', options())).toMatchObject({ id: '101' })
      const body = fake.requests[0]?.body as { filterGroups: { filters: { propertyName: string; value: string }[] }[] }
      expect(body.filterGroups).toEqual([{ filters: [{ propertyName: 'account_number', operator: 'EQ', value: '12345678' }] }])
      expect(await client.findByPin?.('#*', options())).toBeNull()
      expect(fake.counts.search).toBe(1)
    })

    it('a failing owners API still returns the contact', async () => {
      const { client: fresh, logs: freshLogs, close: closeFresh } = await openPlugin(fake)
      try {
        fake.mode.owners = 'error500'
        const found = await fresh.findByPhone?.('+972771112233', options())
        expect(found).toMatchObject({ id: '102', owner: { id: '1099' } })
        expect(found?.owner?.name).toBeUndefined()
        expect(freshLogs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'HubSpot owner lookup failed' }))
      } finally {
        await closeFresh()
      }
    })

    it("search's 429 (no Retry-After, no rate-limit headers) pauses HubSpot for 1 s: its limit is per second", async () => {
      fake.mode.search = 'rateLimited'
      const error = await rateLimitError(client.findByPhone?.('+972501234567', options()))
      expect(error).toBeInstanceOf(RateLimitedError)
      expect(error.retryAfterMs).toBe(1000)
      expect(error.message).toBe('HubSpot contact search: rate limited (429)')
    })

    it('the 10-second rolling limit pauses for the window its headers name; the daily limit for 10 minutes', async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake HubSpot holds this contact')
      const entry = {
        provider: 'routee',
        callId: 'c-429',
        contact,
        direction: 'inbound' as const,
        from: '+1',
        to: '+2',
        at: new Date(),
        summary: '',
      }
      fake.mode.calls = 'rateLimited'
      expect((await rateLimitError(client.logCall?.(entry))).retryAfterMs).toBe(10_000)
      fake.mode.calls = 'dailyLimited'
      expect((await rateLimitError(client.logCall?.(entry))).retryAfterMs).toBe(600_000)
      fake.mode.search = 'dailyLimited'
      expect((await rateLimitError(client.findByPin?.('12345678', options()))).retryAfterMs).toBe(600_000)
      expect(fake.calls).toEqual([])
    })

    it('a 500 becomes an error that says what failed and never carries the token', async () => {
      fake.mode.search = 'error500'
      const error = (await client.findByPhone?.('+972501234567', options()).catch((caught: unknown) => caught)) as Error
      expect(error.message).toBe('HubSpot contact search: HTTP 500 INTERNAL_ERROR')
      expect(error.message).not.toContain(fake.token)
    })

    it("declares its timeout and HubSpot's search limit (5 a second for the account) to the lookup service", () => {
      expect(client.timeoutMs).toBe(1200)
      expect(client.rateLimit).toEqual({ perSecond: 5 })
    })

    it('logs a call as an engagement associated with the contact', async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake HubSpot holds this contact')
      await client.logCall?.({
        provider: 'voicenter',
        callId: 'c-1',
        contact,
        direction: 'inbound',
        from: '+972501234567',
        to: '+972722776772',
        at: new Date('2026-11-23T08:00:00Z'),
        summary: 'rule "VIP" → dialled extension 101',
      })
      expect(fake.calls).toHaveLength(1)
      expect(fake.calls[0]?.properties).toEqual({
        hs_timestamp: '2026-11-23T08:00:00.000Z',
        hs_call_title: 'Inbound call routed by the IVR',
        hs_call_direction: 'INBOUND',
        hs_call_status: 'COMPLETED',
        hs_call_from_number: '+972501234567',
        hs_call_to_number: '+972722776772',
        hs_call_body: 'rule "VIP" → dialled extension 101',
        hubspot_owner_id: '1042',
      })
      expect(fake.calls[0]?.associations).toEqual([
        { to: { id: '101' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] },
      ])
    })

    it("logs the call's final status as HubSpot's hs_call_status, whatever the provider called it", async () => {
      const contact = await client.findByPhone?.('+972501234567', options())
      if (!contact) throw new Error('the fake HubSpot holds this contact')
      const expected: [string | undefined, string][] = [
        [undefined, 'COMPLETED'],
        // Routee
        ['Completed', 'COMPLETED'],
        ['Busy', 'BUSY'],
        ['NoAnswer', 'NO_ANSWER'],
        ['Failed', 'FAILED'],
        ['Unsent', 'FAILED'],
        ['Terminated', 'COMPLETED'],
        // VoipNow
        ['ANSWERED', 'COMPLETED'],
        ['BUSY', 'BUSY'],
        ['NO ANSWER', 'NO_ANSWER'],
        ['NOANSWER', 'NO_ANSWER'],
        ['CANCEL', 'CANCELED'],
        ['CONGESTION', 'FAILED'],
        ['UNKNOWN', 'COMPLETED'],
        // Stringee, RingCentral
        ['ended', 'COMPLETED'],
        ['agentEnded', 'COMPLETED'],
        ['exit', 'COMPLETED'],
        // Twilio-style names
        ['no-answer', 'NO_ANSWER'],
        ['canceled', 'CANCELED'],
        ['cancelled', 'CANCELED'],
      ]
      for (const [status] of expected) {
        await client.logCall?.({
          provider: 'test',
          callId: `status-${status}`,
          contact,
          direction: 'inbound',
          from: '+972501234567',
          to: '+972722776772',
          at: new Date('2026-11-23T08:00:00Z'),
          summary: 'rule "VIP" → dialled extension 101',
          status,
          durationMs: 1500,
        })
      }
      // The fake refuses any value that is not one of HubSpot's options, as HubSpot does.
      expect(fake.calls.map((call) => [call.properties.hs_call_status, call.properties.hs_call_duration])).toEqual(
        expected.map(([, status]) => [status, '1500']),
      )
      expect(fake.calls.every((call) => CALL_STATUSES.includes(call.properties.hs_call_status ?? ''))).toBe(true)
    })

    it('finds the real French contact by phone and by mobile from E.164 callers, the US one typed domestically too', async () => {
      expect(await client.findByPhone?.('+33655555555', options())).toMatchObject({ id: '5751', name: 'one@test.com' })
      expect(await client.findByPhone?.('+33644444444', options())).toMatchObject({ id: '5751' })
      // Typed "513-227-1572" in a portal whose numbers default to Israel: HubSpot's own E.164 says it is US.
      expect(await client.findByPhone?.('+15132271572', options())).toMatchObject({ id: '10301', name: 'MIKE DEDDEN' })
      // WhatsApp and fax are not phone properties unless HUBSPOT_PHONE_PROPERTIES says so.
      expect(await client.findByPhone?.('+33633333333', options())).toBeNull()
      expect(await client.findByPhone?.('+33611111111', options())).toBeNull()
      expect(searchesSent(fake).every(withinSearchLimits)).toBe(true)
    })

    it("reads the owner HubSpot's owners API returns (its reference owner) when the map lacks it", async () => {
      fake.contacts.push({
        ...structuredClone(frContact.body),
        id: '5752',
        properties: { ...frContact.body.properties, phone: '+33655555556', hubspot_owner_id: ownerReference.body.id },
      })
      try {
        expect((await client.findByPhone?.('+33655555556', options()))?.owner).toEqual({
          id: '6166860',
          name: 'John Smith',
          email: 'jsmith@example.com',
        })
      } finally {
        fake.contacts.pop()
      }
    })
  })

  describe('many phone properties', () => {
    const PHONES = 'phone,mobilephone,hs_whatsapp_phone_number,fax,work_phone,other_phone,home_phone'
    let client: CrmClient
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ client, close } = await openPlugin(fake, { HUBSPOT_PHONE_PROPERTIES: PHONES }))
    })
    afterAll(() => close())
    beforeEach(() => fake.reset())

    it("never sends a search over HubSpot's filter limits: 9 filter groups become two searches of at most 5", async () => {
      expect(await client.findByPhone?.('+33611111111', options())).toMatchObject({ id: '5751' })
      const searches = searchesSent(fake)
      expect(searches.map((groups) => groups.length)).toEqual([5, 4])
      expect(searches.every(withinSearchLimits)).toBe(true)
      expect(
        searches
          .flat()
          .flat()
          .map((filter) => filter.split(' ')[0]),
      ).toEqual(['hs_searchable_calculated_phone_number', 'hs_searchable_calculated_mobile_number', ...PHONES.split(',')])
    })

    it('finds a caller by any of them (here the WhatsApp number of the real French contact)', async () => {
      expect(await client.findByPhone?.('+33633333333', options())).toMatchObject({ id: '5751' })
      expect(await client.findByPhone?.('+33655555555', options())).toMatchObject({ id: '5751' })
    })

    it('a lookup that takes two searches counts as two against the search limit', () => {
      expect(client.rateLimit).toEqual({ perSecond: 2.5 })
    })

    it('more than 8 phone properties (over two searches) is refused at start, naming the setting', async () => {
      await expect(openPlugin(fake, { HUBSPOT_PHONE_PROPERTIES: `${PHONES},a,b` })).rejects.toThrow(/HUBSPOT_PHONE_PROPERTIES: at most 8/)
    })
  })

  describe('configuration', () => {
    it('needs a token', async () => {
      const withoutToken = () =>
        createPluginChain({
          available: [hubspot()],
          enabled: ['hubspot'],
          env: {},
          db: {} as never,
          revisions: {} as never,
          log: recordingLogger().log,
        })
      await expect(withoutToken()).rejects.toThrow(PluginConfigError)
      await expect(withoutToken()).rejects.toThrow('HUBSPOT_ACCESS_TOKEN')
    })

    it('without a PIN property there is no PIN lookup; logging can be switched off', async () => {
      const { client, close } = await openPlugin(fake, { HUBSPOT_PIN_PROPERTY: '', HUBSPOT_LOG_CALLS: 'false' })
      try {
        expect(client.findByPin).toBeUndefined()
        expect(client.logCall).toBeUndefined()
      } finally {
        await close()
      }
    })
  })
})
