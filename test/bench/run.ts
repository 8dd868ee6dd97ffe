/**
 * `npm run bench`: load on 127.0.0.1 only, bounded in time. Starts the real Node server (demo data, a
 * fresh SQLite file) in a child process, then measures a hello-world route of that same server as the
 * baseline and the Voicenter webhook, and prints both with their ratio.
 *
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 50) tune the run.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

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

const startServer = async (databasePath: string): Promise<{ url: string; child: ChildProcess }> => {
  const child = spawn(process.execPath, [join(root, 'src/runtime/node.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_PATH: databasePath, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
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
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  }
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
  console.log(`\nVoicenter / hello: ${(voicenter.requestsPerSecond / hello.requestsPerSecond).toFixed(3)} of the throughput, ` +
    `p50 ×${(voicenter.p50 / Math.max(hello.p50, 0.001)).toFixed(1)}, p99 ×${(voicenter.p99 / Math.max(hello.p99, 0.001)).toFixed(1)}`)
  if (rows.some((row) => row.errors > 0)) process.exitCode = 1
} finally {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  rmSync(directory, { recursive: true, force: true })
}
