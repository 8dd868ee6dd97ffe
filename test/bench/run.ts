/**
 * `npm run bench`: load on 127.0.0.1 only, bounded in time. Starts the real Node server (demo data, a
 * fresh SQLite file) in a child process, then measures a hello-world route of that same server as the
 * baseline and the Voicenter webhook, and prints both with their ratio.
 *
 * Then HubSpot: a fake HubSpot on loopback answering after 200 ms, 1000 calls from 100 distinct callers
 * (p50/p99 and how many searches reached HubSpot), and a hung HubSpot (the share of calls answered within
 * the lookup deadline + 50 ms).
 *
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 50) tune the run.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { startFakeHubSpot } from '../helpers/fake-hubspot.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const root = fileURLToPath(new URL('../..', import.meta.url))

/** A mix of the demo's flows: caller-ID lookups (found / unknown) and account numbers typed. */
const SCENARIOS = [
  { CALLER_ID: '0501234567', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0541112233', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0539999999', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '1234' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '12345678' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '777' },
]

const startServer = async (databasePath: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> => {
  const child = spawn(process.execPath, [join(root, 'src/runtime/node.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_PATH: databasePath, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s')), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n')) {
        if (!line.includes('"listening"')) continue
        clearTimeout(timer)
        // Quiet from here on: the server logs every fallback answer, which is noise under load.
        child.stdout?.removeAllListeners('data')
        child.stdout?.resume()
        resolve({ url: JSON.parse(line).url as string, child })
        return
      }
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
}

interface Figures {
  route: string
  requestsPerSecond: number
  /** ms, with fractions (autocannon's percentiles are whole milliseconds) */
  mean: number
  p50: number
  p99: number
  errors: number
}

const load = async (route: string, options: autocannon.Options): Promise<Figures> => {
  await autocannon({ ...options, duration: 1, connections }) // warm-up
  const result = await autocannon({ ...options, duration: seconds, connections })
  return {
    route,
    requestsPerSecond: result.requests.average,
    mean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  }
}

const stopServer = async (child: ChildProcess) => {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

/** Sends `bodies` with `concurrency` requests in flight and returns each answer's latency in ms. */
const callAll = async (url: string, bodies: string[], concurrency: number): Promise<number[]> => {
  const latencies: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string
        const started = performance.now()
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        latencies.push(performance.now() - started)
      }
    }),
  )
  return latencies.sort((a, b) => a - b)
}

const CALLERS = Array.from({ length: 100 }, (_, index) => `+9725${String(10_000_000 + index).padStart(8, '0')}`)
const hubspotCalls = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      METHOD: 'IVR_LAYER_INPUT',
      DATA: {
        DID: '0722776772',
        CALLER_ID: `0${(CALLERS[(index * 37) % CALLERS.length] as string).slice(4)}`,
        IVR_UNIQUE_ID: `${prefix}-${index}`,
        DTMF: '0',
        LAYER_ID: '1',
      },
    }),
  )

const benchHubSpot = async () => {
  const fake = await startFakeHubSpot({
    contacts: CALLERS.map((phone, index) => ({
      id: String(1000 + index),
      properties: { firstname: 'Caller', lastname: String(index), phone, hubspot_owner_id: '1042' },
      updatedAt: '2026-11-01T00:00:00.000Z',
    })),
    owners: [{ id: '1042', email: 'john@example.com', firstName: 'John', lastName: 'Doe' }],
  })
  const env = (extra: Record<string, string> = {}) => ({
    CRM_PLUGINS: 'hubspot,local-directory',
    HUBSPOT_ACCESS_TOKEN: fake.token,
    HUBSPOT_BASE_URL: fake.url,
    ...extra,
  })
  const rows: string[] = []
  try {
    for (const [label, extra] of [
      ['HubSpot limit 5 searches/s', {}],
      ['search limit lifted (cache and singleflight only)', { HUBSPOT_SEARCHES_PER_SECOND: '100000' }],
    ] as const) {
      fake.reset()
      fake.latencyMs = 200
      const run = await startServer(join(directory, `hubspot-${rows.length}.db`), env(extra))
      try {
        const started = performance.now()
        const latencies = await callAll(`${run.url}/webhooks/voicenter`, hubspotCalls(1000, `hs${rows.length}`), 50)
        const seconds = (performance.now() - started) / 1000
        rows.push(
          `| 1000 calls, 100 callers, HubSpot +200 ms, ${label} | ${Math.round(percentile(latencies, 50))} | ${Math.round(percentile(latencies, 99))} | ${fake.counts.search} searches, ${fake.counts.owners} owner reads in ${seconds.toFixed(1)} s |`,
        )
      } finally {
        await stopServer(run.child)
      }
    }
    fake.reset()
    fake.mode.search = 'hang'
    const deadline = 1500
    const hung = await startServer(
      join(directory, 'hubspot-hung.db'),
      env({ CRM_PLUGINS: 'hubspot', VOICENTER_LOOKUP_DEADLINE_MS: String(deadline) }),
    )
    try {
      const latencies = await callAll(`${hung.url}/webhooks/voicenter`, hubspotCalls(200, 'hung'), 50)
      const within = latencies.filter((ms) => ms <= deadline + 50).length
      rows.push(
        `| 200 calls, HubSpot hung, deadline ${deadline} ms | ${Math.round(percentile(latencies, 50))} | ${Math.round(percentile(latencies, 99))} | ${((within / latencies.length) * 100).toFixed(1)} % answered within ${deadline + 50} ms (max ${Math.round(latencies.at(-1) ?? 0)} ms), ${fake.counts.search} searches sent |`,
      )
    } finally {
      await stopServer(hung.child)
    }
  } finally {
    await fake.close()
  }
  console.log('\n| HubSpot scenario | p50 ms | p99 ms | HubSpot traffic |')
  console.log('|---|---:|---:|---|')
  for (const row of rows) console.log(row)
}

const directory = mkdtempSync(join(tmpdir(), 'ivr-bench-'))
const { url, child } = await startServer(join(directory, 'bench.db'))
try {
  const hello = await load('GET /healthz (hello world)', { url: `${url}/healthz` })
  let sequence = 0
  const voicenter = await load('POST /webhooks/voicenter', {
    url: `${url}/webhooks/voicenter`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          sequence++
          const scenario = SCENARIOS[sequence % SCENARIOS.length]
          return {
            ...request,
            body: JSON.stringify({
              METHOD: 'IVR_LAYER_INPUT',
              DATA: { DID: '0722776772', IVR_UNIQUE_ID: `bench-${sequence}`, PREVIOUS_LAYER_ID: '1', ...scenario },
            }),
          }
        },
      },
    ],
  })
  const rows = [hello, voicenter]
  console.log(`\n${seconds} s per route, ${connections} connections, 127.0.0.1, Node ${process.version}\n`)
  console.log('| route | req/s | p50 ms | p99 ms | errors |')
  console.log('|---|---:|---:|---:|---:|')
  for (const row of rows) {
    console.log(`| ${row.route} | ${Math.round(row.requestsPerSecond)} | ${row.p50} | ${row.p99} | ${row.errors} |`)
  }
  console.log(
    `\nVoicenter / hello: ${(voicenter.requestsPerSecond / hello.requestsPerSecond).toFixed(3)} of the throughput, ` +
      `mean latency ×${(voicenter.mean / hello.mean).toFixed(1)} (${voicenter.mean.toFixed(2)} vs ${hello.mean.toFixed(2)} ms)` +
      (hello.p99 > 0 ? `, p99 ×${(voicenter.p99 / hello.p99).toFixed(1)}` : ''),
  )
  if (rows.some((row) => row.errors > 0)) process.exitCode = 1
  await stopServer(child)
  await benchHubSpot()
} finally {
  if (child.exitCode === null) await stopServer(child)
  rmSync(directory, { recursive: true, force: true })
}
