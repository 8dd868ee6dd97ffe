import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CallFilters } from '../../src/console/calls-filters.ts'
import { listCalls, SCAN_WINDOW } from '../../src/console/calls-query.ts'
import type { Database } from '../../src/db/database.ts'
import * as schema from '../../src/db/schema.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import { VOICENTER_SCENARIOS, voicenterBody } from '../bench/voicenter-calls.ts'
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import docsEventEnded from '../fixtures/stringee/docs-event-ended.json' with { type: 'json' }
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, type ConsoleClient, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

/** The bench's Voicenter calls: a VIP, a known caller, an unknown one, and an account number typed at layer 5. */
const scenario = (index: number) => VOICENTER_SCENARIOS[index] as Record<string, string>
const [VIP, KNOWN, UNKNOWN, ACCOUNT_FOUND] = [scenario(0), scenario(1), scenario(2), scenario(4)]

/** One Voicenter request of a call, as Voicenter sends it. */
const voicenterStep = async (server: TestServer, callId: string, data: Record<string, string>) => {
  const response = await server.post('/webhooks/voicenter', voicenterBody({ ...data, IVR_UNIQUE_ID: callId }))
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

/**
 * The calls every test here reads: an unknown caller who types an account number at layer 5 (two steps, the
 * second after two other calls began), a VIP, and a known caller.
 */
const makeCalls = async (server: TestServer) => {
  await voicenterStep(server, 'vc-unknown-1', UNKNOWN)
  await voicenterStep(server, 'vc-vip-1', VIP)
  await voicenterStep(server, 'vc-known-1', KNOWN)
  await voicenterStep(server, 'vc-unknown-1', ACCOUNT_FOUND)
  await server.settle()
}

/** The ids of the calls listed, in the page's order. */
const listed = (html: string) => [...html.matchAll(/href="\/console\/calls\/voicenter\/([^"]+)"/g)].map((match) => match[1])

/** Every form a number may take in a page: local, E.164, E.164 without the plus, national digits. */
const wholeForms = (local: string) => [local, `+972${local.slice(1)}`, `972${local.slice(1)}`, local.slice(1)]

describe('console calls', () => {
  let server: TestServer
  let admin: ConsoleClient
  beforeAll(async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    await makeCalls(server)
    admin = consoleClient(server.url)
    await admin.signIn(ADMIN_TOKEN)
  })
  afterAll(() => server.close())

  it('lists the recent calls newest first, one row per call with its steps, last rule, action and lookup', async () => {
    const page = await admin.get('/console/calls')
    expect(page.status).toBe(200)
    // By when each call started: the unknown caller's call began first, though its last step came last.
    expect(listed(page.html)).toEqual(['vc-known-1', 'vc-vip-1', 'vc-unknown-1'])
    const row = (callId: string) => {
      const match = new RegExp(`<tr id="call-\\d+">(?:(?!</tr>)[\\s\\S])*?/${callId}"[\\s\\S]*?</tr>`).exec(page.html)
      return textOf(match?.[0] ?? '')
    }
    expect(row('vc-unknown-1')).toMatch(
      /voicenter \+972539999999 0722776772 2 Account number found: to the representatives #\d+ sent to a layer go_to_layer caller found in the CRM/,
    )
    expect(row('vc-vip-1')).toMatch(
      /voicenter \+972501234567 .* 1 VIP callers ring their account manager #\d+ put through \(dial\) dial caller found in the CRM/,
    )
    expect(row('vc-known-1')).toContain('Known callers go to their account manager')
    expect(row('vc-vip-1')).not.toContain('fallback')
    expect(textOf(page.html)).toContain('times are in UTC')
  })

  it('finds a caller’s calls by number, typed locally or in E.164, and only theirs', async () => {
    for (const number of ['0539999999', '+972539999999', '972539999999', '053-999-9999']) {
      const page = await admin.get(`/console/calls?number=${encodeURIComponent(number)}`)
      expect(page.status, number).toBe(200)
      expect(listed(page.html), number).toEqual(['vc-unknown-1'])
    }
    const vip = await admin.get('/console/calls?number=%2B972501234567')
    expect(listed(vip.html)).toEqual(['vc-vip-1'])
    const nobody = await admin.get('/console/calls?number=0521234567')
    expect(listed(nobody.html)).toEqual([])
    expect(textOf(nobody.html)).toContain('No calls match these filters')
  })

  it('filters by provider, rule (name or number), outcome and time', async () => {
    expect(listed((await admin.get('/console/calls?provider=voicenter')).html)).toHaveLength(3)
    expect(listed((await admin.get('/console/calls?provider=routee')).html)).toEqual([])

    const byName = await admin.get(`/console/calls?rule=${encodeURIComponent('VIP callers ring their account manager')}`)
    expect(listed(byName.html)).toEqual(['vc-vip-1'])
    const ruleId = /VIP callers ring their account manager<\/a> <span class="muted mono">#(\d+)/.exec(byName.html)?.[1]
    expect(ruleId).toBeDefined()
    expect(listed((await admin.get(`/console/calls?rule=${ruleId}`)).html)).toEqual(['vc-vip-1'])
    // A rule that fired at the first of two steps finds the call too.
    const firstStepRule = await admin.get(`/console/calls?rule=${encodeURIComponent('Unknown callers are asked for their account number')}`)
    expect(listed(firstStepRule.html)).toEqual(['vc-unknown-1'])

    expect(listed((await admin.get('/console/calls?outcome=dial')).html)).toEqual(['vc-vip-1'])
    expect(listed((await admin.get('/console/calls?outcome=not_found')).html)).toEqual(['vc-unknown-1'])
    expect(listed((await admin.get('/console/calls?outcome=fallback')).html)).toEqual([])

    // The test clock is 2026-11-23 08:00 UTC (the service's TIME_ZONE is UTC here).
    expect(listed((await admin.get('/console/calls?from=2026-11-23T07:59&to=2026-11-23T08:01')).html)).toHaveLength(3)
    expect(listed((await admin.get('/console/calls?from=2026-11-23T08:01')).html)).toEqual([])
    expect(listed((await admin.get('/console/calls?from=2026-11-20T00:00&to=2026-11-23T07:59')).html)).toEqual([])
  })

  it('refuses a filter that is not valid with a 400 naming the field, and searches nothing', async () => {
    const cases: [string, string][] = [
      ['number=hello', 'number'],
      ['provider=acme-phones', 'provider'],
      ['outcome=maybe', 'outcome'],
      ['from=yesterday', 'from'],
      ['from=2026-02-31T10:00', 'from'],
      ['from=2026-11-23T10:00&to=2026-11-23T09:00', 'to'],
      ['before=-4', 'before'],
      [`rule=${'x'.repeat(201)}`, 'rule'],
    ]
    for (const [query, field] of cases) {
      const page = await admin.get(`/console/calls?${query}`)
      expect(page.status, query).toBe(400)
      expect(textOf(page.html), query).toMatch(new RegExp(`Not searched: “[^”]+” \\(${field}\\)`))
      expect(page.html, query).not.toContain('<table class="calls">')
      if (field !== 'before') expect(page.html, query).toMatch(new RegExp(`<div class="field invalid">\\s*<label for="f-${field}">`))
    }
  })

  it('pages older calls by a link, without repeating or skipping a call', async () => {
    const local = await startTestServer({ env: CONSOLE_ENV })
    try {
      for (let index = 0; index < 53; index++) await voicenterStep(local, `page-${String(index).padStart(2, '0')}`, VIP)
      await local.settle()
      const browser = consoleClient(local.url)
      await browser.signIn(ADMIN_TOKEN)
      const first = await browser.get('/console/calls?provider=voicenter')
      const firstIds = listed(first.html)
      expect(firstIds).toHaveLength(50)
      expect(firstIds[0]).toBe('page-52')
      const older = /href="([^"]+)" rel="next"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&')
      expect(older).toMatch(/provider=voicenter/)
      const second = await browser.get(older as string)
      expect(listed(second.html)).toEqual(['page-02', 'page-01', 'page-00'])
      expect(second.html).not.toContain('rel="next"')
      expect(second.html).toContain('Newest calls')
    } finally {
      await local.close()
    }
  })

  it('shows one call’s timeline: each step’s request, lookup, rule and answer, in order', async () => {
    const page = await admin.get('/console/calls/voicenter/vc-unknown-1')
    expect(page.status).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain('Call vc-unknown-1')
    expect(text).toContain('2 routed')
    const steps = page.html.split('<section class="card step"').slice(1)
    expect(steps).toHaveLength(2)
    const [first, second] = steps.map(textOf) as [string, string]
    // Step 1: the caller ID looked up and not found, the rule asking for the account number, what was answered.
    expect(first).toMatch(/^.*1\. Layer 1 · 23 Nov 2026, 08:00:00/)
    expect(first).toContain('"CALLER_ID": "0539999999"')
    expect(first).toContain('"LAYER_ID": "1"')
    expect(first).toMatch(/by caller ID not_found/)
    expect(first).toContain('Unknown callers are asked for their account number')
    expect(first).toMatch(/Answer sent \{[\s\S]*"ACTION": "GO_TO_LAYER"/)
    // Step 2: the digits typed looked up and found, the rule that fired, the answer.
    expect(second).toContain('2. Layer 5')
    expect(second).toContain('"DTMF": "12345678"')
    expect(second).toMatch(/Digits typed 12345678/)
    expect(second).toMatch(/by digits typed \(PIN \/ account\) found/)
    expect(second).toMatch(/↳ local-directory found/)
    expect(second).toContain('Account number found: to the representatives')
    expect(second).toMatch(/Answer sent \{[\s\S]*"ACTION"/)
    // In that order on the page: request, lookup, rule… of step 1 before step 2's.
    expect(text.indexOf('"LAYER_ID": "1"')).toBeGreaterThan(0)
    expect(text.indexOf('"LAYER_ID": "1"')).toBeLessThan(text.indexOf('"LAYER_ID": "5"'))
    expect(text).toContain('Call state')
    expect(text).toContain('CRM call logs')
  })

  it('answers 404 for a call it has no step of', async () => {
    const page = await admin.get('/console/calls/voicenter/no-such-call')
    expect(page.status).toBe(404)
    expect(textOf(page.html)).toContain('No such call')
  })

  it('shows a viewer every number masked and no PIN, in the list, the filter and the timeline', async () => {
    const viewer = consoleClient(server.url)
    await viewer.signIn(VIEWER_TOKEN)
    const pages = [
      await viewer.get('/console/calls'),
      await viewer.get('/console/calls?number=0539999999'),
      await viewer.get('/console/calls/voicenter/vc-unknown-1'),
      await viewer.get('/console/calls/voicenter/vc-vip-1'),
    ]
    for (const page of pages) expect(page.status).toBe(200)
    const [list, filtered, timeline] = pages as [(typeof pages)[0], (typeof pages)[0], (typeof pages)[0]]
    const numbers = [UNKNOWN.CALLER_ID, VIP.CALLER_ID, KNOWN.CALLER_ID, '0722776772'].flatMap((local) => wholeForms(local as string))
    for (const page of pages) {
      for (const number of numbers) expect(page.html).not.toContain(number)
      // The account number typed at layer 5 is looked up: a PIN, never shown to a viewer.
      expect(page.html).not.toContain('12345678')
    }
    expect(textOf(list.html)).toContain('+972•••••••99')
    expect(listed(filtered.html)).toEqual(['vc-unknown-1'])
    expect(filtered.html).toContain('value="053•••••99"')
    expect(textOf(timeline.html)).toContain('"CALLER_ID": "053•••••99"')
    expect(textOf(timeline.html)).toContain('"DTMF": "••••••••"')
    expect(textOf(timeline.html)).toMatch(/Digits typed ••••••••/)
    // The masked number the viewer's form sends back searches the same caller on the next page.
    const again = await viewer.get(
      `/console/calls?number=${encodeURIComponent('053•••••99')}&number_kept=${/name="number_kept" value="([^"]+)"/.exec(filtered.html)?.[1]}`,
    )
    expect(again.status).toBe(200)
    expect(listed(again.html)).toEqual(['vc-unknown-1'])
    // A masked number on its own cannot be searched.
    const bare = await viewer.get(`/console/calls?number=${encodeURIComponent('053•••••99')}`)
    expect(bare.status).toBe(400)
    // The admin sees them whole.
    const whole = await admin.get('/console/calls/voicenter/vc-unknown-1')
    expect(whole.html).toContain('0539999999')
    expect(whole.html).toContain('12345678')
  })

  it('sends a signed-out visit to sign in', async () => {
    const stranger = consoleClient(server.url)
    for (const path of ['/console/calls?number=0539999999', '/console/calls/voicenter/vc-unknown-1']) {
      const page = await stranger.get(path)
      expect(page.status).toBe(303)
      expect(page.location).toBe(`/console/sign-in?next=${encodeURIComponent(path)}`)
    }
  })
})

describe('console calls: status callbacks and CRM call logs', () => {
  let fake: FakeHubSpot
  let server: TestServer | undefined
  beforeAll(async () => {
    fake = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
  })
  afterAll(() => fake.close())
  afterEach(async () => {
    await server?.close()
    server = undefined
    fake.reset()
  })

  it('shows a provider’s status callback in the call’s timeline, in time order', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const callId = 'call-vn-1-CONSOLE0001-1530721745779'
    const answered = await fetch(
      `${server.url}/webhooks/stringee?${new URLSearchParams({ from: '0539999999', to: '842471001234', uuid: 'console-uuid-1', callId })}`,
    )
    expect(answered.status).toBe(200)
    const ended = await server.post('/webhooks/stringee', {
      ...docsEventEnded.body,
      call_id: callId,
      endCallCause: 'NORMAL_CLEARING',
      duration: 42,
    })
    expect(ended.status).toBe(200)
    await server.settle()
    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const list = await browser.get('/console/calls?provider=stringee')
    expect(textOf(list.html)).toMatch(/stringee .* 1 ended/)
    const page = await browser.get(`/console/calls/stringee/${callId}`)
    expect(page.status).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain('1 routed, 1 status notice')
    expect(text).toMatch(/1\. Layer 1 [\s\S]*2\. Status from the provider: ended[\s\S]*"endCallCause": "NORMAL_CLEARING"/)
  })

  it('shows the call’s CRM call log: the CRM, attempts, delivery and what it says; a viewer sees no number and no PIN in it', async () => {
    server = await startTestServer({
      env: {
        ...CONSOLE_ENV,
        CRM_PLUGINS: 'hubspot,local-directory',
        HUBSPOT_ACCESS_TOKEN: fake.token,
        HUBSPOT_BASE_URL: fake.url,
        HUBSPOT_SEGMENT_PROPERTY: 'segment',
        HUBSPOT_PIN_PROPERTY: 'account_number',
        CALL_LOG_DELAY_SECONDS: '0',
      },
    })
    fake.mode.calls = 'error500'
    await voicenterStep(server, 'vc-logged-1', { ...ACCOUNT_FOUND, CALLER_ID: '0539999999' })
    await server.settle()
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 0, failed: 1 })
    const admin = consoleClient(server.url)
    await admin.signIn(ADMIN_TOKEN)
    const waiting = textOf((await admin.get('/console/calls/voicenter/vc-logged-1')).html)
    expect(waiting).toMatch(
      /CRM call logs CRM Queued State Attempts Last error What it says hubspot .* waiting .* 1 HubSpot call logging: HTTP 500/,
    )
    expect(waiting).toContain('Dana Levi (Acme Ltd)')
    expect(waiting).toContain('typed 12345678: rule "Account number found: to the representatives"')

    fake.mode.calls = 'ok'
    server.openSideConnection().prepare('UPDATE outbox SET next_attempt_at = 0').run()
    expect(await server.service.callLogs.deliverDue()).toEqual({ delivered: 1, failed: 0 })
    const delivered = textOf((await admin.get('/console/calls/voicenter/vc-logged-1')).html)
    expect(delivered).toMatch(/hubspot .* delivered .* 1 Dana Levi/)

    const viewer = consoleClient(server.url)
    await viewer.signIn(VIEWER_TOKEN)
    const masked = await viewer.get('/console/calls/voicenter/vc-logged-1')
    for (const number of [...wholeForms('0539999999'), ...wholeForms('0722776772')]) expect(masked.html).not.toContain(number)
    expect(masked.html).not.toContain('12345678')
    expect(textOf(masked.html)).toContain('typed ••••••••: rule "Account number found: to the representatives"')
  })
})

describe('console calls: the list on 100,000 decisions', () => {
  const directory = mkdtempSync(join(tmpdir(), 'calls-list-'))
  const { sqlite } = openDatabase(join(directory, 'calls.db'))
  const queries: { sql: string; params: unknown[] }[] = []
  // The console's own queries, on the same connection, each one kept to ask SQLite how it runs it.
  const db = drizzle(sqlite, { schema, logger: { logQuery: (sql, params) => queries.push({ sql, params }) } }) as unknown as Database
  const START = Date.parse('2026-11-22T09:00:00Z')

  beforeAll(() => {
    // 40,000 calls of one to four steps, two seconds apart (all within a day), from 5,000 callers; every
    // tenth call answered by a fallback, every third ended by a status callback.
    const insert = sqlite.prepare(
      `INSERT INTO decisions (at, provider, call_id, did, caller, layer, lookup_outcome, rule_id, rule_name, action, reason)
       VALUES (?, ?, ?, '0722776772', ?, ?, ?, ?, ?, ?, ?)`,
    )
    sqlite.transaction(() => {
      let written = 0
      for (let call = 1; written < 100_000; call++) {
        const steps = 1 + (call % 4)
        for (let step = 0; step < steps && written < 100_000; step++, written++) {
          const notice = step === steps - 1 && call % 3 === 0
          const rule = notice || call % 10 === 0 ? null : 1 + ((call + step) % 8)
          insert.run(
            new Date(START + call * 2_000 + step * 500).toISOString(),
            ['voicenter', 'voicenter', 'routee', 'stringee'][call % 4],
            `load-${call}`,
            `+97250${1_000_000 + ((call * 7_919) % 5_000)}`,
            String(step + 1),
            ['found', 'not_found', 'error'][call % 3],
            rule,
            notice ? null : rule ? `rule ${rule}` : 'fallback: default',
            notice ? 'status:completed' : ['dial', 'go_to_layer', 'collect'][step % 3],
            rule || notice ? null : 'no rule matched',
          )
        }
      }
    })()
  })
  afterAll(() => {
    sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })

  /** How SQLite runs each query the page made: a full scan of a table would show as `SCAN <table>`. */
  const plansOf = (made: typeof queries) =>
    made.map(({ sql, params }) =>
      (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail),
    )

  const since = START - 3_600_000
  const cases: [string, CallFilters][] = [
    ['no filter', { from: since }],
    ['a provider', { from: since, provider: 'stringee' }],
    ['a number', { from: since, callerForms: ['+972501001234', '972501001234', '0501001234'] }],
    ['a rule that never fired', { from: since, rule: { id: 99 } }],
    ['a rule by name', { from: since, rule: { name: 'rule 3' } }],
    ['fallbacks', { from: since, outcome: 'fallback' }],
    ['a lookup outcome and an action', { from: since, outcome: 'not_found' }],
    ['a closed period', { from: START + 3_600_000, to: START + 7_200_000, outcome: 'dial' }],
  ]
  for (const [name, filters] of cases) {
    it(`reads through indexes, never a whole table: ${name}`, async () => {
      queries.length = 0
      const page = await listCalls(db, filters)
      expect(queries.length).toBeGreaterThan(1)
      for (const plan of plansOf(queries)) {
        expect(plan.filter((line) => /^SCAN (decisions|d|e|s|outbox)\b/.test(line))).toEqual([])
      }
      for (const call of page.calls) {
        if (filters.provider) expect(call.provider).toBe(filters.provider)
        if (filters.callerForms) expect(call.caller).toBe('+972501001234')
        if (filters.outcome === 'fallback') expect(call.fallbacks).toBeGreaterThan(0)
        expect(Date.parse(call.startedAt)).toBeGreaterThanOrEqual(filters.from)
        if (filters.to) expect(Date.parse(call.startedAt)).toBeLessThanOrEqual(filters.to)
      }
    })
  }

  it('lists calls whole: their steps and notices counted, the newest first', async () => {
    const page = await listCalls(db, { from: since })
    expect(page.calls).toHaveLength(50)
    const ids = page.calls.map((call) => call.firstId)
    expect([...ids].sort((a, b) => b - a)).toEqual(ids)
    // load-39999: 4 steps (39999 % 4 = 3), the last a status callback (39999 % 3 = 0); its third, rule 1 + (40001 % 8).
    const call = page.calls.find((entry) => entry.callId === 'load-39999')
    expect(call).toMatchObject({ provider: 'stringee', steps: 3, notices: 1, lastStatus: 'completed', fallbacks: 0 })
    expect(call?.last).toMatchObject({ ruleId: 2, ruleName: 'rule 2', action: 'collect' })
  })

  it('stops a rare filter at the scan window, and the next page searches on from there', async () => {
    const page = await listCalls(db, { from: since, rule: { id: 99 } })
    expect(page.calls).toEqual([])
    expect(page.older).toBe(100_001 - SCAN_WINDOW)
    expect(page.searchedBackTo).toBeDefined()
    const next = await listCalls(db, { from: since, rule: { id: 99 }, before: page.older })
    expect(next).toEqual({ calls: [] })
  })
})
