/**
 * `npx node test/bench/regex-stall.ts`: can a catastrophic rule pattern stall an unrelated call?
 * Loopback only, bounded in time (BENCH_SECONDS per phase, default 3), stops by itself.
 *
 * Starts the real Node server in this process (fresh SQLite file, demo data, port 0) with rules whose
 * patterns a backtracking engine needs exponential time for: `/(\d+)+x/` on typed digits and the glob
 * `*0*0*0*0*0*0*0*0*x` on the caller ID, and the costliest shape the size bound allows on random
 * digits. Prints how long each hostile call (29, 40, 256 and 10,000 digits, a 250-zero caller ID, 256
 * random digits) takes on its own, then times unrelated calls one after the other: alone,
 * beside four loops of benign calls, and beside four loops of hostile calls sent back to back. The
 * figure is what the hostile load adds over the same benign load (the latency an unrelated call gains
 * from the patterns, not from sharing the server), with the event loop's longest block in each phase.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Logger } from '../../src/lib/logger.ts'
import { compilePattern } from '../../src/lib/pattern.ts'
import { startNodeServer } from '../../src/runtime/node.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const HOSTILE_LOOPS = 4

// Whatever happens, this process ends: three phases, the one-at-a-time calls and start-up, with room to spare.
setTimeout(
  () => {
    console.error('regex-stall: did not finish in time')
    process.exit(1)
  },
  (3 * seconds + 120) * 1000,
).unref()

/**
 * The costliest kind of pattern the size bound lets through: nested counted repeats, which random digits
 * keep from settling into a few automaton states (Voicenter strips everything but digits, * and #).
 */
const LARGEST = '/(?:(?:[0-9]{1,10}[0-5]{1,10}){4}[3-9]{1,10})+[*#]/'
const RANDOM_DIGITS = Array.from({ length: 200 }, (_, index) => {
  let state = (index + 1) * 2_654_435_761
  let digits = ''
  for (let i = 0; i < 256; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    digits += String(state % 10)
  }
  return digits
})

const quiet: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => console.error(message, fields ?? '') }

// What the service used to do: V8's RegExp, on only 22 digits (each digit more doubles it).
const v8Started = performance.now()
;/(\d+)+x/.test('1'.repeat(22))
const v8Ms = performance.now() - v8Started

// The matcher alone, without HTTP around it: per hostile value, the time of one test over 200 rounds.
const matcherTimes = (() => {
  const digits = compilePattern('/(\\d+)+x/')
  const glob = compilePattern('*0*0*0*0*0*0*0*0*x')
  const largest = compilePattern(LARGEST)
  const cases: [string, (round: number) => boolean][] = [
    ...[29, 40, 256, 10_000].map((count): [string, (round: number) => boolean] => {
      const value = '1'.repeat(count)
      return [`/(\\d+)+x/ on ${count} digits`, () => digits.test(value)]
    }),
    ['*0*0*0*0*0*0*0*0*x on 250 zeros', () => glob.test('0'.repeat(250))],
    // A new value each round: the automaton has to build states it has not seen.
    [`${LARGEST} on 256 random digits`, (round) => largest.test(RANDOM_DIGITS[round % RANDOM_DIGITS.length] as string)],
  ]
  return cases.map(([label, run]) => {
    const times: number[] = []
    for (let round = 0; round < 200; round++) {
      const started = performance.now()
      run(round)
      times.push(performance.now() - started)
    }
    return { label, times: times.sort((a, b) => a - b) }
  })
})()

const directory = mkdtempSync(join(tmpdir(), 'ivr-regex-stall-'))
const server = await startNodeServer({
  env: { DATABASE_PATH: join(directory, 'bench.db'), SEED_DEMO: 'true', RULES_REFRESH_MS: '0' },
  log: quiet,
  port: 0,
  host: '127.0.0.1',
})

const insert = server.database.sqlite.prepare(
  `INSERT INTO rules (name, priority, from_layer, caller, dtmf, action, to_layer, identify_by) VALUES (?, 1, ?, ?, ?, 'go_to_layer', ?, 'none')`,
)
insert.run('nested repeat on digits', '7', null, '/(\\d+)+x/', '77')
insert.run('many-star glob on caller', '1', '*0*0*0*0*0*0*0*0*x', null, '78')
insert.run('largest allowed shape on digits', '8', null, LARGEST, '79')

const webhook = `${server.url}/webhooks/voicenter`
let sequence = 0
const call = async (data: Record<string, string>): Promise<number> => {
  const body = JSON.stringify({
    METHOD: 'IVR_LAYER_INPUT',
    DATA: { DID: '0722776772', CALLER_ID: '0539999999', IVR_UNIQUE_ID: `stall-${++sequence}`, DTMF: '0', LAYER_ID: '1', ...data },
  })
  const started = performance.now()
  const response = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return performance.now() - started
}

const HOSTILE: Record<string, string>[] = [
  { LAYER_ID: '7', DTMF: '1'.repeat(29) },
  { LAYER_ID: '7', DTMF: '1'.repeat(40) },
  { LAYER_ID: '7', DTMF: '1'.repeat(256) },
  { LAYER_ID: '7', DTMF: '1'.repeat(10_000) },
  { LAYER_ID: '1', CALLER_ID: '0'.repeat(250) },
  ...RANDOM_DIGITS.slice(0, 5).map((DTMF) => ({ LAYER_ID: '8', DTMF })),
]

const BENIGN: Record<string, string>[] = [
  { LAYER_ID: '7', DTMF: '1234' },
  { LAYER_ID: '5', DTMF: '12345678' },
  { LAYER_ID: '1', CALLER_ID: '0501234567' },
]

interface Phase {
  label: string
  latencies: number[]
  loopDelayMaxMs: number
  loadCalls: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
const ms = (value: number) => value.toFixed(1)

/** Unrelated calls one at a time for the phase's duration, with HOSTILE_LOOPS loops of `load` alongside. */
const phase = async (label: string, load: Record<string, string>[]): Promise<Phase> => {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const until = performance.now() + seconds * 1000
  let loadCalls = 0
  const loops = Array.from({ length: load.length > 0 ? HOSTILE_LOOPS : 0 }, async (_, loop) => {
    for (let index = loop; performance.now() < until; index++) {
      await call(load[index % load.length] as Record<string, string>)
      loadCalls++
    }
  })
  const latencies: number[] = []
  while (performance.now() < until) latencies.push(await call({}))
  await Promise.all(loops)
  delay.disable()
  return { label, latencies: latencies.sort((a, b) => a - b), loopDelayMaxMs: delay.max / 1e6, loadCalls }
}

/** One kind of call alone, one after the other: how long the server spends on it. */
const kind = async (data: Record<string, string>, count: number) => {
  const latencies: number[] = []
  for (let i = 0; i < count; i++) latencies.push(await call(data))
  return latencies.sort((a, b) => a - b)
}

try {
  for (let i = 0; i < 200; i++) await call(i % 2 ? {} : (HOSTILE[i % HOSTILE.length] as Record<string, string>))
  console.log(
    `V8 RegExp /(\\d+)+x/ on 22 digits, for comparison: ${ms(v8Ms)} ms (doubles per digit: 29 digits ≈ ${ms((v8Ms * 128) / 1000)} s)`,
  )
  console.log('\n| the matcher alone, 200 rounds | p50 ms | p99 ms | max ms |')
  console.log('|---|---:|---:|---:|')
  for (const { label, times } of matcherTimes) {
    console.log(`| ${label} | ${percentile(times, 50).toFixed(3)} | ${percentile(times, 99).toFixed(3)} | ${ms(times.at(-1) ?? 0)} |`)
  }

  console.log('\n| one call at a time | p50 ms | max ms |')
  console.log('|---|---:|---:|')
  for (const [label, data] of [
    ['benign: layer 7, 4 digits', BENIGN[0]],
    ['hostile: 29 digits', HOSTILE[0]],
    ['hostile: 40 digits', HOSTILE[1]],
    ['hostile: 256 digits', HOSTILE[2]],
    ['hostile: 10,000 digits', HOSTILE[3]],
    ['hostile: caller ID of 250 zeros', HOSTILE[4]],
    ['hostile: 256 random digits, largest allowed pattern', HOSTILE[5]],
  ] as const) {
    const latencies = await kind(data as Record<string, string>, 100)
    console.log(`| ${label} | ${ms(percentile(latencies, 50))} | ${ms(latencies.at(-1) ?? 0)} |`)
  }

  const alone = await phase('alone', [])
  const benign = await phase(`${HOSTILE_LOOPS} loops of benign calls`, BENIGN)
  const hostile = await phase(`${HOSTILE_LOOPS} loops of hostile calls`, HOSTILE)
  console.log(
    '\n| unrelated calls, one at a time, with | calls | p50 ms | p99 ms | max ms | event loop max delay ms | load calls answered |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const { label, latencies, loopDelayMaxMs, loadCalls } of [alone, benign, hostile]) {
    console.log(
      `| ${label} | ${latencies.length} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} | ${ms(latencies.at(-1) ?? 0)} | ${ms(loopDelayMaxMs)} | ${loadCalls} |`,
    )
  }
  // Sharing the loop with four busy callers costs an unrelated call something whatever they send; what
  // the patterns add is the hostile phase over the benign one with the same number of callers.
  const addedMax = (hostile.latencies.at(-1) ?? 0) - (benign.latencies.at(-1) ?? 0)
  const addedP99 = percentile(hostile.latencies, 99) - percentile(benign.latencies, 99)
  console.log(
    `\nmax added latency of an unrelated call, hostile over benign load: ${ms(addedMax)} ms (p99: ${ms(addedP99)} ms); done when ≤ 50 ms`,
  )
  console.log(
    `longest event loop block under hostile load: ${ms(hostile.loopDelayMaxMs)} ms (benign load: ${ms(benign.loopDelayMaxMs)} ms)`,
  )
} finally {
  await server.close()
  rmSync(directory, { recursive: true, force: true })
}
