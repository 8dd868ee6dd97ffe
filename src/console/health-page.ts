import { type SQL, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { maskPhone } from '../admin/decision-routes.ts'
import type { PluginHealth } from '../crm/lookup-service.ts'
import type { Database } from '../db/database.ts'
import { type ConsoleContext, type ConsoleDeps, type ConsoleEnv, canEdit, consolePage, type Html } from './console-layout.ts'
import { formatNumber, svgChart } from './svg-chart.ts'

/** The periods offered, each with its bucket (≤ 120 points a chart) and how often the time axis is labelled. */
const PERIODS = {
  '1': { hours: 1, bucketSeconds: 60, tickMinutes: 10 },
  '6': { hours: 6, bucketSeconds: 180, tickMinutes: 60 },
  '24': { hours: 24, bucketSeconds: 900, tickMinutes: 180 },
} as const
type PeriodName = keyof typeof PERIODS

const HealthQuery = v.object({
  hours: v.optional(v.picklist(Object.keys(PERIODS) as PeriodName[], 'must be 1, 6 or 24 (hours)'), '6'),
})

/**
 * The decision rows the lookup figures parse (their JSON, per plugin) at most: the newest of the period. Counts
 * of calls and fallbacks read every row of the period; latency and errors past this many are left out.
 */
const LOOKUP_ROWS_LIMIT = 50_000
/** Errors listed per plugin. */
const LAST_ERRORS = 5

/** The period's buckets: aligned on their width in epoch time, the last one holding now. */
interface Period {
  hours: number
  bucketSeconds: number
  tickMinutes: number
  /** Epoch seconds: the first bucket's start and the last one's end. */
  start: number
  end: number
  slots: number
  /** ISO bounds, compared with `decisions.at` (ISO text) so the decisions_at index bounds every query. */
  from: string
  until: string
}

const periodEnding = (name: PeriodName, nowMs: number): Period => {
  const { hours, bucketSeconds, tickMinutes } = PERIODS[name]
  const end = (Math.floor(nowMs / 1000 / bucketSeconds) + 1) * bucketSeconds
  const start = end - hours * 3600
  return {
    hours,
    bucketSeconds,
    tickMinutes,
    start,
    end,
    slots: (end - start) / bucketSeconds,
    from: new Date(start * 1000).toISOString(),
    until: new Date(end * 1000).toISOString(),
  }
}

/** A call step the provider was answered (not a call-status notice). */
const ANSWERED = sql`(action IS NULL OR action NOT LIKE 'status:%')`

/** The bucket of an ISO time, 0 for the period's first. Numbers are bound as REAL: cast, so `/` divides whole. */
const bucketOf = (period: Period, column: SQL) =>
  sql`((CAST(strftime('%s', ${column}) AS INTEGER) - CAST(${period.start} AS INTEGER)) / CAST(${period.bucketSeconds} AS INTEGER))`

/**
 * The period's newest decisions with lookups (bounded), then each lookup as a row. A lookup without a key to
 * look up (caller id withheld, nothing typed) asked nobody and took no time: left out.
 */
const lookupRows = (period: Period) => sql`recent AS (
    SELECT id, at, lookups FROM decisions
    WHERE at >= ${period.from} AND at < ${period.until} AND lookups IS NOT NULL
    ORDER BY at DESC LIMIT ${LOOKUP_ROWS_LIMIT}
  ), looked AS (
    SELECT recent.id, recent.at, lookup.value AS lookup FROM recent, json_each(recent.lookups) AS lookup
    WHERE json_array_length(lookup.value, '$.plugins') > 0 OR json_extract(lookup.value, '$.cache') IS NOT NULL
  )`

/** Nearest-rank percentiles (ceil(p·n)-th smallest) from rows numbered by `position` out of `total`. */
const percentile = (share: number) => sql.raw(`MAX(CASE WHEN position = (${share} * total + 99) / 100 THEN ms END)`)

interface BucketCounts {
  bucket: number
  answers: number
  fallbacks: number
}
interface BucketCalls {
  bucket: number
  calls: number
}
interface BucketLatency {
  bucket: number
  lookups: number
  cached: number
  p50: number | null
  p99: number | null
}
interface PluginFigures {
  plugin: string
  asked: number
  found: number
  notFound: number
  errors: number
  skipped: number
  p50: number | null
  p99: number | null
}
interface PluginError {
  plugin: string
  at: string
  kind: string | null
  reason: string | null
}

/** Every figure of the page, aggregated by SQLite (on D1 as on Node) over the period. */
const readFigures = async (db: Database, period: Period) => {
  const [counts, calls, latency, plugins, errors, parsed] = await Promise.all([
    db.all<BucketCounts>(sql`
      SELECT ${bucketOf(period, sql`at`)} AS bucket, COUNT(*) AS answers,
        SUM(CASE WHEN rule_id IS NULL THEN 1 ELSE 0 END) AS fallbacks
      FROM decisions WHERE at >= ${period.from} AND at < ${period.until} AND ${ANSWERED}
      GROUP BY bucket`),
    // A call counts once, in the bucket of its first step in the period, so the buckets add up to the calls.
    db.all<BucketCalls>(sql`
      SELECT bucket, COUNT(*) AS calls FROM (
        SELECT ${bucketOf(period, sql`MIN(at)`)} AS bucket FROM decisions
        WHERE at >= ${period.from} AND at < ${period.until} AND ${ANSWERED}
        GROUP BY provider, COALESCE(call_id, 'request ' || id)
      ) GROUP BY bucket`),
    // Bucket -1 is the whole period.
    db.all<BucketLatency>(sql`
      WITH ${lookupRows(period)}, timed AS (
        SELECT ${bucketOf(period, sql`at`)} AS bucket, CAST(json_extract(lookup, '$.ms') AS REAL) AS ms,
          json_extract(lookup, '$.cache') IS NOT NULL AS cached
        FROM looked
      ), everything AS (SELECT bucket, ms, cached FROM timed UNION ALL SELECT -1, ms, cached FROM timed),
      ranked AS (
        SELECT bucket, ms, cached, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY ms) AS position,
          COUNT(*) OVER (PARTITION BY bucket) AS total
        FROM everything
      )
      SELECT bucket, COUNT(*) AS lookups, SUM(cached) AS cached, ${percentile(50)} AS p50, ${percentile(99)} AS p99
      FROM ranked GROUP BY bucket`),
    // Per plugin: what it answered, and how long the lookups it was asked took (a skipped plugin was not asked).
    db.all<PluginFigures>(sql`
      WITH ${lookupRows(period)}, asked AS (
        SELECT json_extract(entry.value, '$.plugin') AS plugin, json_extract(entry.value, '$.outcome') AS outcome,
          CAST(json_extract(entry.value, '$.ms') AS REAL) AS ms
        FROM looked, json_each(looked.lookup, '$.plugins') AS entry
      ), ranked AS (
        SELECT plugin, outcome, ms,
          ROW_NUMBER() OVER (PARTITION BY plugin, outcome = 'skipped' ORDER BY ms) AS position,
          SUM(outcome <> 'skipped') OVER (PARTITION BY plugin) AS total
        FROM asked
      )
      SELECT plugin, SUM(outcome <> 'skipped') AS asked, SUM(outcome = 'found') AS found, SUM(outcome = 'not_found') AS notFound,
        SUM(outcome = 'error') AS errors, SUM(outcome = 'skipped') AS skipped,
        MAX(CASE WHEN outcome <> 'skipped' AND position = (50 * total + 99) / 100 THEN ms END) AS p50,
        MAX(CASE WHEN outcome <> 'skipped' AND position = (99 * total + 99) / 100 THEN ms END) AS p99
      FROM ranked GROUP BY plugin`),
    db.all<PluginError>(sql`
      WITH ${lookupRows(period)}, failed AS (
        SELECT json_extract(entry.value, '$.plugin') AS plugin, looked.at AS at, json_extract(entry.value, '$.kind') AS kind,
          json_extract(entry.value, '$.reason') AS reason,
          ROW_NUMBER() OVER (PARTITION BY json_extract(entry.value, '$.plugin') ORDER BY looked.at DESC, looked.id DESC) AS latest
        FROM looked, json_each(looked.lookup, '$.plugins') AS entry
        WHERE json_extract(entry.value, '$.outcome') = 'error'
      )
      SELECT plugin, at, kind, reason FROM failed WHERE latest <= ${LAST_ERRORS} ORDER BY plugin, at DESC`),
    db.all<{ parsed: number }>(sql`WITH ${lookupRows(period)} SELECT COUNT(*) AS parsed FROM recent`),
  ])
  const perSlot = <Row extends { bucket: number }>(rows: Row[]) => {
    const slots = new Map<number, Row>()
    for (const row of rows) if (row.bucket >= 0 && row.bucket < period.slots) slots.set(row.bucket, row)
    return slots
  }
  return {
    counts: perSlot(counts),
    calls: perSlot(calls),
    latency: perSlot(latency),
    overall: latency.find((row) => row.bucket === -1),
    plugins: new Map(plugins.map((row) => [row.plugin, row])),
    errors,
    truncated: (parsed[0]?.parsed ?? 0) >= LOOKUP_ROWS_LIMIT,
  }
}
type Figures = Awaited<ReturnType<typeof readFigures>>

/** Phone numbers inside free text (a CRM's error message), masked as the decision log masks callers. */
const maskNumbersIn = (text: string) => text.replace(/\+?\d{7,15}/g, (number) => maskPhone(number) ?? number)

const lastHours = ({ hours }: Period) => (hours === 1 ? 'hour' : `${hours} hours`)
const percent = (part: number, whole: number) => (whole > 0 ? `${formatNumber((part / whole) * 100, 0)}%` : '—')
const milliseconds = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${formatNumber(value)} ms`)

const CIRCUIT_BADGE: Record<PluginHealth['circuit'], string> = { closed: 'on', 'half-open': 'warn', open: 'bad' }
const CIRCUIT_MEANING: Record<PluginHealth['circuit'], string> = {
  closed: 'asked on every lookup',
  open: 'left alone after repeated failures: its lookups are skipped',
  'half-open': 'the next lookup tries it again',
}

/**
 * /console/health: per CRM plugin its circuit, cache hit rate, lookup times and last errors; storage; and charts
 * of calls, fallbacks and lookup latency over the last hours. Circuits are this process's (a Worker isolate's);
 * every other figure comes from the decision log, so it is the same on any process and survives a restart.
 */
export const healthPage = ({ db, service, now = Date.now }: ConsoleDeps) => {
  const timeZone = service.config.TIME_ZONE
  const clockTime = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  const dayAndTime = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
  const minuteOfDay = (epochMs: number) => {
    const parts = clockTime.formatToParts(epochMs)
    return Number(parts.find((part) => part.type === 'hour')?.value) * 60 + Number(parts.find((part) => part.type === 'minute')?.value)
  }
  const when = (epochMs: number) => html`<time datetime="${new Date(epochMs).toISOString()}">${dayAndTime.format(epochMs)}</time>`

  const periodForm = (selected: string, problem?: string) =>
    html`<form method="get" action="/console/health" class="toolbar">
      <div class="field${problem ? ' invalid' : ''}">
        <label for="f-hours">Period</label>
        <select id="f-hours" name="hours"${problem ? raw(' aria-invalid="true" aria-describedby="f-hours-error"') : ''}>
          ${Object.entries(PERIODS).map(
            ([name, { hours }]) =>
              html`<option value="${name}"${name === selected ? raw(' selected') : ''}>last ${hours === 1 ? 'hour' : `${hours} hours`}</option>`,
          )}
        </select>
        ${problem ? html`<span class="error" id="f-hours-error">${problem}</span>` : ''}
      </div>
      <button>Show</button>
    </form>`

  const pluginsSection = (c: ConsoleContext, period: Period, figures: Figures) => {
    const health = service.lookups.health()
    const lookups = figures.overall?.lookups ?? 0
    const hits = figures.overall?.cached ?? 0
    const clean = (text: string) => {
      const redacted = service.redact(text)
      return canEdit(c) ? redacted : maskNumbersIn(redacted)
    }
    const errorsOf = (plugin: string) => figures.errors.filter((error) => error.plugin === plugin)
    return html`<h2>CRM plugins</h2>
      <p class="muted">In lookup order. The lookup cache sits in front of the whole chain: a hit spares every plugin.
        Circuits are this process’s own (on Workers, this isolate’s).</p>
      <table id="plugins">
        <thead><tr><th>Plugin</th><th>Circuit</th><th>Cache hits</th><th>Asked</th><th>Lookup p50</th><th>Lookup p99</th><th>Answers</th></tr></thead>
        <tbody>${health.map((plugin) => {
          const row = figures.plugins.get(plugin.id)
          return html`<tr id="plugin-${plugin.id}">
            <td><strong>${plugin.id}</strong></td>
            <td><span class="badge ${CIRCUIT_BADGE[plugin.circuit]}">${plugin.circuit}</span>
              <div class="muted">since ${when(plugin.since)}</div><div class="muted">${CIRCUIT_MEANING[plugin.circuit]}</div></td>
            <td>${
              plugin.cached
                ? html`<span class="cache-rate">${percent(hits, lookups)}</span> <span class="muted">(${hits} of ${lookups} lookups)</span>`
                : html`<span class="cache-rate">not cached</span> <span class="muted">(its answers are never cached)</span>`
            }</td>
            <td class="asked">${row?.asked ?? 0}</td>
            <td class="p50">${milliseconds(row?.p50)}</td>
            <td class="p99">${milliseconds(row?.p99)}</td>
            <td class="answers">${row ? `${row.found} found · ${row.notFound} not found · ${row.errors} failed · ${row.skipped} skipped` : 'not asked'}</td>
          </tr>`
        })}</tbody>
      </table>
      ${health.map((plugin) => {
        const errors = errorsOf(plugin.id)
        return html`<h3>Last errors of ${plugin.id}</h3>
          ${
            errors.length === 0
              ? html`<p class="muted" id="errors-${plugin.id}">No errors in the last ${lastHours(period)}.</p>`
              : html`<table id="errors-${plugin.id}">
                  <thead><tr><th>When</th><th>Kind</th><th>Message</th></tr></thead>
                  <tbody>${errors.map(
                    (error) =>
                      html`<tr><td>${when(Date.parse(error.at))}</td><td>${error.kind ?? 'error'}</td><td class="mono">${clean(error.reason ?? '')}</td></tr>`,
                  )}</tbody>
                </table>`
          }`
      })}`
  }

  const storageSection = async () => {
    // As /health does: a database that recovered while no call came in is seen as healthy at once.
    if (service.storage.problems().length > 0) await service.recheckStorage()
    const problems = service.storage.problems()
    const snapshot = await service.rules.current()
    return html`<h2>Storage</h2>
      <div class="card" id="storage">
        ${
          problems.length === 0
            ? html`<p><span class="badge on">writable</span> The database takes writes.</p>`
            : html`<p><span class="badge bad">failing</span> Calls are answered, but decisions and attempt counts are only kept in memory.</p>
                <ul>${problems.map((problem) => html`<li>${problem.write}: ${service.redact(problem.error)} <span class="muted">since ${when(Date.parse(problem.since))}</span></li>`)}</ul>`
        }
        <p class="muted">${service.decisionLog.pending()} decisions waiting to be written · rules revision ${snapshot.revision}:
          ${snapshot.rules.length} active, ${snapshot.fallbacks.length} fallbacks, ${snapshot.invalid.length} invalid.</p>
      </div>`
  }

  const chartsSection = (period: Period, figures: Figures) => {
    const slotStart = (slot: number) => (period.start + slot * period.bucketSeconds) * 1000
    const slotNames = Array.from({ length: period.slots }, (_, slot) => clockTime.format(slotStart(slot)))
    const ticks = slotNames.flatMap((label, slot) => (minuteOfDay(slotStart(slot)) % period.tickMinutes === 0 ? [{ slot, label }] : []))
    const minutes = period.bucketSeconds / 60
    const every = minutes === 1 ? 'minute' : `${minutes} minutes`
    const slotsWith = <Row>(rows: Map<number, Row>) => [...rows.keys()].sort((a, b) => a - b)
    const timeCell = (slot: number) => html`<td><time datetime="${new Date(slotStart(slot)).toISOString()}">${slotNames[slot]}</time></td>`
    const dataTable = (id: string, headers: string[], rows: Html[], none: string) =>
      rows.length === 0
        ? html`<p class="muted">${none}</p>`
        : html`<details><summary>The figures, per ${every}</summary>
            <table id="${id}"><thead><tr>${headers.map((header) => html`<th>${header}</th>`)}</tr></thead><tbody>${rows}</tbody></table>
          </details>`

    const callsPerMinute = Array.from({ length: period.slots }, (_, slot) => (figures.calls.get(slot)?.calls ?? 0) / minutes)
    const totalCalls = [...figures.calls.values()].reduce((sum, row) => sum + row.calls, 0)
    const totalAnswers = [...figures.counts.values()].reduce((sum, row) => sum + row.answers, 0)
    const busiest = [...figures.calls.values()].sort((a, b) => b.calls - a.calls || a.bucket - b.bucket)[0]
    const calls = html`<h2>Calls per minute</h2>
      <div class="chart-row">
        ${svgChart({
          id: 'chart-calls',
          title: `Calls per minute, last ${lastHours(period)}`,
          description: `${totalCalls} calls in the last ${lastHours(period)} (${timeZone}), each counted at its first step: bars show calls per minute, averaged over each ${every}.`,
          slots: slotNames,
          ticks,
          series: [{ name: 'calls/min', values: callsPerMinute, shape: 'bars' }],
          whole: minutes === 1,
          empty: 'No calls in this period',
        })}
        <div class="summary" id="calls-summary">
          <p><strong>${totalCalls}</strong> calls (${totalAnswers} answers to call steps) in the last ${lastHours(period)}.</p>
          ${busiest ? html`<p>Busiest: ${busiest.calls} calls ${minutes === 1 ? 'at' : `in the ${every} from`} ${slotNames[busiest.bucket]}.</p>` : ''}
          ${dataTable(
            'calls-data',
            ['Time', 'Calls', 'Per minute'],
            slotsWith(figures.calls).map(
              (slot) =>
                html`<tr>${timeCell(slot)}<td class="calls">${figures.calls.get(slot)?.calls}</td><td>${formatNumber(callsPerMinute[slot] ?? 0)}</td></tr>`,
            ),
            'No calls in this period.',
          )}
        </div>
      </div>`

    const fallbackCounts = Array.from({ length: period.slots }, (_, slot) => figures.counts.get(slot)?.fallbacks ?? 0)
    const totalFallbacks = fallbackCounts.reduce((sum, count) => sum + count, 0)
    const fallbacks = html`<h2>Fallbacks per ${every}</h2>
      <div class="chart-row">
        ${svgChart({
          id: 'chart-fallbacks',
          title: `Fallback answers, last ${lastHours(period)}`,
          description: `${totalFallbacks} of ${totalAnswers} answers in the last ${lastHours(period)} (${timeZone}) came from a fallback (no rule matched): bars show them per ${every}.`,
          slots: slotNames,
          ticks,
          series: [{ name: 'fallbacks', values: fallbackCounts, shape: 'bars', second: true }],
          whole: true,
          empty: 'No answers in this period',
        })}
        <div class="summary" id="fallbacks-summary">
          <p><strong>${totalFallbacks}</strong> of ${totalAnswers} answers (${percent(totalFallbacks, totalAnswers)}) came from a fallback: no rule matched.</p>
          ${dataTable(
            'fallbacks-data',
            ['Time', 'Fallbacks', 'Answers'],
            slotsWith(figures.counts)
              .filter((slot) => (figures.counts.get(slot)?.fallbacks ?? 0) > 0)
              .map(
                (slot) =>
                  html`<tr>${timeCell(slot)}<td class="fallbacks">${figures.counts.get(slot)?.fallbacks}</td><td>${figures.counts.get(slot)?.answers}</td></tr>`,
              ),
            'No fallbacks in this period.',
          )}
        </div>
      </div>`

    const overall = figures.overall
    const latency = html`<h2>Lookup latency</h2>
      <div class="chart-row">
        ${svgChart({
          id: 'chart-latency',
          title: `CRM lookup time, last ${lastHours(period)}`,
          description: `The median (p50) and 99th percentile (p99) time to a lookup's result, cache hits included, per ${every} of the last ${lastHours(period)} (${timeZone}).`,
          slots: slotNames,
          ticks,
          unit: ' ms',
          series: [
            {
              name: 'p50',
              values: Array.from({ length: period.slots }, (_, slot) => figures.latency.get(slot)?.p50 ?? null),
              shape: 'line',
            },
            {
              name: 'p99',
              values: Array.from({ length: period.slots }, (_, slot) => figures.latency.get(slot)?.p99 ?? null),
              shape: 'line',
              second: true,
            },
          ],
          empty: 'No lookups in this period',
        })}
        <div class="summary" id="latency-summary">
          ${
            overall
              ? html`<p>p50 <strong>${milliseconds(overall.p50)}</strong>, p99 <strong>${milliseconds(overall.p99)}</strong> over
                  ${overall.lookups} lookups (${overall.cached} answered from the cache).</p>`
              : ''
          }
          ${figures.truncated ? html`<p class="warning">Only the newest ${LOOKUP_ROWS_LIMIT} answers with lookups are counted.</p>` : ''}
          ${dataTable(
            'latency-data',
            ['Time', 'Lookups', 'p50', 'p99'],
            slotsWith(figures.latency).map((slot) => {
              const row = figures.latency.get(slot)
              return html`<tr>${timeCell(slot)}<td class="lookups">${row?.lookups}</td><td>${milliseconds(row?.p50)}</td><td>${milliseconds(row?.p99)}</td></tr>`
            }),
            'No lookups in this period.',
          )}
        </div>
      </div>`
    return html`${calls}${fallbacks}${latency}`
  }

  return new Hono<ConsoleEnv>().get('/health', async (c) => {
    const parsed = v.safeParse(HealthQuery, { hours: c.req.query('hours') })
    if (!parsed.success) {
      const problem = parsed.issues[0]?.message ?? 'is not valid'
      return consolePage(c, {
        title: 'Health',
        status: 400,
        notice: { kind: 'error', text: `hours: ${problem}` },
        body: periodForm(c.req.query('hours') ?? '', problem),
      })
    }
    const period = periodEnding(parsed.output.hours, now())
    const figures = await readFigures(db, period)
    return consolePage(c, {
      title: 'Health',
      body: html`${periodForm(parsed.output.hours)}
        <p class="muted">From ${when(period.start * 1000)} to now (${timeZone}), from the decision log.</p>
        ${pluginsSection(c, period, figures)}
        ${await storageSection()}
        ${chartsSection(period, figures)}`,
    })
  })
}
