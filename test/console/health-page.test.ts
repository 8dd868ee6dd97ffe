import { afterEach, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import type { CrmPlugin } from '../../src/crm/plugin.ts'
import { voicenterBody } from '../bench/voicenter-calls.ts'
import routeeStatus from '../fixtures/routee/assembled-status-callback-completed.json' with { type: 'json' }
import { fakeCrm } from '../helpers/fake-crm.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

/** The key a CRM echoes back in its error message: the page must never show it. */
const CRM_KEY = 'crm-api-key-5f2c9a7e41d8b630'
/** Callers the flaky CRM fails on. */
const FAILING = ['0538880001', '0538880002'] as const

/**
 * A remote CRM in front of the local directory: knows nobody, its answers are cached, and it fails for two
 * numbers with a message carrying its key and the number.
 */
const flakyCrm = fakeCrm('flaky-crm', {
  findByPhone: async (phone) => {
    if (FAILING.some((number) => phone.endsWith(number.slice(1)))) throw new Error(`search for ${phone} refused (key ${CRM_KEY})`)
    return null
  },
})

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** A server on a clock the test sets for each webhook and page view. */
const startAt = async (env: Record<string, string> = {}, plugins: readonly CrmPlugin[] = [...builtinPlugins, flakyCrm]) => {
  let now = new Date('2026-11-23T06:00:00Z')
  const running = await startTestServer({ env: { ...CONSOLE_ENV, TIME_ZONE: 'Asia/Jerusalem', ...env }, plugins, clock: () => now })
  server = running
  return {
    server: running,
    /** Signs in at `iso` (sessions run on the same clock) and opens a page. */
    async pageAt(iso: string, path: string, token = ADMIN_TOKEN) {
      now = new Date(iso)
      const client = consoleClient(running.url)
      await client.signIn(token)
      return client.get(path)
    },
    /** One Voicenter webhook at a pinned time (or another provider's body, to `path`). */
    async call(iso: string, data: Record<string, string> | object, path = '/webhooks/voicenter') {
      now = new Date(iso)
      const response = await running.post(path, path === '/webhooks/voicenter' ? voicenterBody(data as Record<string, string>) : data)
      expect(response.status).toBe(200)
      await response.text()
    },
  }
}

const WITH_FLAKY_CRM = {
  CRM_PLUGINS: 'flaky-crm,local-directory',
  FLAKY_CRM_API_KEY: CRM_KEY,
  LOOKUP_BREAKER_FAILURES: '2',
  // Long enough that no circuit or remembered answer changes while the test runs.
  LOOKUP_BREAKER_OPEN_SECONDS: '3600',
  LOOKUP_CACHE_MISS_TTL_SECONDS: '3600',
}
const DANA = '0501234567'
const MOSHE = '0541112233'
const UNKNOWN = '0539999999'

/**
 * The calls of the tests below (times UTC; Israel is UTC+2 in November). In the hour before 08:30:
 * 08:01 three calls (b2 answered from the cache) and b1's second step at 08:02; 08:05 two calls, one at a
 * layer no rule covers (a fallback); 08:12 two callers the flaky CRM fails on (its circuit opens after the
 * second; both fall back, as the lookup's error matches no rule) and one whose lookup skips it. One call at
 * 07:00 is outside that hour but inside six. A Routee call-status notice at 08:12 is neither a call nor an answer.
 */
const sendTheCalls = async (call: (iso: string, data: object, path?: string) => Promise<void>) => {
  const step = (id: string, caller: string, layer = '1', dtmf = '0') => ({
    IVR_UNIQUE_ID: id,
    CALLER_ID: caller,
    LAYER_ID: layer,
    DTMF: dtmf,
  })
  await call('2026-11-23T07:00:00Z', step('early', DANA))
  await call('2026-11-23T08:01:10Z', step('a1', DANA))
  await call('2026-11-23T08:01:20Z', step('b1', UNKNOWN))
  await call('2026-11-23T08:01:30Z', step('b2', UNKNOWN))
  await call('2026-11-23T08:02:05Z', step('b1', UNKNOWN, '5', '12345678'))
  await call('2026-11-23T08:05:00Z', step('a2', DANA))
  await call('2026-11-23T08:05:30Z', step('f1', DANA, '9'))
  await call('2026-11-23T08:12:00Z', step('e1', FAILING[0]))
  await call('2026-11-23T08:12:05Z', step('e2', FAILING[1]))
  await call('2026-11-23T08:12:10Z', step('m1', MOSHE))
  // A call-status notice is no call and no answer: left out of every count.
  await call('2026-11-23T08:12:20Z', routeeStatus.body, '/webhooks/routee')
}

/** An element's inner HTML by id (tables, rows, sections). */
const byId = (html: string, id: string) => {
  const match = new RegExp(`<(\\w+)[^>]*\\sid="${id}"[^>]*>`).exec(html)
  if (!match) throw new Error(`no element with id ${id}`)
  const tag = match[1] as string
  const start = match.index + match[0].length
  // Tables and SVGs here do not nest their own tag.
  return html.slice(start, html.indexOf(`</${tag}>`, start))
}

/** A data table's rows as {datetime of the first cell: the other cells' text}. */
const rowsOf = (html: string, id: string) =>
  Object.fromEntries(
    [...byId(html, id).matchAll(/<tr>(.*?)<\/tr>/gs)]
      .filter(([row]) => row.includes('datetime'))
      .map(([row]) => {
        const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map(([, cell]) => textOf(cell ?? ''))
        return [/datetime="([^"]+)"/.exec(row)?.[1], cells.slice(1)]
      }),
  )

/** Nearest-rank percentile, as the page computes it in SQL. */
const percentileOf = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.ceil((share / 100) * values.length) - 1]
const ms = (value: number | undefined) => (value === undefined ? '—' : `${Number(value.toFixed(2))} ms`)

interface StoredLookup {
  cache?: string
  ms: number
  plugins: { plugin: string; outcome: string; ms: number }[]
}
/** The lookups the decision log holds for the period, read with a second connection. */
const storedLookups = (running: TestServer, fromIso: string) => {
  const rows = running
    .openSideConnection()
    .prepare('SELECT at, lookups FROM decisions WHERE at >= ? AND lookups IS NOT NULL')
    .all(fromIso) as { at: string; lookups: string }[]
  return rows.flatMap((row) => (JSON.parse(row.lookups) as StoredLookup[]).map((lookup) => ({ at: row.at, ...lookup })))
}

describe('console health page', () => {
  it("shows each CRM plugin's circuit, cache hit rate, lookup times and last errors, with secrets taken out", async () => {
    const { server, call, pageAt } = await startAt(WITH_FLAKY_CRM)
    await sendTheCalls(call)
    await server.settle()
    const page = await pageAt('2026-11-23T08:30:00Z', '/console/health?hours=1')
    expect(page.status).toBe(200)

    // The chain in lookup order; the flaky CRM's circuit opened on its second failure in a row.
    const flaky = byId(page.html, 'plugin-flaky-crm')
    const local = byId(page.html, 'plugin-local-directory')
    expect(page.html.indexOf('id="plugin-flaky-crm"')).toBeLessThan(page.html.indexOf('id="plugin-local-directory"'))
    expect(textOf(flaky)).toMatch(/^flaky-crm open since \w{3} \d+ \w{3}, \d\d:\d\d:\d\d left alone after repeated failures/)
    expect(textOf(local)).toMatch(/^local-directory closed since /)

    // In the hour: 8 lookups (7 by caller id, 1 by the account number typed), one of them, b2, from the cache.
    // The local directory's own answers are never cached (it is the service's database).
    expect(textOf(flaky)).toContain('13% (1 of 8 lookups)')
    expect(textOf(local)).toContain('not cached (its answers are never cached)')

    // Asked: the flaky CRM by a1, b1, a2, e1, e2 (m1 skipped it); the directory by every lookup not from the cache.
    const cell = (row: string, name: string) => textOf(new RegExp(`<td class="${name}">(.*?)</td>`, 's').exec(row)?.[1] ?? '')
    expect(cell(flaky, 'asked')).toBe('5')
    expect(cell(flaky, 'answers')).toBe('0 found · 3 not found · 2 failed · 1 skipped')
    expect(cell(local, 'asked')).toBe('7')
    expect(cell(local, 'answers')).toBe('4 found · 3 not found · 0 failed · 0 skipped')

    // p50 and p99 of the times the decision log holds for each plugin (a skipped plugin was not timed).
    const lookups = storedLookups(server, '2026-11-23T07:31:00.000Z')
    for (const [plugin, row] of [
      ['flaky-crm', flaky],
      ['local-directory', local],
    ] as const) {
      const times = lookups.flatMap((lookup) =>
        lookup.plugins.filter((asked) => asked.plugin === plugin && asked.outcome !== 'skipped').map((asked) => asked.ms),
      )
      expect(cell(row, 'p50')).toBe(ms(percentileOf(times, 50)))
      expect(cell(row, 'p99')).toBe(ms(percentileOf(times, 99)))
    }

    // Its last errors, newest first, at the service's time; the CRM's key is never shown.
    const errors = [...byId(page.html, 'errors-flaky-crm').matchAll(/<tr><td>(.*?)<\/tr>/gs)].map(([row]) => textOf(row))
    expect(errors).toEqual([
      'Mon 23 Nov, 10:12:05 error search for +972538880002 refused (key [redacted])',
      'Mon 23 Nov, 10:12:00 error search for +972538880001 refused (key [redacted])',
    ])
    expect(page.html).not.toContain(CRM_KEY)
    expect(textOf(byId(page.html, 'errors-local-directory'))).toBe('No errors in the last hour.')
    expect(textOf(byId(page.html, 'storage'))).toMatch(/^writable The database takes writes\. 0 decisions waiting to be written/)

    // A viewer sees the same figures, with the numbers in error messages masked.
    const viewed = await pageAt('2026-11-23T08:30:00Z', '/console/health?hours=1', VIEWER_TOKEN)
    expect(viewed.status).toBe(200)
    expect(viewed.html).not.toContain('538880001')
    expect(viewed.html).not.toContain(CRM_KEY)
    expect(textOf(byId(viewed.html, 'errors-flaky-crm'))).toContain('search for +972•••••••01 refused (key [redacted])')
    expect(textOf(byId(viewed.html, 'plugin-flaky-crm'))).toContain('13% (1 of 8 lookups)')
  })

  it('charts calls, fallbacks and lookup latency per minute over the last hour, in the service time zone', async () => {
    const { server, call, pageAt } = await startAt(WITH_FLAKY_CRM)
    await sendTheCalls(call)
    await server.settle()
    const page = await pageAt('2026-11-23T08:30:00Z', '/console/health?hours=1')
    expect(page.status).toBe(200)
    expect(page.html).not.toMatch(/<script|\sstyle=/)

    // Calls, each counted once at its first step (b1's second step, at 08:02, adds an answer, not a call).
    expect(rowsOf(page.html, 'calls-data')).toEqual({
      '2026-11-23T08:01:00.000Z': ['3', '3'],
      '2026-11-23T08:05:00.000Z': ['2', '2'],
      '2026-11-23T08:12:00.000Z': ['3', '3'],
    })
    expect(textOf(byId(page.html, 'calls-summary'))).toMatch(
      /^8 calls \(9 answers to call steps\) in the last hour\. Busiest: 3 calls at 10:01\./,
    )

    // The picture says the same: one bar a busy minute, at the local time, as high as its calls.
    const calls = byId(page.html, 'chart-calls')
    const bars = [...calls.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"><title>(.*?)<\/title>/g)]
    expect(bars.map(([, , , , title]) => title)).toEqual(['10:01: calls/min 3', '10:05: calls/min 2', '10:12: calls/min 3'])
    const heights = bars.map(([, , , height]) => Number(height))
    expect(heights[1] ?? 0).toBeCloseTo(((heights[0] ?? 0) * 2) / 3, 0)
    // 60 one-minute slots across the plot: the 08:01 bar sits in slot 30 (the hour starts at 07:31).
    const slotWidth = (720 - 52 - 22) / 60
    expect(Number(bars[0]?.[1])).toBeGreaterThan(52 + 30 * slotWidth)
    expect(Number(bars[0]?.[1])).toBeLessThan(52 + 31 * slotWidth)
    expect([...calls.matchAll(/<text class="x"[^>]*>(.*?)<\/text>/g)].map(([, label]) => label)).toEqual([
      '09:40',
      '09:50',
      '10:00',
      '10:10',
      '10:20',
      '10:30',
    ])
    expect([...calls.matchAll(/<text class="y"[^>]*>(.*?)<\/text>/g)].map(([, label]) => label)).toEqual(['0', '1', '2', '3'])
    expect(calls).toContain('<title id="chart-calls-title">Calls per minute, last hour</title>')
    expect(calls).toMatch(/<desc id="chart-calls-desc">8 calls in the last hour \(Asia\/Jerusalem\)/)

    // Fallbacks: the layer no rule covers, and the two callers whose lookup failed.
    expect(rowsOf(page.html, 'fallbacks-data')).toEqual({
      '2026-11-23T08:05:00.000Z': ['1', '2'],
      '2026-11-23T08:12:00.000Z': ['2', '3'],
    })
    expect(textOf(byId(page.html, 'fallbacks-summary'))).toMatch(/^3 of 9 answers \(33%\) came from a fallback/)
    expect([...byId(page.html, 'chart-fallbacks').matchAll(/<title>(.*?)<\/title>/g)].map(([, title]) => title)).toEqual([
      '10:05: fallbacks 1',
      '10:12: fallbacks 2',
    ])

    // Lookup latency per minute: p50 and p99 of the times in the decision log (the cache hit included).
    const lookups = storedLookups(server, '2026-11-23T07:31:00.000Z')
    const minutes = Object.groupBy(lookups, (lookup) => `${lookup.at.slice(0, 16)}:00.000Z`)
    expect(rowsOf(page.html, 'latency-data')).toEqual(
      Object.fromEntries(
        Object.entries(minutes).map(([minute, inMinute = []]) => {
          const times = inMinute.map((lookup) => lookup.ms)
          return [minute, [String(times.length), ms(percentileOf(times, 50)), ms(percentileOf(times, 99))]]
        }),
      ),
    )
    expect(Object.keys(minutes)).toHaveLength(4)
    expect(textOf(byId(page.html, 'latency-summary'))).toMatch(/over 8 lookups \(1 answered from the cache\)/)
    const latency = byId(page.html, 'chart-latency')
    expect([...latency.matchAll(/<text class="legend"[^>]*>(.*?)<\/text>/g)].map(([, name]) => name)).toEqual(['p50', 'p99'])
    expect(latency.match(/<circle class="point"/g)).toHaveLength(4)
    expect(latency.match(/<circle class="point second"/g)).toHaveLength(4)
  })

  it('charts the last 6 hours by default, in 3-minute buckets, and the last 24 on request', async () => {
    const { server, call, pageAt } = await startAt(WITH_FLAKY_CRM)
    await sendTheCalls(call)
    await server.settle()
    const page = await pageAt('2026-11-23T08:30:00Z', '/console/health')
    expect(page.status).toBe(200)
    expect(page.html).toMatch(/<option value="6" selected>last 6 hours<\/option>/)
    // The 07:00 call is in; 08:01:10-08:01:30 share the 08:00 bucket, 08:05 calls the 08:03 one.
    expect(rowsOf(page.html, 'calls-data')).toEqual({
      '2026-11-23T07:00:00.000Z': ['1', '0.33'],
      '2026-11-23T08:00:00.000Z': ['3', '1'],
      '2026-11-23T08:03:00.000Z': ['2', '0.67'],
      '2026-11-23T08:12:00.000Z': ['3', '1'],
    })
    expect(textOf(byId(page.html, 'calls-summary'))).toMatch(
      /^9 calls \(10 answers to call steps\) in the last 6 hours\. Busiest: 3 calls in the 3 minutes from 10:00\./,
    )
    const calls = byId(page.html, 'chart-calls')
    // 120 slots, labelled on each local hour: 04:33 local is the first slot, 10:30 the last.
    expect([...calls.matchAll(/<text class="x"[^>]*>(.*?)<\/text>/g)].map(([, label]) => label)).toEqual([
      '05:00',
      '06:00',
      '07:00',
      '08:00',
      '09:00',
      '10:00',
    ])
    expect(calls.match(/<rect class="bar"/g)).toHaveLength(4)

    const day = await pageAt('2026-11-23T08:30:00Z', '/console/health?hours=24')
    expect(day.status).toBe(200)
    expect(rowsOf(day.html, 'calls-data')).toEqual({
      '2026-11-23T07:00:00.000Z': ['1', '0.07'],
      '2026-11-23T08:00:00.000Z': ['8', '0.53'],
    })
    expect(textOf(byId(day.html, 'fallbacks-summary'))).toMatch(/^3 of 10 answers \(30%\)/)
  })

  it('refuses a period it does not offer with a 400 naming the field', async () => {
    const { pageAt } = await startAt()
    for (const hours of ['2', 'abc', '', '6;drop']) {
      const page = await pageAt('2026-11-23T08:30:00Z', `/console/health?hours=${encodeURIComponent(hours)}`)
      expect(page.status).toBe(400)
      expect(textOf(page.html)).toContain('hours: must be 1, 6 or 24 (hours)')
      expect(page.html).toContain('aria-invalid="true"')
      expect(page.html).not.toContain('<svg')
    }
  })

  it('shows a quiet service: the local directory alone, closed and not cached, and empty charts', async () => {
    const { pageAt } = await startAt({}, builtinPlugins)
    const page = await pageAt('2026-11-23T08:30:00Z', '/console/health?hours=1')
    expect(page.status).toBe(200)
    expect([...page.html.matchAll(/<tr id="plugin-([\w-]+)">/g)].map(([, id]) => id)).toEqual(['local-directory'])
    const local = textOf(byId(page.html, 'plugin-local-directory'))
    expect(local).toMatch(/^local-directory closed since .* not cached \(its answers are never cached\) 0 — — not asked$/)
    expect(textOf(byId(page.html, 'chart-calls'))).toContain('No calls in this period')
    expect(textOf(byId(page.html, 'chart-latency'))).toContain('No lookups in this period')
    expect(textOf(byId(page.html, 'calls-summary'))).toBe('0 calls (0 answers to call steps) in the last hour. No calls in this period.')
  })

  it('is for signed-in people only', async () => {
    const { server } = await startAt()
    const response = await fetch(`${server.url}/console/health`, { redirect: 'manual' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/console/sign-in?next=%2Fconsole%2Fhealth')
  })
})
