import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'

/** The whole service with HubSpot first in the chain, the real client talking to a fake HubSpot on loopback. */
const withHubSpot = (fake: FakeHubSpot, env: Record<string, string> = {}) =>
  startTestServer({
    env: {
      CRM_PLUGINS: 'hubspot,local-directory',
      HUBSPOT_ACCESS_TOKEN: fake.token,
      HUBSPOT_BASE_URL: fake.url,
      HUBSPOT_SEGMENT_PROPERTY: 'segment',
      HUBSPOT_PIN_PROPERTY: 'account_number',
      CALL_LOG_DELAY_SECONDS: '0',
      ...env,
    },
  })

const lookupsOf = async (server: TestServer, callId: string) => {
  await server.settle()
  const row = server.openSideConnection().prepare('SELECT lookups, lookup_outcome FROM decisions WHERE call_id = ?').get(callId) as {
    lookups: string
    lookup_outcome: string
  }
  return {
    outcome: row.lookup_outcome,
    lookups: JSON.parse(row.lookups) as { cache?: string; plugins: { plugin: string; outcome: string; reason?: string }[] }[],
  }
}

describe('routing with HubSpot', () => {
  let fake: FakeHubSpot
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
  })
  afterAll(() => fake.close())
  afterEach(async () => {
    await server?.close()
    fake.reset()
  })

  it('a VIP found in HubSpot rings the owner from the owner map, with HubSpot data in the screen pop', async () => {
    server = await withHubSpot(fake)
    const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'hs-1' }))).json()
    expect(answer).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Dana Levi',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { CRM_ID: '101', CRM_SOURCE: 'hubspot', NAME: 'Dana Levi', OWNER: 'John Doe', email: 'dana@acme.example' },
    })
    expect((await lookupsOf(server, 'hs-1')).lookups[0]?.plugins).toMatchObject([{ plugin: 'hubspot', outcome: 'found' }])
  })

  it('N concurrent calls from one number make one HubSpot search; later calls are served from the cache', async () => {
    server = await withHubSpot(fake)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        server
          .post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: `burst-${index}` }))
          .then((response) => response.json() as Promise<{ ACTION: string }>),
      ),
    )
    expect(answers.every((answer) => answer.ACTION === 'DIAL')).toBe(true)
    expect(fake.counts.search).toBe(1)
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'cached-1' }))
    expect(fake.counts.search).toBe(1)
    expect((await lookupsOf(server, 'cached-1')).lookups[0]?.cache).toBe('fresh')
  })

  it('a hung HubSpot: the deadline holds and the local directory still answers inside it', async () => {
    server = await withHubSpot(fake, { VOICENTER_LOOKUP_DEADLINE_MS: '400', HUBSPOT_TIMEOUT_MS: '250' })
    fake.mode.search = 'hang'
    const started = performance.now()
    const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'hang-1' }))).json()
    expect(performance.now() - started).toBeLessThan(400 + 300)
    expect(answer).toMatchObject({ ACTION: 'DIAL', CUSTOM_DATA: { CRM_SOURCE: 'local-directory' } })
    expect((await lookupsOf(server, 'hang-1')).lookups[0]?.plugins).toMatchObject([
      { plugin: 'hubspot', outcome: 'error', reason: 'no answer within 250 ms' },
      { plugin: 'local-directory', outcome: 'found' },
    ])
  })

  it('HubSpot alone and hung: the caller is routed on "error" within the deadline', async () => {
    server = await withHubSpot(fake, { CRM_PLUGINS: 'hubspot', VOICENTER_LOOKUP_DEADLINE_MS: '300' })
    fake.mode.search = 'hang'
    const started = performance.now()
    const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'hang-2' }))).json()
    expect(performance.now() - started).toBeLessThan(300 + 300)
    expect(answer).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })
    expect((await lookupsOf(server, 'hang-2')).outcome).toBe('error')
  })

  it("search's 429 (no Retry-After, no headers): HubSpot is left alone for a second and the stale contact is served meanwhile", async () => {
    server = await withHubSpot(fake, { LOOKUP_CACHE_TTL_SECONDS: '0', CRM_PLUGINS: 'hubspot' })
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'prime' }))
    expect(fake.counts.search).toBe(1)
    fake.mode.search = 'rateLimited'
    const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'stale-1' }))).json()
    expect(answer).toMatchObject({ ACTION: 'DIAL', CALLER_NAME: 'Dana Levi' })
    expect((await lookupsOf(server, 'stale-1')).lookups[0]?.cache).toBe('stale')
    await server.settle()
    const searchesAfter429 = fake.counts.search
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'stale-2' }))
    await server.settle()
    expect(fake.counts.search).toBe(searchesAfter429)
    expect(
      await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'stale-3' }))).json(),
    ).toMatchObject({
      CALLER_NAME: 'Dana Levi',
    })
  })

  it('a caller unknown to HubSpot is found by the next call once created there: an expired "not found" is not served stale', async () => {
    server = await withHubSpot(fake, { CRM_PLUGINS: 'hubspot', LOOKUP_CACHE_MISS_TTL_SECONDS: '0' })
    const call = async (id: string) =>
      (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0529876543', IVR_UNIQUE_ID: id }))).json()
    await call('new-1')
    expect((await lookupsOf(server, 'new-1')).outcome).toBe('not_found')

    fake.contacts.push({
      id: '201',
      properties: { firstname: 'New', lastname: 'Customer', phone: '+972529876543', segment: 'VIP', hubspot_owner_id: '1042' },
    })
    try {
      expect(await call('new-2')).toMatchObject({
        ACTION: 'DIAL',
        CALLER_NAME: 'New Customer',
        TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      })
      const { outcome, lookups } = await lookupsOf(server, 'new-2')
      expect(outcome).toBe('found')
      expect(lookups[0]?.cache).toBeUndefined()
      expect(lookups[0]?.plugins).toMatchObject([{ plugin: 'hubspot', outcome: 'found' }])
    } finally {
      fake.contacts.pop()
    }
  })

  it('500s: the answer falls back, the circuit opens after repeated failures and HubSpot is no longer asked', async () => {
    server = await withHubSpot(fake, { CRM_PLUGINS: 'hubspot', LOOKUP_BREAKER_FAILURES: '3', LOOKUP_CACHE_ERROR_TTL_SECONDS: '0' })
    fake.mode.search = 'error500'
    for (let index = 0; index < 5; index++) {
      const answer = await (
        await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: `err-${index}` }))
      ).json()
      expect(answer).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })
    }
    expect(fake.counts.search).toBe(3)
    expect((await lookupsOf(server, 'err-4')).lookups[0]?.plugins).toMatchObject([
      { plugin: 'hubspot', outcome: 'skipped', reason: 'circuit open after repeated failures' },
    ])
  })

  it('logs the call to HubSpot after the answer; one engagement per call; kept and retried while HubSpot is down', async () => {
    server = await withHubSpot(fake)
    fake.mode.calls = 'error500'
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '5', DTMF: '12345678', IVR_UNIQUE_ID: 'log-1' }))
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'log-1' }))
    await server.settle()
    expect(fake.calls).toHaveLength(0)
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 0, failed: 1 })
    const side = server.openSideConnection()
    const row = side.prepare('SELECT attempts, last_error, delivered_at, payload FROM outbox').get() as Record<string, string | number>
    expect(row).toMatchObject({ attempts: 1, last_error: 'HubSpot call logging: HTTP 500 INTERNAL_ERROR', delivered_at: null })
    expect(JSON.parse(String(row.payload)).summary.split('\n')).toHaveLength(2)

    fake.mode.calls = 'ok'
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 0, failed: 0 })
    side.prepare('UPDATE outbox SET next_attempt_at = 0').run()
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 1, failed: 0 })
    expect(fake.calls).toHaveLength(1)
    expect(fake.calls[0]?.properties.hs_call_body).toMatch(
      /layer 5, typed 12345678: rule "Account number found: to the representatives" → layer 12\n.*layer 1: rule "VIP callers ring their account manager" → dialled extension 101$/,
    )
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 0, failed: 0 })
  })

  it('contacts from the local directory are not logged to HubSpot', async () => {
    server = await withHubSpot(fake, { CRM_PLUGINS: 'local-directory,hubspot' })
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'local-1' }))
    await server.settle()
    expect((server.openSideConnection().prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(0)
  })

  describe("a call's end, from the provider's status callback to HubSpot", () => {
    const SECRET = 'routee-webhook-secret-0123456789'
    const DID = '+302111234567'
    const routee = (body: Record<string, unknown>) => server.post(`/webhooks/routee/${SECRET}`, body)

    it('Routee calls that end Busy, NoAnswer, Failed or Completed are logged with that hs_call_status and their duration', async () => {
      server = await withHubSpot(fake, { WEBHOOK_SECRET: SECRET, ROUTEE_CALLER_ID: DID })
      const ends = { Busy: 'BUSY', NoAnswer: 'NO_ANSWER', Failed: 'FAILED', Completed: 'COMPLETED' }
      for (const [index, status] of Object.keys(ends).entries()) {
        const callId = `rt-${status}`
        // Dana calls: found in HubSpot, a VIP, dialled to her account manager.
        const plan = (await (
          await routee({ messageId: `m-${callId}`, conversationTrackingId: callId, from: '+972501234567', to: DID })
        ).json()) as {
          verbs: { type: string; to?: { phone: string } }[]
        }
        expect(plan.verbs).toContainEqual(expect.objectContaining({ type: 'DIAL', to: { phone: '+972541000101' } }))
        const notice = await routee({
          messageId: `m-${callId}`,
          conversationTrackingId: callId,
          from: '+972501234567',
          to: DID,
          status: { name: status, updatedDate: '2026-11-23T08:05:00Z' },
          direction: 'Inbound',
          duration: 10 + index,
          price: 0.02,
        })
        expect(notice.status).toBe(200)
      }
      await server.settle()
      expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 4, failed: 0 })
      const logged = fake.calls.map(({ properties }) => ({
        ended: properties.hs_call_body?.split('\n').at(-1),
        status: properties.hs_call_status,
        duration: properties.hs_call_duration,
        from: properties.hs_call_from_number,
      }))
      expect(logged.sort((a, b) => String(a.duration).localeCompare(String(b.duration)))).toEqual(
        Object.entries(ends).map(([status, hubspotStatus], index) => ({
          ended: `Call ended: ${status}`,
          status: hubspotStatus,
          duration: String((10 + index) * 1000),
          from: '+972501234567',
        })),
      )
    })
  })
})
