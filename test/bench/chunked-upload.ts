/**
 * Hostile chunked uploads against `npm start`'s process: RSS before and after pushing `UPLOAD_GB` (6) of
 * chunked bodies at the webhook, 6 at a time. Loopback only; each upload stops when the server answers.
 * Run: npx node test/bench/chunked-upload.ts
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const TOTAL_BYTES = Number(process.env.UPLOAD_GB ?? 6) * 1024 ** 3
const PARALLEL = 6
const UPLOAD_BYTES = TOTAL_BYTES / 12
const CHUNK = Buffer.alloc(1024 * 1024, ' ')
/** IGNORE_ANSWER=1: an attacker that keeps sending after the 413 (each upload then gives up after 5 s). */
const IGNORE_ANSWER = process.env.IGNORE_ANSWER === '1'

const directory = mkdtempSync(join(tmpdir(), 'ivr-upload-'))
const child = spawn(process.execPath, [fileURLToPath(new URL('../../src/runtime/node.ts', import.meta.url))], {
  env: { ...process.env, DATABASE_PATH: join(directory, 'bench.db'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const url = await new Promise<string>((resolve) => {
  let output = ''
  child.stdout?.on('data', (data: Buffer) => {
    output += data.toString()
    const match = /"msg":"listening","url":"([^"]+)"/.exec(output)
    if (match?.[1]) resolve(match[1])
  })
})
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** One chunked upload of `bytes`; resolves with the status once answered and the connection is done. */
const upload = (bytes: number) =>
  new Promise<{ status: number; sent: number }>((resolve) => {
    let sent = 0
    let status = 0
    const req = request(`${url}/webhooks/voicenter`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      status = response.statusCode ?? 0
      response.resume()
      // The answer is what counts: stop sending once it is in.
      response.on('end', () => {
        if (IGNORE_ANSWER) return
        req.destroy()
        resolve({ status, sent })
      })
    })
    req.on('error', () => resolve({ status, sent }))
    if (IGNORE_ANSWER) {
      setTimeout(() => {
        req.destroy()
        resolve({ status, sent })
      }, 5000)
    }
    const pump = () => {
      while (sent < bytes) {
        sent += CHUNK.length
        if (!req.write(CHUNK)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })

await fetch(`${url}/healthz`)
const idle = rssMb()
const started = performance.now()
let offered = 0
let written = 0
let peak = idle
const sampler = setInterval(() => {
  peak = Math.max(peak, rssMb())
}, 50)
const statuses: Record<number, number> = {}
for (let round = 0; round < 12 / PARALLEL; round++) {
  const results = await Promise.all(Array.from({ length: PARALLEL }, () => upload(UPLOAD_BYTES)))
  for (const result of results) {
    offered += UPLOAD_BYTES
    written += result.sent
    statuses[result.status] = (statuses[result.status] ?? 0) + 1
  }
}
clearInterval(sampler)
const healthStarted = performance.now()
const health = await fetch(`${url}/healthz`)
const healthMs = performance.now() - healthStarted
console.log(
  JSON.stringify({
    offeredGB: offered / 1024 ** 3,
    // What the client got into its socket before the answer ended the upload.
    writtenMB: Math.round(written / 1024 ** 2),
    answers: statuses,
    idleRssMb: Math.round(idle),
    peakRssMb: Math.round(peak),
    afterRssMb: Math.round(rssMb()),
    healthz: { status: health.status, ms: Math.round(healthMs * 10) / 10 },
    seconds: Math.round((performance.now() - started) / 100) / 10,
  }),
)
child.kill('SIGTERM')
await new Promise((resolve) => child.once('exit', resolve))
rmSync(directory, { recursive: true, force: true })
