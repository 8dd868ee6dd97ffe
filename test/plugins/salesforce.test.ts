import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CONCURRENT_LIMIT_PAUSE_MS, callTask, DAILY_LIMIT_PAUSE_MS, salesforce } from '../../plugins/salesforce.ts'
import { escapeSosl, phoneSearch, selectWhereEquals } from '../../plugins/salesforce-query.ts'
import { type CallLogEntry, type Contact, type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'
import { createPluginChain, PluginConfigError } from '../../src/crm/plugin-chain.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import createReference from '../fixtures/salesforce/create-reference.json' with { type: 'json' }
import errorsReference from '../fixtures/salesforce/errors-reference.json' with { type: 'json' }
import queryReference from '../fixtures/salesforce/query-reference.json' with { type: 'json' }
import searchReference from '../fixtures/salesforce/search-reference.json' with { type: 'json' }
import tokenReference from '../fixtures/salesforce/token-reference.json' with { type: 'json' }
import { type FakeSalesforce, parseSoql, startFakeSalesforce } from '../helpers/fake-salesforce.ts'
import { recordingLogger, startTestServer, voicenterRequest } from '../helpers/test-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

const DANA = '003Dn00000Dana01AA'
const JOHN = '005Dn00000JDoe01AA'
const RACHEL = '005Dn00000RGrn01AA'

const clientCredentialsEnv = (fake: FakeSalesforce): Record<string, string> => ({
  SALESFORCE_LOGIN_URL: fake.url,
  SALESFORCE_CLIENT_ID: fake.clientId,
  SALESFORCE_CLIENT_SECRET: fake.clientSecret,
  SALESFORCE_PIN_FIELD: 'Account_Number__c',
  SALESFORCE_SEGMENT_FIELD: 'Customer_Tier__c',
  SALESFORCE_FIELDS: 'Balance__c,Email',
})

const jwtEnv = (fake: FakeSalesforce): Record<string, string> => ({
  SALESFORCE_LOGIN_URL: fake.url,
  SALESFORCE_CLIENT_ID: fake.clientId,
  // As it often sits in an env file: one line, with \n for the line breaks.
  SALESFORCE_PRIVATE_KEY: fake.privateKeyPem.replace(/\n/g, '\\n'),
  SALESFORCE_USERNAME: fake.username,
  SALESFORCE_AUDIENCE: fake.audience,
  SALESFORCE_SEGMENT_FIELD: 'Customer_Tier__c',
})

const openPlugin = async (env: Record<string, string>) => {
  const directory = mkdtempSync(join(tmpdir(), 'salesforce-'))
  const database = openDatabase(join(directory, 'test.db'))
  await seedDemoData(database.db)
  const { log, entries } = recordingLogger()
  try {
    const [entry] = await createPluginChain({
      available: [salesforce()],
      enabled: ['salesforce'],
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
  } catch (error) {
    database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
    throw error
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

const callOf = (contact: Contact, extra: Partial<CallLogEntry> = {}): CallLogEntry => ({
  provider: 'voicenter',
  callId: 'c-1',
  contact,
  direction: 'inbound',
  from: '+972501234567',
  to: '+972722776772',
  at: new Date('2026-11-23T08:00:00Z'),
  summary: 'rule "VIP" → dialled extension 101',
  durationMs: 42_400,
  ...extra,
})

/** The q= of every request to a resource, decoded. */
const statementsSent = (fake: FakeSalesforce, resource: 'search' | 'query') =>
  fake.requests
    .filter((request) => request.path.endsWith(`/${resource}/`) || request.path.endsWith(`/${resource}`))
    .map((request) => request.query.q)

describe('salesforce', () => {
  let fake: FakeSalesforce
  beforeAll(async () => {
    fake = await startFakeSalesforce()
  })
  afterAll(() => fake.close())

  testCrmPluginContract({
    pluginId: 'salesforce',
    setup: () => openPlugin(clientCredentialsEnv(fake)),
    known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
    unknown: { phone: '+972539999999', pin: '999' },
    fake: {
      rateLimitNext: (count, seconds) => fake.rateLimitNext(count, seconds),
      failNext: (count, status) => fake.failNext(count, status),
      dropNext: (count) => fake.dropNext(count),
      delayNext: (count, ms) => fake.delayNext(count, ms),
      requestCount: () => fake.requestCount(),
      loggedCalls: () => fake.tasks,
    },
  })

  describe("the fake answers in the shapes of Salesforce's reference", () => {
    const api = (path: string, token: string) =>
      fetch(`${fake.url}/services/data/v62.0${path}`, { headers: { authorization: `Bearer ${token}` } })
    const login = async () => {
      const response = await fetch(`${fake.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret }),
      })
      return (await response.json()) as Record<string, string>
    }

    it("token, search, query and create answers have the reference answers' keys", async () => {
      const token = await login()
      expect(Object.keys(token).sort()).toEqual(Object.keys(tokenReference.body).sort())
      const search = await (
        await api(
          `/search/?q=${encodeURIComponent('FIND {0501234567} IN PHONE FIELDS RETURNING Contact(Id)')}`,
          token.access_token as string,
        )
      ).json()
      expect(Object.keys(search)).toEqual(Object.keys(searchReference.body))
      expect(search.searchRecords[0]).toEqual({
        attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${DANA}` },
        Id: DANA,
      })
      expect(Object.keys(search.searchRecords[0]).sort()).toEqual(Object.keys(searchReference.body.searchRecords[0] ?? {}).sort())
      const query = await (await api(`/query?q=${encodeURIComponent('SELECT Name FROM Account')}`, token.access_token as string)).json()
      expect(Object.keys(query).sort()).toEqual(Object.keys(queryReference.body).sort())
      expect(Object.keys(query.records[0]).sort()).toEqual(Object.keys(queryReference.body.records[0] ?? {}).sort())
    })

    it('pages a query with nextRecordsUrl, as Salesforce batches big answers', async () => {
      const token = (await login()).access_token as string
      fake.pageSize = 1
      try {
        const first = await (await api(`/query?q=${encodeURIComponent('SELECT Name FROM Account')}`, token)).json()
        expect(first).toMatchObject({
          totalSize: 2,
          done: false,
          nextRecordsUrl: expect.stringMatching(/^\/services\/data\/v62\.0\/query\/01g\w+-1$/),
        })
        expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/[0-9A-Za-z]+-\d+$/)
        expect(queryReference.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/[0-9A-Za-z]+-\d+$/)
        const second = await (await fetch(`${fake.url}${first.nextRecordsUrl}`, { headers: { authorization: `Bearer ${token}` } })).json()
        expect(second).toMatchObject({ totalSize: 2, done: true, records: [{ Name: 'Cohen Bakery' }] })
      } finally {
        fake.pageSize = 2000
      }
    })

    it("errors are arrays of {message, errorCode}, as the reference's; create answers {id, success, errors}", async () => {
      const revoked = await api('/query?q=SELECT+Id+FROM+Contact', 'not-a-token')
      expect(revoked.status).toBe(errorsReference.sessionExpired.status)
      expect(await revoked.json()).toEqual(errorsReference.sessionExpired.body)
      const token = (await login()).access_token as string
      const badField = await api(`/query?q=${encodeURIComponent('SELECT Id, Segment__c FROM Contact')}`, token)
      expect(badField.status).toBe(400)
      const [error] = (await badField.json()) as { errorCode: string; message: string }[]
      expect(Object.keys(error ?? {}).sort()).toEqual(Object.keys(errorsReference.invalidField.body[0] ?? {}).sort())
      expect(error?.message).toContain("No such column 'Segment__c' on entity 'Contact'")
      const created = await fetch(`${fake.url}/services/data/v62.0/sobjects/Task`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Subject: 'Call', Status: 'Completed' }),
      })
      expect(created.status).toBe(createReference.status)
      const body = await created.json()
      expect(Object.keys(body).sort()).toEqual(Object.keys(createReference.body).sort())
      fake.tasks.length = 0
    })

    it('refuses SOSL with an unescaped reserved character (MALFORMED_SEARCH), and SOQL that is not a plain equality (MALFORMED_QUERY)', async () => {
      const token = (await login()).access_token as string
      const unescaped = await api(`/search/?q=${encodeURIComponent('FIND {+972501234567} IN PHONE FIELDS RETURNING Contact(Id)')}`, token)
      expect(unescaped.status).toBe(400)
      expect(await unescaped.json()).toEqual([expect.objectContaining({ errorCode: 'MALFORMED_SEARCH' })])
      const injected = await api(
        `/query?q=${encodeURIComponent("SELECT Id FROM Contact WHERE Account_Number__c = '1' OR Name != '' LIMIT 2")}`,
        token,
      )
      expect(injected.status).toBe(400)
      expect(await injected.json()).toEqual([expect.objectContaining({ errorCode: 'MALFORMED_QUERY' })])
    })
  })

  describe('lookups (client credentials)', () => {
    let client: CrmClient
    let logs: { level: string; message: string }[]
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ client, logs, close } = await openPlugin(clientCredentialsEnv(fake)))
    })
    afterAll(() => close())
    beforeEach(() => fake.reset())

    it('finds a contact typed in local format, with the owner map filling in the owner (by e-mail)', async () => {
      expect(await client.findByPhone?.('+972501234567', options())).toEqual({
        id: DANA,
        source: 'salesforce',
        name: 'Dana Levi',
        company: 'Acme Ltd',
        segment: 'VIP',
        tags: [],
        fields: { Balance__c: '1250.5', Email: 'dana@acme.example' },
        updatedAt: '2026-10-01T10:00:00.000Z',
        owner: { id: JOHN, name: 'John Doe', email: 'john@example.com', extension: '101', phone: '+972541000101', layer: '22' },
      })
    })

    it('logs in with client credentials once, and searches both forms of the number in one escaped SOSL request', async () => {
      const { client: fresh, close: closeFresh } = await openPlugin(clientCredentialsEnv(fake))
      try {
        await fresh.findByPhone?.('+972501234567', options())
        await fresh.findByPhone?.('+972541112233', options())
        expect(fake.grants).toEqual(['client_credentials'])
        const [token, search] = fake.requests
        expect(token?.body).toEqual({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret })
        expect(search?.path).toBe('/services/data/v62.0/search/')
        expect(search?.authorization).toMatch(/^Bearer 00DDn0000000ORG!/)
        expect(search?.query.q).toBe(
          'FIND {\\+972501234567 OR 0501234567} IN PHONE FIELDS RETURNING Contact(Id, Name, Account.Name, LastModifiedDate, OwnerId, ' +
            'Owner.Name, Owner.Email, Owner.Phone, Owner.Extension, Phone, MobilePhone, HomePhone, OtherPhone, AssistantPhone, ' +
            'Balance__c, Email, Customer_Tier__c) LIMIT 20',
        )
      } finally {
        await closeFresh()
      }
    })

    it("takes the owner's name, e-mail, phone and extension from the User when the owner map lacks them", async () => {
      expect((await client.findByPhone?.('+972541112233', options()))?.owner).toEqual({
        id: RACHEL,
        name: 'Rachel Green',
        email: 'rachel@example.com',
        extension: '205',
        phone: '+972541000205',
      })
    })

    it('escapes SOSL reserved characters, so a number typed with punctuation is found and nothing reaches the query unescaped', async () => {
      expect(escapeSosl('+1 (212) 555-0142')).toBe('\\+1 \\(212\\) 555\\-0142')
      expect(escapeSosl('?&|!{}[]()^~*:\\"\'+-')).toBe('\\?\\&\\|\\!\\{\\}\\[\\]\\(\\)\\^\\~\\*\\:\\\\\\"\\\'\\+\\-')
      expect(phoneSearch(['} IN ALL FIELDS RETURNING User(Id'], [{ object: 'Contact', fields: ['Id'] }], 5)).toBe(
        'FIND {\\} IN ALL FIELDS RETURNING User\\(Id} IN PHONE FIELDS RETURNING Contact(Id) LIMIT 5',
      )
      // Stored as "+1 (212) 555-0142"; the caller's +1 needs its plus escaped, or the fake (as Salesforce) refuses the search.
      expect(await client.findByPhone?.('+12125550142', options())).toMatchObject({ id: '003Dn00000Twin01AA', name: 'Twin One' })
      expect(statementsSent(fake, 'search')[0]).toMatch(/^FIND \{\\\+12125550142 OR 2125550142\} IN PHONE FIELDS/)
    })

    it('re-reads every number: a foreign caller is found by their own number only', async () => {
      expect(await client.findByPhone?.('+4915112345678', options())).toMatchObject({ name: 'Jonas Becker' })
      // The lead has this number, but leads are not searched unless SALESFORCE_OBJECTS says so.
      expect(await client.findByPhone?.('+972529998877', options())).toBeNull()
    })

    it('finds by PIN with a SOQL equality on the PIN field, the input cleaned of # and spaces', async () => {
      expect(await client.findByPin?.(' 1234 5678# ', options())).toMatchObject({ id: DANA, segment: 'VIP' })
      const [statement] = statementsSent(fake, 'query')
      expect(statement).toMatch(/^SELECT Id, Name, Account\.Name, .* FROM Contact WHERE Account_Number__c = '12345678' LIMIT 2$/)
    })

    it('refuses a PIN that is not letters and digits (a SOQL injection attempt) without sending anything', async () => {
      for (const attempt of ["1' OR Name != '", "12345678' LIMIT 1 --", '1\\', 'ab%']) {
        expect(await client.findByPin?.(attempt, options())).toBeNull()
      }
      expect(fake.requests).toEqual([])
      expect(logs.filter((entry) => entry.message.startsWith('Salesforce PIN lookup refused'))).toHaveLength(4)
    })

    it('escapes a SOQL string literal, and the escaped text means the value itself', () => {
      const statement = selectWhereEquals('Contact', ['Id'], 'Account_Number__c', "1' OR Name != '\\", 2)
      expect(statement).toBe("SELECT Id FROM Contact WHERE Account_Number__c = '1\\' OR Name != \\'\\\\' LIMIT 2")
      expect(parseSoql(statement).where).toEqual({ field: 'Account_Number__c', value: "1' OR Name != '\\" })
      expect(() => selectWhereEquals('Contact', ['Id'], 'X__c = 1 OR Y__c', '1', 2)).toThrow(/not an API name/)
    })

    it('two records with one PIN: ambiguous, nobody is picked (also when the second comes on the next page)', async () => {
      expect(await client.findByPin?.('55555555', options())).toBeNull()
      fake.pageSize = 1
      try {
        expect(await client.findByPin?.('55555555', options())).toBeNull()
        // totalSize says there are two: the next batch need not be read.
        expect(fake.requests.at(-1)?.path).toBe('/services/data/v62.0/query')
        // One match on one page is the caller.
        expect(await client.findByPin?.('87654321', options())).toMatchObject({ name: 'Moshe Cohen' })
      } finally {
        fake.pageSize = 2000
      }
      expect(logs.filter((entry) => entry.message === 'several Salesforce records share this PIN; none is used')).toHaveLength(2)
    })

    it('logs a completed inbound call Task on the contact, for its owner', async () => {
      const contact = (await client.findByPhone?.('+972501234567', options())) as Contact
      await client.logCall?.(callOf(contact))
      await client.logCall?.(callOf(contact, { callId: 'c-2', status: 'NoAnswer', durationMs: undefined, direction: 'outbound' }))
      expect(fake.tasks.map((task) => task.fields)).toEqual([
        {
          Subject: 'Inbound call routed by the IVR',
          Status: 'Completed',
          TaskSubtype: 'Call',
          CallType: 'Inbound',
          CallDisposition: 'Completed',
          CallObject: 'voicenter:c-1',
          CallDurationInSeconds: 42,
          Description: 'rule "VIP" → dialled extension 101\nFrom +972501234567 to +972722776772',
          ActivityDate: '2026-11-23',
          WhoId: DANA,
          OwnerId: JOHN,
        },
        expect.objectContaining({ CallType: 'Outbound', CallDisposition: 'No answer', CallObject: 'voicenter:c-2', WhoId: DANA }),
      ])
      expect(fake.tasks[1]?.fields).not.toHaveProperty('CallDurationInSeconds')
    })

    it('a failed login says why and never shows the secret', async () => {
      const { client: wrong, close: closeWrong } = await openPlugin({
        ...clientCredentialsEnv(fake),
        SALESFORCE_CLIENT_SECRET: 'wrong-secret-value',
      })
      try {
        const error = await failure(wrong.findByPhone?.('+972501234567', options()))
        expect(error.message).toBe('Salesforce login (client-credentials) failed (invalid_client: invalid client credentials)')
        expect(error.message).not.toContain('wrong-secret-value')
      } finally {
        await closeWrong()
      }
    })

    it('a field the org does not have is a clear error, without the caller’s number', async () => {
      const { client: misconfigured, close: closeMisconfigured } = await openPlugin({
        ...clientCredentialsEnv(fake),
        SALESFORCE_FIELDS: 'Segment__c',
      })
      try {
        const error = await failure(misconfigured.findByPhone?.('+972501234567', options()))
        expect(error.message).toMatch(
          /^Salesforce phone search: HTTP 400 INVALID_FIELD: .*No such column 'Segment__c' on entity 'Contact'/s,
        )
        expect(error.message).not.toContain('972501234567')
        expect(error).not.toBeInstanceOf(RateLimitedError)
      } finally {
        await closeMisconfigured()
      }
    })

    it("REQUEST_LIMIT_EXCEEDED is a RateLimitedError: minutes for the org's daily allocation, seconds for the concurrent limit", async () => {
      fake.rateLimitNext(1)
      const daily = await failure(client.findByPhone?.('+972501234567', options()))
      expect(daily).toBeInstanceOf(RateLimitedError)
      expect((daily as RateLimitedError).retryAfterMs).toBe(DAILY_LIMIT_PAUSE_MS)
      expect(daily.message).toBe('Salesforce phone search: API request limit exceeded (REQUEST_LIMIT_EXCEEDED)')
      fake.concurrentLimitNext(1)
      const concurrent = await failure(client.findByPin?.('12345678', options()))
      expect((concurrent as RateLimitedError).retryAfterMs).toBe(CONCURRENT_LIMIT_PAUSE_MS)
      const contact = (await client.findByPhone?.('+972501234567', options())) as Contact
      fake.rateLimitNext(1)
      expect(await failure(client.logCall?.(callOf(contact)))).toBeInstanceOf(RateLimitedError)
      expect(fake.tasks).toEqual([])
    })

    it("a 5xx is an Error with Salesforce's error code", async () => {
      fake.failNext(1, 503)
      const error = await failure(client.findByPhone?.('+972501234567', options()))
      expect(error.message).toBe('Salesforce phone search: HTTP 503 SERVER_UNAVAILABLE: Server temporarily unavailable')
      expect(error).not.toBeInstanceOf(RateLimitedError)
    })

    it('a slow answer is abandoned when the lookup signal fires', async () => {
      fake.delayNext(1, 3_000)
      const error = await failure(client.findByPhone?.('+972501234567', { signal: AbortSignal.timeout(50) }))
      expect(error.name).toBe('TimeoutError')
    })

    it('declares its timeout and a conservative rate limit to the lookup service', () => {
      expect(client.timeoutMs).toBe(1500)
      expect(client.rateLimit).toEqual({ perSecond: 3 })
    })
  })

  describe('session refresh', () => {
    beforeEach(() => fake.reset())

    it('on 401 INVALID_SESSION_ID it logs in again once, and the request then succeeds', async () => {
      const { client, close } = await openPlugin(clientCredentialsEnv(fake))
      try {
        await client.findByPhone?.('+972501234567', options())
        fake.revokeTokens()
        fake.reset()
        expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: DANA })
        expect(fake.requests.map((request) => request.path)).toEqual([
          '/services/data/v62.0/search/',
          '/services/oauth2/token',
          '/services/data/v62.0/search/',
        ])
        // Concurrent lookups that all meet the expired session share one new login.
        fake.revokeTokens()
        fake.reset()
        const found = await Promise.all(
          ['+972501234567', '+972541112233', '+12125550142'].map((phone) => client.findByPhone?.(phone, options())),
        )
        expect(found.map((contact) => contact?.name)).toEqual(['Dana Levi', 'Moshe Cohen', 'Twin One'])
        expect(fake.grants).toEqual(['client_credentials'])
      } finally {
        await close()
      }
    })

    it('gives up after one new login when the new session is refused too', async () => {
      const { client, close } = await openPlugin(clientCredentialsEnv(fake))
      try {
        await client.findByPhone?.('+972501234567', options())
        fake.revokeTokens()
        fake.issueRevokedTokens = true
        fake.reset()
        const error = await failure(client.findByPhone?.('+972501234567', options()))
        expect(error.message).toBe('Salesforce phone search: HTTP 401 INVALID_SESSION_ID: Session expired or invalid')
        expect(fake.grants).toHaveLength(1)
      } finally {
        fake.issueRevokedTokens = false
        await close()
      }
    })
  })

  describe('JWT bearer flow', () => {
    beforeEach(() => fake.reset())

    it('logs in with an RS256 JWT signed by the private key (iss, sub, aud, exp as Salesforce requires)', async () => {
      const { client, close } = await openPlugin(jwtEnv(fake))
      try {
        expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: DANA, segment: 'VIP' })
        expect(fake.grants).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer'])
        const form = fake.requests[0]?.body as { grant_type: string; assertion: string }
        const [header, claims] = form.assertion
          .split('.')
          .slice(0, 2)
          .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()))
        expect(header).toEqual({ alg: 'RS256' })
        expect(claims).toEqual({ iss: fake.clientId, sub: fake.username, aud: fake.audience, exp: expect.any(Number) })
        const secondsLeft = claims.exp - Date.now() / 1000
        expect(secondsLeft).toBeGreaterThan(60)
        expect(secondsLeft).toBeLessThanOrEqual(180)
      } finally {
        await close()
      }
    })

    it('a key the app does not know, or a user that is not the integration user, is refused by the fake', async () => {
      const other = await startFakeSalesforce()
      try {
        const { client, close } = await openPlugin({ ...jwtEnv(fake), SALESFORCE_PRIVATE_KEY: other.privateKeyPem })
        const { client: stranger, close: closeStranger } = await openPlugin({
          ...jwtEnv(fake),
          SALESFORCE_USERNAME: 'someone@else.example',
        })
        try {
          expect((await failure(client.findByPhone?.('+972501234567', options()))).message).toBe(
            'Salesforce login (jwt-bearer) failed (invalid_grant: invalid assertion)',
          )
          expect((await failure(stranger.findByPhone?.('+972501234567', options()))).message).toBe(
            "Salesforce login (jwt-bearer) failed (invalid_grant: user hasn't approved this consumer)",
          )
          expect(fake.grants).toEqual([])
        } finally {
          await close()
          await closeStranger()
        }
      } finally {
        await other.close()
      }
    })
  })

  describe('leads and accounts', () => {
    let client: CrmClient
    let close: () => Promise<void>
    beforeAll(async () => {
      ;({ client, close } = await openPlugin({
        ...clientCredentialsEnv(fake),
        SALESFORCE_OBJECTS: 'Contact,Lead,Account',
        SALESFORCE_SEGMENT_FIELD: 'Customer_Tier__c,Lead:Rating,Account:Type',
        SALESFORCE_FIELDS: 'Contact:Email,Lead:Status',
      }))
    })
    afterAll(() => close())
    beforeEach(() => fake.reset())

    it('finds a lead, with its company, its rating as segment, and its owner', async () => {
      expect(await client.findByPhone?.('+972529998877', options())).toEqual({
        id: '00QDn00000Yosi01AA',
        source: 'salesforce',
        name: 'Yossi Katz',
        company: 'Startup Ltd',
        segment: 'Hot',
        tags: [],
        fields: { Status: 'Open - Not Contacted' },
        updatedAt: '2026-11-01T12:00:00.000Z',
        owner: { id: RACHEL, name: 'Rachel Green', email: 'rachel@example.com', phone: '+972541000205' },
      })
      // The lead's owner is polymorphic (a User or a queue): no Owner.Extension is asked of it.
      expect(statementsSent(fake, 'search')[0]).toContain(
        'Lead(Id, Name, Company, LastModifiedDate, OwnerId, Owner.Name, Owner.Email, Owner.Phone, Phone, MobilePhone, Status, Rating)',
      )
    })

    it('finds an account by its phone; a call on it is a Task related to the account', async () => {
      const account = (await client.findByPhone?.('+97235551234', options())) as Contact
      expect(account).toMatchObject({ id: '001Dn00000Acme01AA', name: 'Acme Ltd', company: 'Acme Ltd', segment: 'Customer - Direct' })
      await client.logCall?.(callOf(account))
      expect(fake.tasks[0]?.fields).toMatchObject({ WhatId: '001Dn00000Acme01AA', OwnerId: JOHN })
      expect(fake.tasks[0]?.fields).not.toHaveProperty('WhoId')
    })

    it('a lead owned by a queue: the Task goes to the API user (a queue cannot own one)', async () => {
      const lead = (await client.findByPhone?.('+97237778899', options())) as Contact
      expect(lead.owner).toEqual({ id: '00GDn00000LdQu01AA', name: 'Inbound Leads Queue' })
      expect(callTask(callOf(lead))).not.toHaveProperty('OwnerId')
      await client.logCall?.(callOf(lead))
      expect(fake.tasks[0]?.fields).toMatchObject({ WhoId: '00QDn00000NoaS01AA' })
    })

    it('a contact is preferred to a lead with the same number', async () => {
      fake.records.Lead.push({ ...(fake.records.Lead[0] as { Id: string }), Id: '00QDn00000Dupl01AA', Phone: '+972-50-123-4567' })
      try {
        expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: DANA })
      } finally {
        fake.records.Lead.pop()
      }
    })
  })

  describe('configuration', () => {
    const chain = (env: Record<string, string>) =>
      createPluginChain({
        available: [salesforce()],
        enabled: ['salesforce'],
        env,
        db: {} as never,
        revisions: {} as never,
        log: recordingLogger().log,
      })

    it('names the setting that is wrong', async () => {
      await expect(chain({})).rejects.toThrow(PluginConfigError)
      await expect(chain({})).rejects.toThrow('SALESFORCE_CLIENT_ID')
      const base = { SALESFORCE_CLIENT_ID: 'id' }
      await expect(chain(base)).rejects.toThrow(/SALESFORCE_CLIENT_SECRET .* or SALESFORCE_PRIVATE_KEY/)
      await expect(chain({ ...base, SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_OBJECTS: 'Contact,Opportunity' })).rejects.toThrow(
        'SALESFORCE_OBJECTS: use Contact, Lead, Account',
      )
      await expect(chain({ ...base, SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_PIN_FIELD: "X__c = '1' OR Id" })).rejects.toThrow(
        'SALESFORCE_PIN_FIELD',
      )
      await expect(chain({ ...base, SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_FIELDS: 'Email, Name)' })).rejects.toThrow(
        'SALESFORCE_FIELDS',
      )
      await expect(chain({ ...base, SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_API_VERSION: 'latest' })).rejects.toThrow(
        'SALESFORCE_API_VERSION',
      )
      await expect(chain({ ...base, SALESFORCE_PRIVATE_KEY: 'k' })).rejects.toThrow('needs SALESFORCE_USERNAME')
      await expect(chain({ ...base, SALESFORCE_PRIVATE_KEY: 'not a key', SALESFORCE_USERNAME: 'u' })).rejects.toThrow(
        /^SALESFORCE_PRIVATE_KEY must be a PEM private key/,
      )
      await expect(
        chain({
          ...base,
          SALESFORCE_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----',
          SALESFORCE_USERNAME: 'u',
        }),
      ).rejects.toThrow(/openssl pkcs8 -topk8/)
    })

    it('without a PIN field there is no PIN lookup; logging can be switched off', async () => {
      const { client, close } = await openPlugin({ ...clientCredentialsEnv(fake), SALESFORCE_PIN_FIELD: '', SALESFORCE_LOG_CALLS: 'false' })
      try {
        expect(client.findByPin).toBeUndefined()
        expect(client.logCall).toBeUndefined()
      } finally {
        await close()
      }
    })

    it('uses the configured API version', async () => {
      const { client, close } = await openPlugin({ ...clientCredentialsEnv(fake), SALESFORCE_API_VERSION: '61.0' })
      try {
        fake.reset()
        const error = await failure(client.findByPhone?.('+972501234567', options()))
        expect(fake.requests.at(-1)?.path).toBe('/services/data/v61.0/search/')
        expect(error.message).toBe('Salesforce phone search: HTTP 404 NOT_FOUND: The requested resource does not exist')
      } finally {
        await close()
      }
    })
  })

  describe('end to end', () => {
    beforeEach(() => fake.reset())

    it("routes a VIP caller found in Salesforce to the owner's extension, and logs the call there as a Task", async () => {
      const server = await startTestServer({
        env: { CRM_PLUGINS: 'salesforce', CALL_LOG_DELAY_SECONDS: '0', ...clientCredentialsEnv(fake) },
        plugins: [salesforce()],
      })
      try {
        const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'sf-1' }))).json()
        expect(answer).toMatchObject({
          ACTION: 'DIAL',
          CALLER_NAME: 'Dana Levi',
          TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
          CUSTOM_DATA: { CRM_ID: DANA, CRM_SOURCE: 'salesforce', NAME: 'Dana Levi', OWNER: 'John Doe' },
        })
        await server.settle()
        expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 1, failed: 0 })
        expect(fake.tasks).toHaveLength(1)
        expect(fake.tasks[0]?.fields).toMatchObject({
          Status: 'Completed',
          TaskSubtype: 'Call',
          CallType: 'Inbound',
          WhoId: DANA,
          OwnerId: JOHN,
          CallObject: 'voicenter:sf-1',
          Description: expect.stringContaining('VIP callers ring their account manager'),
        })
      } finally {
        await server.close()
      }
    })
  })
})
