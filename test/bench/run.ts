/**
 * `npm run bench`: load on 127.0.0.1 only, bounded in time (about 2 minutes with the defaults).
 *
 * Each server runs in its own process, one after the other: a Hono hello-world POST JSON route
 * (test/bench/hello-server.ts, the service's Hono and @hono/node-server) as the baseline, then the real
 * `src/runtime/node.ts` (demo rules and contacts, a fresh SQLite file in a temp directory) for the Voicenter
 * routed call, a Routee COLLECT step and a cached HubSpot hit. The load comes from autocannon in another
 * process (test/bench/load.ts); with two or more CPUs and taskset, the server is pinned to CPU 0 and the load
 * generator to CPU 1. Per route: warm-up, BENCH_SECONDS at BENCH_CONNECTIONS, then half as long at 1
 * connection; the server's RSS (/proc/<pid>/status) at start, after warm-up and at the end, its CPU time
 * per request (/proc/<pid>/stat), and the SQLite file's growth per 1,000 calls (db + wal after a checkpoint).
 *
 * Then HubSpot under trouble: a fake HubSpot answering after 200 ms (1000 calls from 100 callers, p50/p99 and
 * how many searches reached it) and a hung HubSpot (the share of calls answered within the lookup deadline).
 *
 * Last, the Worker (test/bench/worker.ts, also `npm run bench:worker`): CPU time per Voicenter call in workerd
 * against a hello-world Worker, at BENCH_WORKER_CONNECTIONS (default 10).
 *
 * BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50), BENCH_PIN=0 (no CPU pinning); BENCH_ONLY=Voicenter
 * (or Routee, HubSpot, trouble, worker, comma-separated) measures the hello-world baseline and those alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import type { LoadFigures, LoadSpec } from './load.ts'
import { VOICENTER_SCENARIOS, voicenterBody } from './voicenter-calls.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const warmupSeconds = Math.min(2, seconds)
const singleSeconds = Math.max(1, Math.ceil(seconds / 2))
const root = fileURLToPath(new URL('../..', import.meta.url))
const directory = mkdtempSync(join(tmpdir(), 'ivr-bench-'))
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100
const pin =
  process.env.BENCH_PIN !== '0' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0
const SERVER_CPU = 0
const LOAD_CPU = 1

// Whatever happens, the bench ends and takes its children with it.
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(directory, { recursive: true, force: true })
})
process.once('SIGINT', () => process.exit(130))
setTimeout(
  () => {
    console.error('bench: did not finish in time')
    process.exit(1)
  },
  // Four servers, the HubSpot trouble runs and the Worker bench (two wrangler dev start-ups).
  (4 * (warmupSeconds + seconds + singleSeconds + 40) + 120 + 2 * (warmupSeconds + seconds) + 180) * 1000,
).unref()

/** Node (the one running this script, 22) on `cpu` when pinning, else wherever the scheduler puts it. */
const spawnNode = (cpu: number, args: string[], options: Parameters<typeof spawn>[2]) => {
  const child = pin ? spawn('taskset', ['-c', String(cpu), process.execPath, ...args], options) : spawn(process.execPath, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

interface Server {
  url: string
  child: ChildProcess
  pid: number
}

/** A server process (taskset execs node, so the pid is node's), once it prints its "listening" line. */
const startServer = async (script: string, env: Record<string, string> = {}): Promise<Server> => {
  const child = spawnNode(SERVER_CPU, [join(root, script)], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 20 s`)), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n')) {
        if (!line.includes('"listening"')) continue
        clearTimeout(timer)
        // Its log lines go nowhere from here on (read and dropped, as a log collector would).
        child.stdout?.removeAllListeners('data')
        child.stdout?.resume()
        resolve({ url: JSON.parse(line).url as string, child, pid: child.pid as number })
        return
      }
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
}

const stopServer = async ({ child }: Server) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Resident memory of a process, in MiB: now (VmRSS) and its peak (VmHWM). */
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
  return { rss: field('VmRSS'), peak: field('VmHWM') }
}

/** CPU time a process has used (user + system), in ms. */
const cpuMs = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

/** CPU time all CPUs have spent busy (not idle, not waiting for I/O) since boot, in ms (/proc/stat). */
const machineBusyMs = () => {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number)
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0)
  return ((total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) * 1000) / clockTicks
}

/** One phase of load from its own process; see load.ts. */
const load = async (url: string, requests: LoadSpec['requests'], phaseConnections: number, phaseSeconds: number): Promise<LoadFigures> => {
  const specPath = join(directory, `load-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
  const spec: LoadSpec = { url, connections: phaseConnections, seconds: phaseSeconds, requests }
  writeFileSync(specPath, JSON.stringify(spec))
  const child = spawnNode(LOAD_CPU, [join(root, 'test/bench/load.ts'), specPath], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`load generator exited with ${code}`)
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadFigures
}

/**
 * The SQLite file after a checkpoint (TRUNCATE: the WAL's content moved into the db, the WAL emptied), from a
 * connection of this process; `walBefore` is the WAL as the server's own checkpoints left it, and `busy` says
 * the checkpoint could not complete (a reader or writer of the server kept it from it, retried for a second).
 */
const database = async (path: string) => {
  const size = (file: string) => {
    try {
      return statSync(file).size
    } catch {
      return 0
    }
  }
  const walBefore = size(`${path}-wal`)
  const sqlite = new BetterSqlite3(path, { fileMustExist: true })
  try {
    sqlite.pragma('busy_timeout = 100')
    let busy = true
    for (let attempt = 0; busy && attempt < 10; attempt++) {
      if (attempt > 0) await sleep(100)
      busy = (sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy !== 0
    }
    const decisions = (sqlite.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    return { bytes: size(path) + size(`${path}-wal`), walBefore, busy, decisions }
  } finally {
    sqlite.close()
  }
}

/** POSTs one JSON body and returns the answer's text; throws on a non-2xx. */
const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${text.slice(0, 300)}`)
  return text
}

/** Runs `task` over `items` with `concurrency` in flight. */
const eachLimited = async <T, R>(items: T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await task(items[index] as T)
      }
    }),
  )
  return results
}

/** Account numbers typed at the Routee collect step: with a balance due, without, unknown. */
const ROUTEE_TONES = ['1234', '12345678', '777']
const ROUTEE_CALLS = 600

/** HubSpot's contacts: 100 callers, owned by the demo owner John Doe (whose layer the owner map knows). */
const CALLERS = Array.from({ length: 100 }, (_, index) => `+9725${String(10_000_000 + index).padStart(8, '0')}`)
const nationalCaller = (index: number) => `0${(CALLERS[index % CALLERS.length] as string).slice(4)}`

interface Target {
  label: string
  /** Short name for the memory table */
  server: string
  script: string
  env?: Record<string, string>
  /** Readies the server (warms caches, collects signed states) and returns the requests of the load. */
  prepare(url: string): Promise<LoadSpec['requests']>
  /** The SQLite file, for its growth; none for the hello-world server. */
  databasePath?: string
  /** Said under the tables: what was sent. */
  note: () => string
  /** Called once the measured phases are over. */
  finish?: () => void
}

interface Measured {
  target: Target
  many: LoadFigures
  single: LoadFigures
  serverCpuPerRequestUs: number
  rss: { start: number; warm: number; end: number; peak: number }
  /** CPUs other processes kept busy during the many-connection phase, on average */
  otherCpus: number
  growthPer1000?: number
  /** The WAL as the server left it at the end (bytes), and whether our checkpoint could not complete */
  wal?: { size: number; busy: boolean }
  /** Decisions recorded over the measured phases, 2xx answers read, requests in flight when a phase ended */
  decisions?: { recorded: number; answered: number; inFlight: number }
}

const measure = async (target: Target): Promise<Measured> => {
  const server = await startServer(target.script, target.env)
  try {
    const start = memory(server.pid).rss
    const requests = await target.prepare(server.url)
    await load(server.url, requests, connections, warmupSeconds)
    const warm = memory(server.pid).rss
    const before = target.databasePath ? await database(target.databasePath) : undefined
    const cpuBefore = cpuMs(server.pid)
    const machineBefore = machineBusyMs()
    const ownBefore = process.cpuUsage()
    const wallBefore = performance.now()
    const many = await load(server.url, requests, connections, seconds)
    const serverCpu = cpuMs(server.pid) - cpuBefore
    const own = process.cpuUsage(ownBefore)
    // What neither the server, the load generator nor this process used: other work on the machine.
    const otherCpus = Math.max(
      0,
      (machineBusyMs() - machineBefore - serverCpu - many.processCpuMs - (own.user + own.system) / 1000) / (performance.now() - wallBefore),
    )
    const serverCpuPerRequestUs = (serverCpu * 1000) / Math.max(1, many.responses)
    const single = await load(server.url, requests, 1, singleSeconds)
    const after = target.databasePath ? await database(target.databasePath) : undefined
    const end = memory(server.pid)
    target.finish?.()
    const recorded = before && after ? after.decisions - before.decisions : 0
    return {
      target,
      many,
      single,
      serverCpuPerRequestUs,
      otherCpus,
      rss: { start, warm, end: end.rss, peak: end.peak },
      ...(before && after && recorded > 0
        ? {
            growthPer1000: ((after.bytes - before.bytes) / recorded) * 1000,
            wal: { size: after.walBefore, busy: before.busy || after.busy },
            decisions: {
              recorded,
              answered: many.responses + single.responses - many.errors - single.errors,
              inFlight: many.sent + single.sent - many.responses - single.responses,
            },
          }
        : {}),
    }
  } finally {
    await stopServer(server)
  }
}

const fakeHubSpot = async () =>
  startFakeHubSpot({
    contacts: CALLERS.map((phone, index) => ({
      id: String(1000 + index),
      properties: { firstname: 'Caller', lastname: String(index), phone, hubspot_owner_id: '1042' },
      updatedAt: '2026-11-01T00:00:00.000Z',
    })),
    owners: [{ id: '1042', email: 'john@example.com', firstName: 'John', lastName: 'Doe' }],
  })

const hubspotEnv = (fake: FakeHubSpot, extra: Record<string, string> = {}) => ({
  CRM_PLUGINS: 'hubspot,local-directory',
  HUBSPOT_ACCESS_TOKEN: fake.token,
  HUBSPOT_BASE_URL: fake.url,
  ...extra,
})

const targets = (fake: FakeHubSpot): Target[] => {
  const hubspotSearches = { before: 0, after: 0 }
  return [
    {
      label: 'hello-world POST JSON (baseline)',
      server: 'hello-world',
      script: 'test/bench/hello-server.ts',
      note: () => 'hello-world: POST /hello with a Voicenter-sized JSON body, read and answered with a small JSON body.',
      prepare: async (url) => {
        const requests = [{ path: '/hello', body: voicenterBody({ ...VOICENTER_SCENARIOS[0], IVR_UNIQUE_ID: 'hello-{seq}' }) }]
        await post(`${url}/hello`, JSON.parse(requests[0]?.body as string))
        return requests
      },
    },
    {
      label: 'Voicenter routed call, local directory',
      server: 'Voicenter',
      script: 'src/runtime/node.ts',
      databasePath: join(directory, 'voicenter.db'),
      env: { DATABASE_PATH: join(directory, 'voicenter.db') },
      note: () =>
        `Voicenter: POST /webhooks/voicenter, the demo's flows in turn (${VOICENTER_SCENARIOS.length}: the caller ID of a VIP, of a known caller, unknown; an account number with a balance due, one without, an unknown one), a new IVR_UNIQUE_ID per request.`,
      prepare: async (url) => {
        const requests = VOICENTER_SCENARIOS.map((scenario) => ({
          path: '/webhooks/voicenter',
          body: voicenterBody({ ...scenario, IVR_UNIQUE_ID: 'vc-{seq}' }),
        }))
        for (const request of requests) await post(`${url}${request.path}`, JSON.parse(request.body))
        return requests
      },
    },
    {
      label: 'Routee collect step (signed state)',
      server: 'Routee',
      script: 'src/runtime/node.ts',
      databasePath: join(directory, 'routee.db'),
      env: { DATABASE_PATH: join(directory, 'routee.db') },
      note: () =>
        `Routee: ${ROUTEE_CALLS} inbound calls from an unknown caller first (each dial plan's COLLECT eventUrl carries a signed state), then COLLECT posts to those eventUrls with the account numbers ${ROUTEE_TONES.join(', ')} in turn.`,
      prepare: async (url) => {
        const calls = Array.from({ length: ROUTEE_CALLS }, (_, index) => `rt-${index}`)
        const eventPaths = await eachLimited(calls, 8, async (callId) => {
          const plan = JSON.parse(
            await post(`${url}/webhooks/routee`, {
              messageId: `m-${callId}`,
              conversationTrackingId: callId,
              from: '972539999999',
              to: '972722776772',
            }),
          ) as { verbs?: { type: string; eventUrl?: string }[] }
          const eventUrl = plan.verbs?.find((verb) => verb.type === 'COLLECT')?.eventUrl
          if (!eventUrl) throw new Error(`Routee dial plan without a COLLECT: ${JSON.stringify(plan).slice(0, 300)}`)
          const { pathname, search } = new URL(eventUrl)
          return { callId, path: pathname + search }
        })
        const requests = eventPaths.map(({ callId, path }, index) => ({
          path,
          body: JSON.stringify({
            messageId: 'm-{seq}',
            conversationTrackingId: callId,
            collectedTones: ROUTEE_TONES[index % ROUTEE_TONES.length],
          }),
        }))
        const answer = JSON.parse(await post(`${url}${requests[0]?.path}`, JSON.parse(requests[0]?.body as string))) as {
          verbs?: unknown[]
        }
        if (!answer.verbs?.length) throw new Error(`Routee COLLECT answered without verbs: ${JSON.stringify(answer).slice(0, 300)}`)
        return requests
      },
    },
    {
      label: 'HubSpot cached hit',
      server: 'HubSpot',
      script: 'src/runtime/node.ts',
      databasePath: join(directory, 'hubspot-cached.db'),
      env: {
        DATABASE_PATH: join(directory, 'hubspot-cached.db'),
        ...hubspotEnv(fake, { CRM_PLUGINS: 'hubspot', HUBSPOT_SEARCHES_PER_SECOND: '100000' }),
      },
      note: () =>
        `HubSpot: Voicenter calls at layer 1 from ${CALLERS.length} callers HubSpot knows (CRM_PLUGINS=hubspot against the fake HubSpot on loopback, call logging on, the search limit lifted for the warm-up), each looked up once before the warm-up; HubSpot searches during the measured phases: ${hubspotSearches.after - hubspotSearches.before}.`,
      finish: () => {
        hubspotSearches.after = fake.counts.search
      },
      prepare: async (url) => {
        fake.reset()
        const requests = CALLERS.map((_, index) => ({
          path: '/webhooks/voicenter',
          body: voicenterBody({ CALLER_ID: nationalCaller(index), LAYER_ID: '1', DTMF: '0', IVR_UNIQUE_ID: 'hs-{seq}' }),
        }))
        // Every caller once: from then on all are in the lookup cache.
        await eachLimited(requests, 10, async (request) => post(`${url}${request.path}`, JSON.parse(request.body.replace('{seq}', 'warm'))))
        if (fake.counts.search < CALLERS.length) throw new Error(`HubSpot saw ${fake.counts.search} searches for ${CALLERS.length} callers`)
        hubspotSearches.before = fake.counts.search
        return requests
      },
    },
  ]
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

/** Sends `bodies` with `concurrency` requests in flight and returns each answer's latency in ms. */
const callAll = async (url: string, bodies: string[], concurrency: number): Promise<number[]> => {
  const latencies = await eachLimited(bodies, concurrency, async (body) => {
    const started = performance.now()
    await post(url, JSON.parse(body))
    return performance.now() - started
  })
  return latencies.sort((a, b) => a - b)
}

const hubspotCalls = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, index) =>
    voicenterBody({ CALLER_ID: nationalCaller(index * 37), IVR_UNIQUE_ID: `${prefix}-${index}`, DTMF: '0', LAYER_ID: '1' }),
  )

/** HubSpot slow and rate-limited, then hung: latencies from this process (fetch), 50 calls in flight. */
const hubspotTrouble = async (fake: FakeHubSpot) => {
  const rows: string[] = []
  for (const [label, extra] of [
    ['HubSpot limit 5 searches/s', {}],
    ['search limit lifted (cache and singleflight only)', { HUBSPOT_SEARCHES_PER_SECOND: '100000' }],
  ] as const) {
    fake.reset()
    fake.latencyMs = 200
    const run = await startServer('src/runtime/node.ts', {
      DATABASE_PATH: join(directory, `hubspot-${rows.length}.db`),
      ...hubspotEnv(fake, extra),
    })
    try {
      const started = performance.now()
      const latencies = await callAll(`${run.url}/webhooks/voicenter`, hubspotCalls(1000, `hs${rows.length}`), 50)
      const elapsed = (performance.now() - started) / 1000
      rows.push(
        `| 1000 calls, 100 callers, HubSpot +200 ms, ${label} | ${Math.round(percentile(latencies, 50))} | ${Math.round(percentile(latencies, 99))} | ${fake.counts.search} searches, ${fake.counts.owners} owner reads in ${elapsed.toFixed(1)} s |`,
      )
    } finally {
      await stopServer(run)
    }
  }
  fake.reset()
  fake.mode.search = 'hang'
  const deadline = 1500
  const hung = await startServer('src/runtime/node.ts', {
    DATABASE_PATH: join(directory, 'hubspot-hung.db'),
    ...hubspotEnv(fake, { CRM_PLUGINS: 'hubspot', VOICENTER_LOOKUP_DEADLINE_MS: String(deadline) }),
  })
  try {
    const latencies = await callAll(`${hung.url}/webhooks/voicenter`, hubspotCalls(200, 'hung'), 50)
    const within = latencies.filter((ms) => ms <= deadline + 50).length
    rows.push(
      `| 200 calls, HubSpot hung, deadline ${deadline} ms | ${Math.round(percentile(latencies, 50))} | ${Math.round(percentile(latencies, 99))} | ${((within / latencies.length) * 100).toFixed(1)} % answered within ${deadline + 50} ms (max ${Math.round(latencies.at(-1) ?? 0)} ms), ${fake.counts.search} searches sent |`,
    )
  } finally {
    await stopServer(hung)
  }
  return rows
}

const thousands = (value: number) => Math.round(value).toLocaleString('en-US')
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
const us = (value: number) => `${Math.round(value * 1000)} µs`
const mib = (value: number) => value.toFixed(1)

/** The commit measured, and whether the server's code differs from it (src/, plugins/, migrations/). */
const revision = () => {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? ''
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown'
  return git('status', '--porcelain', '--', 'src', 'plugins', 'migrations') ? `${commit} with uncommitted changes in src/` : commit
}

/** test/bench/commit-floor.ts on the route's database, pinned as the server was: the durable write alone. */
const commitFloor = ({ target }: Measured): { p50: number; p99: number } | undefined => {
  if (!target.databasePath) return undefined
  const script = join(root, 'test/bench/commit-floor.ts')
  const args = pin ? ['-c', String(SERVER_CPU), process.execPath, script, target.databasePath] : [script, target.databasePath]
  const run = spawnSync(pin ? 'taskset' : process.execPath, args, { cwd: root, encoding: 'utf8' })
  if (run.status !== 0) {
    console.error(`test/bench/commit-floor.ts ended with ${run.status ?? run.signal}: ${run.stderr}`)
    return undefined
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}')
}

const startedAt = performance.now()
const load1 = loadavg()[0] ?? 0
const fake = await fakeHubSpot()
try {
  const results: Measured[] = []
  // BENCH_ONLY=Voicenter,Routee,HubSpot,trouble,worker (any of them) runs the hello-world baseline and those alone.
  const only = process.env.BENCH_ONLY?.toLowerCase().split(',')
  for (const [index, target] of targets(fake).entries()) {
    if (index === 0 || !only || only.includes(target.server.toLowerCase())) results.push(await measure(target))
  }
  const trouble = !only || only.includes('trouble') ? await hubspotTrouble(fake) : []
  const hello = results[0] as Measured
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown CPU'

  console.log(
    `\n## npm run bench: ${connections} connections for ${seconds} s, then 1 connection for ${singleSeconds} s, per route after ${warmupSeconds} s of warm-up (127.0.0.1)`,
  )
  console.log(
    `\nCode ${revision()}. Node ${process.version}, ${availableParallelism()} CPUs (${cpuModel}), load average ${load1.toFixed(2)} when the bench started. ` +
      (pin
        ? `Cores: each server runs alone in its own process pinned to CPU ${SERVER_CPU} (with its GC and libuv threads); autocannon runs in another process pinned to CPU ${LOAD_CPU} (taskset; BENCH_PIN=0 to let the scheduler place them).`
        : `Cores: each server runs alone in its own process, autocannon in another; not pinned (${process.env.BENCH_PIN === '0' ? 'BENCH_PIN=0' : 'fewer than 2 CPUs or no taskset'}): the scheduler shares the cores between them.`),
  )
  console.log(
    `\n| route | req/s at ${connections} conns | ratio to hello-world | p99 at ${connections} conns | p50 at 1 conn | server CPU per request | errors |`,
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const { target, many, single, serverCpuPerRequestUs } of results) {
    console.log(
      `| ${target.label} | ${thousands(many.requestsPerSecond)} | ${(many.requestsPerSecond / hello.many.requestsPerSecond).toFixed(3)} | ${ms(many.p99)} | ${us(single.p50)} | ${Math.round(serverCpuPerRequestUs)} µs | ${many.errors + single.errors} |`,
    )
  }
  console.log(
    `\n| server process | RSS at start MiB | after warm-up | at the end | peak | SQLite growth per 1,000 calls (db + wal after a checkpoint) | WAL at the end, before the checkpoint | decisions recorded / answers read (+ requests in flight at the cut-off) |`,
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const { target, rss, growthPer1000, wal, decisions } of results) {
    console.log(
      `| ${target.server} | ${mib(rss.start)} | ${mib(rss.warm)} | ${mib(rss.end)} | ${mib(rss.peak)} | ${growthPer1000 === undefined ? '—' : `${thousands(growthPer1000)} bytes`} | ${wal ? `${mib(wal.size / 1024 ** 2)} MiB${wal.busy ? ' (checkpoint blocked: kept)' : ''}` : '—'} | ${decisions ? `${thousands(decisions.recorded)} / ${thousands(decisions.answered)} (+${decisions.inFlight})` : '—'} |`,
    )
  }
  console.log('')
  for (const { target } of results) console.log(`- ${target.note()}`)
  const busiest = results.reduce((top, result) => (result.many.loadCpu > top.many.loadCpu ? result : top))
  console.log(
    `- autocannon's own CPU at ${connections} connections: ${results.map(({ target, many }) => `${target.server} ${Math.round(many.loadCpu * 100)} %`).join(', ')} of a core` +
      (busiest.many.loadCpu > 0.9
        ? `: at ${busiest.target.server} the load generator was near a full core, so that req/s is a floor (a ratio to it an upper bound).`
        : '.'),
  )
  console.log(
    `- other processes on the machine kept ${results.map(({ target, otherCpus }) => `${target.server} ${otherCpus.toFixed(2)}`).join(', ')} CPUs busy during the ${connections}-connection phases (/proc/stat, less the server, autocannon and the bench): above ~0.1 the figures are disturbed.`,
  )
  console.log(
    `- server CPU per request against hello-world's (a ratio autocannon's own limit does not cap): ${results
      .slice(1)
      .map(({ target, serverCpuPerRequestUs }) => `${target.server} ×${(serverCpuPerRequestUs / hello.serverCpuPerRequestUs).toFixed(1)}`)
      .join(', ')}.`,
  )
  console.log(
    `- server CPU per request: the server's user + system time over the ${connections}-connection phase (/proc/<pid>/stat) divided by its answers; the latencies are autocannon's, from request written to answer read.`,
  )

  const find = (server: string) => results.find((result) => result.target.server === server)
  const voicenter = find('Voicenter')
  const routee = find('Routee')
  const hubspot = find('HubSpot')
  const ratio = (result: Measured) => result.many.requestsPerSecond / hello.many.requestsPerSecond
  const against = (result: Measured | undefined) => {
    if (!result || !voicenter) return 'not measured'
    const difference = (result.many.requestsPerSecond / voicenter.many.requestsPerSecond - 1) * 100
    return `${Math.abs(difference).toFixed(0)} % ${difference < 0 ? 'below' : 'above'} Voicenter's req/s`
  }
  console.log('\nGoals (issue 14):')
  if (voicenter) {
    console.log(
      `- Voicenter ratio ${ratio(voicenter).toFixed(3)} (goal ≥ 0.30), p99 ${ms(voicenter.many.p99)} (goal < 10 ms), p50 at 1 conn ${us(voicenter.single.p50)} (goal ≤ 150 µs)`,
    )
    const floor = commitFloor(voicenter)
    if (floor) {
      console.log(
        `- the floor under that p50: hello-world's ${us(hello.single.p50)} plus the commit each answer waits for, ${floor.p50} µs (p99 ${floor.p99} µs) for one decision and one call state through the server's writer on an idle core (test/bench/commit-floor.ts), ${us(hello.single.p50 + floor.p50 / 1000)} before any routing`,
      )
    }
  }
  console.log(`- HubSpot cached hit ${against(hubspot)} (goal within 10 %), Routee collect step ${against(routee)} (goal within 20 %)`)

  if (trouble.length > 0) {
    console.log('\n| HubSpot in trouble (calls sent from the bench process, 50 in flight) | p50 ms | p99 ms | HubSpot traffic |')
    console.log('|---|---:|---:|---|')
    for (const row of trouble) console.log(row)
  }
  if (!only || only.includes('worker')) {
    // The same call on Workers: test/bench/worker.ts runs workerd (wrangler dev) beside a hello-world Worker,
    // in a process of its own that cleans up after itself; its table is printed here, its JSON line is not.
    const worker = spawnSync(process.execPath, [join(root, 'test/bench/worker.ts')], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_CONNECTIONS: process.env.BENCH_WORKER_CONNECTIONS ?? '10' },
    })
    console.log(
      worker.stdout
        .trimEnd()
        .split('\n')
        .filter((line) => !line.startsWith('{"worker"'))
        .join('\n'),
    )
    if (worker.status !== 0) {
      // Its progress lines (wrangler started, the checks) only matter when it failed.
      console.error(worker.stderr)
      console.error(`test/bench/worker.ts ended with ${worker.status ?? worker.signal}`)
      process.exitCode = 1
    }
  }
  console.log(`\nbench took ${((performance.now() - startedAt) / 1000).toFixed(0)} s`)
  if (results.some((result) => result.many.errors + result.single.errors > 0)) {
    for (const { target, many, single } of results) {
      if (many.errors + single.errors > 0)
        console.error(`${target.server}: status codes ${JSON.stringify(many.statusCodes)} / ${JSON.stringify(single.statusCodes)}`)
    }
    process.exitCode = 1
  }
} finally {
  await fake.close()
}
