import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { voicenterRequest } from '../helpers/test-server.ts'

const ENTRY = fileURLToPath(new URL('../../src/runtime/node.ts', import.meta.url))
const GUARD = fileURLToPath(new URL('../../src/runtime/node.ts', import.meta.url))
/** KILL_ROUNDS=3 for the figure; one round keeps CI short. */
const ROUNDS = Number(process.env.KILL_ROUNDS ?? 1)

/** `npm start` as a child process on a free loopback port; resolves once it logs where it listens. */
const startChild = (databasePath: string) =>
  new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], {
      env: { ...process.env, DATABASE_PATH: databasePath, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString()
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output)
      if (match?.[1]) resolve({ child, url: match[1] })
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${output}`)))
  })

describe('the Node process', () => {
  let directory: string
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'ivr-process-'))
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('logs and counts an unhandled rejection or uncaught exception, and keeps running', async () => {
    const script = join(directory, 'guarded.ts')
    writeFileSync(
      script,
      `import { guardProcess } from ${JSON.stringify(GUARD)}
import { createLogger } from ${JSON.stringify(fileURLToPath(new URL('../../src/lib/logger.ts', import.meta.url)))}
const counted = []
guardProcess(createLogger('info'), (kind) => counted.push(kind))
Promise.reject(new Error('nobody awaited this'))
setTimeout(() => { throw new Error('thrown in a timer') }, 10)
setTimeout(() => console.log(JSON.stringify({ alive: true, counted })), 100)
`,
    )
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString()
    })
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    expect(output).toContain('"msg":"unhandled rejection (process kept running)","error":"nobody awaited this"')
    expect(output).toContain('"msg":"uncaught exception (process kept running)","error":"thrown in a timer"')
    expect(output).toContain('{"alive":true,"counted":["unhandled_rejection","uncaught_exception"]}')
  })

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'kill -9 under load (round %i): every answered call has its decision row',
    async (round) => {
      const databasePath = join(directory, `kill-${round}.db`)
      const { child, url } = await startChild(databasePath)
      const answered: string[] = []
      let stop = false
      let sent = 0
      // Bounded: 16 connections, at most 20,000 requests, and the kill comes after 1.5 s.
      const worker = async (lane: number) => {
        while (!stop && sent < 20_000) {
          const callId = `kill-${round}-${lane}-${sent++}`
          try {
            const response = await fetch(`${url}/webhooks/voicenter`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(voicenterRequest({ IVR_UNIQUE_ID: callId, DTMF: '12345678', LAYER_ID: '5' })),
            })
            if (response.status === 200 && ((await response.json()) as { STATUS: number }).STATUS === 0) answered.push(callId)
          } catch {
            // The connection died with the process: that call was not answered.
          }
        }
      }
      const exited = new Promise((resolve) => child.once('exit', resolve))
      const load = Promise.all(Array.from({ length: 16 }, (_, lane) => worker(lane)))
      await new Promise((resolve) => setTimeout(resolve, 1500))
      child.kill('SIGKILL')
      await exited
      stop = true
      await load
      expect(answered.length).toBeGreaterThan(100)
      const sqlite = new BetterSqlite3(databasePath, { readonly: true })
      const stored = new Set((sqlite.prepare('SELECT call_id FROM decisions').all() as { call_id: string }[]).map((row) => row.call_id))
      sqlite.close()
      const lost = answered.filter((callId) => !stored.has(callId))
      console.log(`kill -9 round ${round}: ${answered.length} answered, ${lost.length} without a decision row`)
      expect(lost).toEqual([])
    },
    30_000,
  )
})
