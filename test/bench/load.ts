/**
 * The load generator of `npm run bench`, in its own process so that it never shares the server's event loop:
 * test/bench/run.ts starts it once per phase with the path of a JSON spec in argv[2], and it prints one JSON line of
 * figures. autocannon's programmatic API; latencies are taken from its `response` events (float ms from
 * process.hrtime) because its histogram keeps whole milliseconds, too coarse for a p50 at one connection.
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

export interface LoadSpec {
  /** http://127.0.0.1:port */
  url: string
  connections: number
  seconds: number
  /** Sent in turn, one per request; `{seq}` in a body becomes `<pid>-<n>`, unique to the phase. */
  requests: { path: string; body: string }[]
}

export interface LoadFigures {
  /** Answers of any status */
  responses: number
  /** Requests written, answered or not (those in flight when the phase ended are not) */
  sent: number
  requestsPerSecond: number
  /** ms, of 2xx answers */
  p50: number
  p99: number
  max: number
  mean: number
  /** Non-2xx answers, socket errors and timeouts */
  errors: number
  statusCodes: Record<string, number>
  /** CPU the load generator itself used over the phase, as a share of one core (1 = a full core) */
  loadCpu: number
  /** CPU this process used from its start (Node's start-up included), ms */
  processCpuMs: number
}

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadSpec
if (!spec.url || !spec.requests?.length) throw new Error('usage: load.ts <file holding a LoadSpec as JSON>')

let sequence = 0
let latencies = new Float64Array(1 << 16)
let count = 0
const cpuBefore = process.cpuUsage()
const started = performance.now()
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    {
      url: spec.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections: spec.connections,
      duration: spec.seconds,
      requests: [
        {
          setupRequest: (request) => {
            const next = spec.requests[sequence % spec.requests.length] as LoadSpec['requests'][number]
            sequence++
            return { ...request, path: next.path, body: next.body.replaceAll('{seq}', `${process.pid}-${sequence}`) }
          },
        },
      ],
    },
    (error, figures) => (error ? reject(error) : resolve(figures)),
  )
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode < 200 || statusCode > 299) return
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2)
      grown.set(latencies)
      latencies = grown
    }
    latencies[count++] = responseTime
  })
})
const elapsedMs = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
const sorted = latencies.subarray(0, count).sort()
let sum = 0
for (const latency of sorted) sum += latency
const figures: LoadFigures = {
  responses: result.requests.total,
  sent: result.requests.sent,
  requestsPerSecond: result.requests.total / result.duration,
  p50: percentile(sorted, 50),
  p99: percentile(sorted, 99),
  max: sorted.at(-1) ?? 0,
  mean: count ? sum / count : 0,
  errors: result.errors + result.timeouts + result.non2xx,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats?.count ?? 0])),
  loadCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
  processCpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
}
console.log(JSON.stringify(figures))
