/**
 * `node test/bench/worker.ts`: CPU time per request in workerd, on 127.0.0.1 only, bounded in time (about a minute
 * with the defaults).
 *
 * Two Workers, each run by `wrangler dev` (local mode, state in a temp directory) one after the other: a hello-world
 * Worker (test/bench/hello-worker.ts, what hello-server.ts is on Node) as the baseline, then the real Worker
 * (src/runtime/worker.ts with wrangler.toml's settings, a local D1 migrated first, the demo data it seeds itself)
 * for the Voicenter routed call of test/bench/run.ts. The load comes from test/bench/load.ts in its own process;
 * with two or more CPUs and taskset, wrangler and its workerd processes are pinned to CPU 0 and the load generator
 * to CPU 1. Per Worker: one request per scenario checked, warm-up, then BENCH_SECONDS at BENCH_CONNECTIONS; the CPU
 * time (user + system, /proc/<pid>/stat) of the workerd process running the Worker over that phase, divided by its
 * answers.
 *
 * BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 10: workerd under wrangler dev answers far fewer requests
 * than Node), BENCH_PIN=0 (no CPU pinning). run.ts can import measureWorkers() for the figures alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadFigures, LoadSpec } from './load.ts'
import { VOICENTER_SCENARIOS, voicenterBody } from './voicenter-calls.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
// The CLI itself rather than node_modules/.bin/wrangler: that one's shebang would find whichever `node` is first
// on the PATH, and its wrapper adds a process between us and workerd.
const wranglerCli = join(root, 'node_modules/wrangler/wrangler-dist/cli.js')
const wranglerVersion = (JSON.parse(readFileSync(join(root, 'node_modules/wrangler/package.json'), 'utf8')) as { version: string }).version
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100
const SERVER_CPU = 0
const LOAD_CPU = 1
const STARTUP_MS = 90_000

export interface WorkerBenchOptions {
  /** Measured phase, s (default BENCH_SECONDS or 5); the warm-up is 2 s, or less if this is shorter */
  seconds?: number
  /** Default BENCH_CONNECTIONS or 10 */
  connections?: number
  /** Pin workerd's side to CPU 0 and the load generator to CPU 1 (default: unless BENCH_PIN=0; only with ≥ 2 CPUs and taskset) */
  pin?: boolean
  /** Progress lines (default: stderr) */
  log?: (line: string) => void
}

export interface WorkerFigures {
  label: string
  requestsPerSecond: number
  /** ms, of 2xx answers, from load.ts */
  p50: number
  p99: number
  responses: number
  errors: number
  statusCodes: Record<string, number>
  /** User + system CPU of the workerd process running the Worker over the measured phase, per answer, µs */
  workerdCpuPerRequestUs: number
  /** workerdCpuPerRequestUs over the hello-world Worker's */
  cpuRatioToHello: number
  /** The same for the proxy workerd wrangler dev puts in front of the Worker (0 if there is none) */
  proxyCpuPerRequestUs: number
  /** And for wrangler's own Node process (it prints a log line per request) */
  wranglerCpuPerRequestUs: number
  /** The load generator's CPU, as a share of one core */
  loadCpu: number
  /** CPUs kept busy by other processes on the machine during the measured phase, on average (/proc/stat) */
  otherCpus: number
}

export interface WorkerBenchResult {
  wrangler: string
  seconds: number
  warmupSeconds: number
  connections: number
  pinned: boolean
  hello: WorkerFigures
  voicenter: WorkerFigures
}

// Whatever happens (an error, the global timeout, Ctrl-C), wrangler and workerd go with this process: each
// wrangler runs in a process group of its own (detached), killed as a group.
const groups = new Set<number>()
const loaders = new Set<ChildProcess>()
const directories = new Set<string>()
let exitHooked = false
const killGroup = (pgid: number) => {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // Already gone.
  }
  groups.delete(pgid)
}
const hookExit = () => {
  if (exitHooked) return
  exitHooked = true
  process.once('exit', () => {
    for (const pgid of groups) killGroup(pgid)
    for (const child of loaders) child.kill('SIGKILL')
    for (const directory of directories) rmSync(directory, { recursive: true, force: true })
  })
}

const freePort = () =>
  new Promise<number>((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0))
    })
  })

interface Wrangler {
  pid: number
  /** The last lines it printed (stdout and stderr, colours stripped), for error messages */
  tail: string[]
  exited: Promise<number | null>
  /** Resolves with the first line (printed from now on) matching `pattern` */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>
}

const startWrangler = (directory: string, args: string[], pin: boolean): Wrangler => {
  const command = pin ? 'taskset' : process.execPath
  const commandArgs = pin ? ['-c', String(SERVER_CPU), process.execPath, wranglerCli, ...args] : [wranglerCli, ...args]
  const child = spawn(command, commandArgs, {
    // wrangler puts its build output in .wrangler/ next to the config: the temp directory's, never the repo's.
    cwd: directory,
    detached: true,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_HIDE_BANNER: 'true',
      WRANGLER_LOG_PATH: join(directory, 'logs'),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pid = child.pid as number
  groups.add(pid)
  const tail: string[] = []
  const watchers = new Set<(line: string) => void>()
  let partial = ''
  // Read all it prints, or a full pipe would stall workerd's logging and so its answers.
  const onData = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const raw of lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
      const line = raw.replace(/\u001b\[[0-9;]*m/g, '')
      tail.push(line)
      if (tail.length > 40) tail.shift()
      for (const watcher of watchers) watcher(line)
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)))
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolveLine, reject) => {
      const done = () => {
        clearTimeout(timer)
        watchers.delete(watcher)
      }
      const watcher = (line: string) => {
        const match = pattern.exec(line)
        if (!match) return
        done()
        resolveLine(match)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`wrangler ${args[0]} printed no ${pattern} within ${timeoutMs / 1000} s:\n${tail.join('\n')}`))
      }, timeoutMs)
      watchers.add(watcher)
      void exited.then((code) => {
        if (!watchers.has(watcher)) return
        done()
        reject(new Error(`wrangler ${args[0]} exited with ${code}:\n${tail.join('\n')}`))
      })
    })
  return { pid, tail, exited, waitFor }
}

/** Whether any process is left in process group `pgid` (workerd outlives its wrangler for a moment once killed). */
const groupAlive = (pgid: number) =>
  readdirSync('/proc').some((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return fields[0] !== 'Z' && Number(fields[2]) === pgid
    } catch {
      return false
    }
  })

const stopWrangler = async (wrangler: Wrangler) => {
  killGroup(wrangler.pid)
  await wrangler.exited
  // The next Worker starts on the same CPU: wait for this one's workerd to be gone.
  for (let waited = 0; waited < 5000 && groupAlive(wrangler.pid); waited += 50)
    await new Promise((resolveLater) => setTimeout(resolveLater, 50))
}

/** All descendants of `pid`, from the parent pids in /proc/<pid>/stat (no /proc/<pid>/task/<tid>/children everywhere). */
const descendants = (pid: number) => {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)])
    } catch {
      // Exited while we read.
    }
  }
  const found: number[] = []
  const queue = [pid]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of parents.get(next) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

const commandLine = (pid: number) => {
  try {
    return `${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`
  } catch {
    return ''
  }
}

/** CPU ticks used (utime + stime) and the start time, which tells a process from a later one with the same pid. */
const cpuTicks = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { ticks: Number(fields[11]) + Number(fields[12]), start: fields[19] ?? '' }
}

/**
 * wrangler dev runs two workerd processes: a proxy listening on the port we chose (it forwards every request, and
 * holds them while the Worker reloads) and the one running the Worker, which is what we measure.
 */
const workerdProcesses = (wranglerPid: number, port: number) => {
  const workerds = descendants(wranglerPid).filter((pid) => commandLine(pid).includes('workerd'))
  const proxies = workerds.filter((pid) => commandLine(pid).includes(`entry=127.0.0.1:${port} `))
  const workers = workerds.length === 1 ? workerds : workerds.filter((pid) => !proxies.includes(pid))
  if (workers.length !== 1 || proxies.length > 1) {
    throw new Error(
      `expected one workerd running the Worker under wrangler (pid ${wranglerPid}), found:\n${workerds.map((pid) => `${pid}: ${commandLine(pid).slice(0, 200)}`).join('\n')}`,
    )
  }
  return { worker: workers[0] as number, proxy: workers[0] === proxies[0] ? undefined : proxies[0], wrangler: wranglerPid }
}

/** CPU time all CPUs have spent busy (not idle, not waiting for I/O) since boot, in ms (/proc/stat). */
const machineBusyMs = () => {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number)
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0)
  return ((total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) * 1000) / clockTicks
}

const cpuMsBetween = (pid: number, before: { ticks: number; start: string }) => {
  const after = cpuTicks(pid)
  if (after.start !== before.start) throw new Error(`process ${pid} was replaced during the measured phase`)
  return ((after.ticks - before.ticks) * 1000) / clockTicks
}

const load = async (
  directory: string,
  pin: boolean,
  url: string,
  requests: LoadSpec['requests'],
  connections: number,
  seconds: number,
): Promise<LoadFigures> => {
  const specPath = join(directory, `load-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
  const spec: LoadSpec = { url, connections, seconds, requests }
  writeFileSync(specPath, JSON.stringify(spec))
  const args = [join(root, 'test/bench/load.ts'), specPath]
  const child = pin
    ? spawn('taskset', ['-c', String(LOAD_CPU), process.execPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  loaders.add(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise((resolveExit) => child.once('exit', resolveExit))
  loaders.delete(child)
  if (code !== 0) throw new Error(`load generator exited with ${code}`)
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadFigures
}

/** One request per scenario, each answered HTTP 200 with a JSON object holding STATUS, or the bench stops. */
const checkAnswers = async (url: string, requests: LoadSpec['requests'], label: string, log: (line: string) => void) => {
  for (const [index, request] of requests.entries()) {
    let status = 0
    let text = ''
    try {
      const response = await fetch(`${url}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: request.body.replaceAll('{seq}', `check-${index}`),
        // The real Worker's first request seeds the demo data.
        signal: AbortSignal.timeout(30_000),
      })
      status = response.status
      text = await response.text()
    } catch (error) {
      text = String(error)
    }
    let answer: unknown
    try {
      answer = JSON.parse(text)
    } catch {
      answer = undefined
    }
    const ok = status === 200 && typeof answer === 'object' && answer !== null && 'STATUS' in answer
    log(`${label}, check ${index + 1}/${requests.length}: HTTP ${status} ${text.slice(0, 140)}`)
    if (!ok)
      throw new Error(
        `${label}: POST ${request.path} (${request.body}) answered HTTP ${status}, not JSON with STATUS: ${text.slice(0, 500)}`,
      )
  }
}

interface Target {
  label: string
  config: string
  persistTo: string
  requests: LoadSpec['requests']
}

type Measured = Omit<WorkerFigures, 'cpuRatioToHello'>

const measureTarget = async (
  target: Target,
  run: { directory: string; pin: boolean; connections: number; seconds: number; warmupSeconds: number; log: (line: string) => void },
): Promise<Measured> => {
  const port = await freePort()
  const inspectorPort = await freePort()
  const wrangler = startWrangler(
    run.directory,
    [
      'dev',
      '--config',
      target.config,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-ip',
      '127.0.0.1',
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      target.persistTo,
      '--show-interactive-dev-session=false',
    ],
    run.pin,
  )
  try {
    // After "Ready" wrangler reloads the Worker once more; its pid is only stable after that.
    const settled = wrangler.waitFor(/Local server updated and ready/, STARTUP_MS)
    await wrangler.waitFor(/Ready on http:\/\/127\.0\.0\.1:\d+/, STARTUP_MS)
    await Promise.race([settled, new Promise((resolveLater) => setTimeout(resolveLater, 5000))]).catch(() => undefined)
    const url = `http://127.0.0.1:${port}`
    run.log(`${target.label}: wrangler dev (pid ${wrangler.pid}) ready on ${url}`)
    await checkAnswers(url, target.requests, target.label, run.log)
    await load(run.directory, run.pin, url, target.requests, run.connections, run.warmupSeconds)
    const processes = workerdProcesses(wrangler.pid, port)
    run.log(`${target.label}: workerd running the Worker: pid ${processes.worker}; proxy workerd: pid ${processes.proxy ?? 'none'}`)
    const before = {
      worker: cpuTicks(processes.worker),
      proxy: processes.proxy === undefined ? undefined : cpuTicks(processes.proxy),
      wrangler: cpuTicks(processes.wrangler),
    }
    const machineBefore = machineBusyMs()
    const ownBefore = process.cpuUsage()
    const wallBefore = performance.now()
    const figures = await load(run.directory, run.pin, url, target.requests, run.connections, run.seconds)
    const cpuMs = {
      worker: cpuMsBetween(processes.worker, before.worker),
      proxy: processes.proxy === undefined || before.proxy === undefined ? 0 : cpuMsBetween(processes.proxy, before.proxy),
      wrangler: cpuMsBetween(processes.wrangler, before.wrangler),
    }
    const own = process.cpuUsage(ownBefore)
    // What neither wrangler's processes, the load generator nor this process used: other work on the machine.
    const otherCpus = Math.max(
      0,
      (machineBusyMs() -
        machineBefore -
        cpuMs.worker -
        cpuMs.proxy -
        cpuMs.wrangler -
        figures.processCpuMs -
        (own.user + own.system) / 1000) /
        (performance.now() - wallBefore),
    )
    const perAnswer = (ms: number) => (ms * 1000) / Math.max(1, figures.responses)
    return {
      label: target.label,
      requestsPerSecond: figures.requestsPerSecond,
      p50: figures.p50,
      p99: figures.p99,
      responses: figures.responses,
      errors: figures.errors,
      statusCodes: figures.statusCodes,
      workerdCpuPerRequestUs: perAnswer(cpuMs.worker),
      proxyCpuPerRequestUs: perAnswer(cpuMs.proxy),
      wranglerCpuPerRequestUs: perAnswer(cpuMs.wrangler),
      loadCpu: figures.loadCpu,
      otherCpus,
    }
  } catch (error) {
    if (error instanceof Error && error.message.includes('was replaced')) {
      throw new Error(`${target.label}: ${error.message} (wrangler dev rebuilds when a source file changes):\n${wrangler.tail.join('\n')}`)
    }
    throw error
  } finally {
    await stopWrangler(wrangler)
  }
}

/** Runs wrangler to completion (D1 migrations), or throws with what it printed. */
const runWrangler = async (directory: string, args: string[]) => {
  const wrangler = startWrangler(directory, args, false)
  const timer = setTimeout(() => killGroup(wrangler.pid), STARTUP_MS)
  const code = await wrangler.exited
  clearTimeout(timer)
  groups.delete(wrangler.pid)
  if (code !== 0) throw new Error(`wrangler ${args.join(' ')} exited with ${code}:\n${wrangler.tail.join('\n')}`)
}

/** wrangler.toml, with its paths made absolute, for a copy in `directory` (so .wrangler/ is created there). */
const realWorkerConfig = () => {
  let config = readFileSync(join(root, 'wrangler.toml'), 'utf8')
  for (const key of ['main', 'migrations_dir']) {
    const pattern = new RegExp(`^(${key}\\s*=\\s*)"([^"]+)"`, 'm')
    if (!pattern.test(config)) throw new Error(`wrangler.toml has no ${key} = "..."`)
    config = config.replace(pattern, (_line, prefix: string, path: string) => `${prefix}${JSON.stringify(resolve(root, path))}`)
  }
  return config
}

const compatibilityDate = () => {
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, 'wrangler.toml'), 'utf8'))?.[1]
  if (!date) throw new Error('wrangler.toml has no compatibility_date')
  return date
}

export const measureWorkers = async (options: WorkerBenchOptions = {}): Promise<WorkerBenchResult> => {
  const seconds = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 5)
  const connections = options.connections ?? Number(process.env.BENCH_CONNECTIONS ?? 10)
  const warmupSeconds = Math.min(2, seconds)
  const pin =
    (options.pin ?? process.env.BENCH_PIN !== '0') &&
    availableParallelism() >= 2 &&
    spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0
  const log = options.log ?? ((line: string) => console.error(line))
  hookExit()
  const directory = mkdtempSync(join(tmpdir(), 'ivr-bench-worker-'))
  directories.add(directory)
  try {
    const run = { directory, pin, connections, seconds, warmupSeconds, log }

    const helloConfig = join(directory, 'hello.wrangler.toml')
    writeFileSync(
      helloConfig,
      `name = "bench-hello-worker"\nmain = ${JSON.stringify(join(root, 'test/bench/hello-worker.ts'))}\ncompatibility_date = "${compatibilityDate()}"\n`,
    )
    const hello = await measureTarget(
      {
        label: 'hello-world Worker (baseline)',
        config: helloConfig,
        persistTo: join(directory, 'hello-state'),
        requests: [{ path: '/hello', body: voicenterBody({ ...VOICENTER_SCENARIOS[0], IVR_UNIQUE_ID: 'hello-{seq}' }) }],
      },
      run,
    )

    const config = join(directory, 'wrangler.toml')
    writeFileSync(config, realWorkerConfig())
    const persistTo = join(directory, 'state')
    log('Voicenter: applying the D1 migrations to a local D1 in the temp directory')
    await runWrangler(directory, ['d1', 'migrations', 'apply', 'DB', '--local', '--config', config, '--persist-to', persistTo])
    const voicenter = await measureTarget(
      {
        label: 'Voicenter routed call (src/runtime/worker.ts, local D1)',
        config,
        persistTo,
        requests: VOICENTER_SCENARIOS.map((scenario) => ({
          path: '/webhooks/voicenter',
          body: voicenterBody({ ...scenario, IVR_UNIQUE_ID: 'vc-{seq}' }),
        })),
      },
      run,
    )

    const ratio = (figures: Measured) => figures.workerdCpuPerRequestUs / hello.workerdCpuPerRequestUs
    return {
      wrangler: wranglerVersion,
      seconds,
      warmupSeconds,
      connections,
      pinned: pin,
      hello: { ...hello, cpuRatioToHello: ratio(hello) },
      voicenter: { ...voicenter, cpuRatioToHello: ratio(voicenter) },
    }
  } finally {
    rmSync(directory, { recursive: true, force: true, maxRetries: 3 })
    directories.delete(directory)
  }
}

/** What the repo's .wrangler/ looks like, to tell whether a run wrote into it. */
const repoWranglerState = () => {
  const path = join(root, '.wrangler')
  if (!existsSync(path)) return 'absent'
  const entries = readdirSync(path, { recursive: true }) as string[]
  return [path, ...entries.map((entry) => join(path, entry))].map((file) => `${file} ${statSync(file).mtimeMs}`).join('\n')
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5)
  // Two Workers, each: start-up (bundling, and migrations for the real one), checks, warm-up, measured phase.
  setTimeout(
    () => {
      console.error('bench: did not finish in time')
      process.exit(1)
    },
    (2 * (Math.min(2, seconds) + seconds + (2 * STARTUP_MS) / 1000) + 60) * 1000,
  ).unref()
  process.once('SIGINT', () => process.exit(130))
  process.once('SIGTERM', () => process.exit(143))

  const repoBefore = repoWranglerState()
  const result = await measureWorkers()
  if (repoWranglerState() !== repoBefore)
    console.error(`warning: ${join(root, '.wrangler')} changed during the bench (another wrangler in this checkout?)`)
  const { hello, voicenter } = result
  console.log(
    `\n## workerd (wrangler dev ${result.wrangler}): ${result.connections} connections for ${result.seconds} s per Worker after ${result.warmupSeconds} s of warm-up (127.0.0.1)`,
  )
  console.log(
    `\nNode ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown CPU'}). ` +
      (result.pinned
        ? `Cores: wrangler and its workerd processes pinned to CPU ${SERVER_CPU}, the load generator (autocannon, test/bench/load.ts) to CPU ${LOAD_CPU} (taskset; BENCH_PIN=0 to let the scheduler place them).`
        : `Cores: not pinned (${process.env.BENCH_PIN === '0' ? 'BENCH_PIN=0' : 'fewer than 2 CPUs or no taskset'}).`),
  )
  console.log(
    `\n| Worker | req/s | p50 | p99 | workerd CPU per request | ratio of CPU per request to hello-world's | errors |\n|---|---:|---:|---:|---:|---:|---:|`,
  )
  for (const figures of [hello, voicenter]) {
    console.log(
      `| ${figures.label} | ${Math.round(figures.requestsPerSecond).toLocaleString('en-US')} | ${ms(figures.p50)} | ${ms(figures.p99)} | ${Math.round(figures.workerdCpuPerRequestUs)} µs | ${figures.cpuRatioToHello.toFixed(2)} | ${figures.errors} |`,
    )
  }
  console.log(
    `\nNotes: locally D1 runs inside the same workerd process as the Worker (miniflare's D1 over SQLite), so the real Worker's CPU includes its SQLite time, unlike Cloudflare where D1 is a separate service; wrangler dev adds its dev middleware to both Workers. ` +
      `workerd CPU per request: user + system time of the workerd process running the Worker over the measured phase (/proc/<pid>/stat) divided by its answers; not counted there, wrangler dev's proxy workerd in front of it (hello ${Math.round(hello.proxyCpuPerRequestUs)} µs, Voicenter ${Math.round(voicenter.proxyCpuPerRequestUs)} µs per request) and wrangler's Node process (hello ${Math.round(hello.wranglerCpuPerRequestUs)} µs, Voicenter ${Math.round(voicenter.wranglerCpuPerRequestUs)} µs). ` +
      `Load generator CPU: hello ${Math.round(hello.loadCpu * 100)} %, Voicenter ${Math.round(voicenter.loadCpu * 100)} % of a core; other processes on the machine kept hello ${hello.otherCpus.toFixed(2)}, Voicenter ${voicenter.otherCpus.toFixed(2)} CPUs busy during the measured phases (/proc/stat, less wrangler's processes, the load generator and the bench): above ~0.1 the figures are disturbed. ` +
      `Voicenter: POST /webhooks/voicenter, run.ts's ${VOICENTER_SCENARIOS.length} scenarios in turn, a new IVR_UNIQUE_ID per request; hello-world: the first scenario's body to test/bench/hello-worker.ts.`,
  )
  if (hello.errors + voicenter.errors > 0) {
    console.error(`status codes: hello ${JSON.stringify(hello.statusCodes)}, Voicenter ${JSON.stringify(voicenter.statusCodes)}`)
    process.exitCode = 1
  }
  console.log(JSON.stringify({ worker: result }))
}
