import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/free-port.ts'

const ENTRY = fileURLToPath(new URL('../../src/runtime/node.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The real `npm start` process, as the fault campaign attacked it: its own process, so a crash is a crash. */
export interface ServerProcess {
  url: string
  port: number
  /** Set once the process has exited, with what it last wrote to stderr and stdout. */
  exited?: { code: number | null; signal: string | null; stderr: string; stdout: string }
  /** Error-level log lines (one JSON object each) with when they arrived, newest last; bounded. */
  errorLines: { at: number; line: string }[]
  stop(): Promise<void>
}

const tail = (text: string, max = 4000) => (text.length > max ? text.slice(-max) : text)

export const startServerProcess = async (env: Record<string, string>): Promise<ServerProcess> => {
  const directory = mkdtempSync(join(tmpdir(), 'ivr-fuzz-'))
  // LOG_LEVEL=error hides the "listening" line, so the port is chosen here rather than read back.
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? directory,
      DATABASE_PATH: join(directory, 'fuzz.db'),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    errorLines: [],
    async stop() {
      if (!server.exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await gone
        clearTimeout(timer)
      }
      rmSync(directory, { recursive: true, force: true })
    },
  }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = tail(stdout + chunk, 64_000)
    for (const line of chunk.split('\n')) {
      if (line.includes('"level":"error"')) {
        server.errorLines.push({ at: Date.now(), line: line.slice(0, 4000) })
        if (server.errorLines.length > 5000) server.errorLines.splice(0, 1000)
      }
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = tail(stderr + chunk, 64_000)
  })
  child.once('exit', (code, signal) => {
    server.exited = { code, signal, stderr: tail(stderr), stdout: tail(stdout) }
  })
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (server.exited)
      throw new Error(`server exited while starting (code ${server.exited.code}):\n${server.exited.stderr}\n${server.exited.stdout}`)
    const health = await send(server.url, { method: 'GET', path: '/healthz' }, 1000).catch(() => undefined)
    if (health?.status === 200) return server
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await server.stop()
  throw new Error(`server did not answer /healthz within 20 s:\n${tail(stderr)}`)
}

export interface RawRequest {
  method: string
  /** Path and query, sent byte for byte (already percent-encoded where it should be). */
  path: string
  headers?: Record<string, string>
  body?: string
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean
  /** A connection of its own rather than a kept-alive one. */
  fresh?: boolean
}

export interface RawResponse {
  status: number
  contentType: string
  body: string
  ms: number
}

// Keep-alive like a provider's client; a few sockets so a slow request does not hold up the rest.
const agent = new Agent({ keepAlive: true, maxSockets: 8 })
const MAX_ANSWER = 1024 * 1024

/** node:http rather than fetch: fetch would normalise the URL and refuse some of what the fuzz sends. */
export const send = (base: string, raw: RawRequest, timeoutMs = 10_000): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const target = new URL(base)
    const body = raw.body === undefined ? undefined : Buffer.from(raw.body, 'utf8')
    const headers: Record<string, string> = { ...raw.headers }
    if (body && !raw.chunked) headers['content-length'] = String(body.length)
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: raw.method,
        path: raw.path,
        headers,
        agent: raw.fresh ? false : agent,
        timeout: timeoutMs,
      },
      (incoming) => {
        const chunks: Buffer[] = []
        let size = 0
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= MAX_ANSWER) chunks.push(chunk)
        })
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            contentType: String(incoming.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Date.now() - started,
          }),
        )
        incoming.on('error', reject)
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    outgoing.on('error', reject)
    if (body && raw.chunked) {
      // Several chunks, so the server really sees a chunked stream.
      for (let offset = 0; offset < body.length; offset += 16_384) outgoing.write(body.subarray(offset, offset + 16_384))
    } else if (body) {
      outgoing.write(body)
    }
    outgoing.end()
  })

/**
 * Streams a chunked body larger than the webhook limit, slowly, and reports whether the answer came before
 * the body was finished: a server that reads bodies whole only answers once everything has arrived.
 */
export const sendEndlessChunks = (
  base: string,
  path: string,
  contentType: string,
  { chunkBytes = 65_536, intervalMs = 10, maxBytes = 8 * 1024 * 1024 } = {},
): Promise<{ response?: RawResponse; answeredBeforeEnd: boolean; sentBytes: number; error?: string }> =>
  new Promise((resolve) => {
    const target = new URL(base)
    const started = Date.now()
    let sentBytes = 0
    let ended = false
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (result: { response?: RawResponse; answeredBeforeEnd: boolean; error?: string }) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...result, sentBytes })
    }
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path,
        headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' },
        agent: false,
        timeout: 30_000,
      },
      (incoming) => {
        const answeredBeforeEnd = !ended
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          finish({
            answeredBeforeEnd,
            response: {
              status: incoming.statusCode ?? 0,
              contentType: String(incoming.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
              ms: Date.now() - started,
            },
          })
          outgoing.destroy()
        })
      },
    )
    outgoing.on('error', (error) => finish({ answeredBeforeEnd: false, error: error.message }))
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 30 s')))
    const chunk = Buffer.alloc(chunkBytes, 'a')
    const pump = () => {
      if (settled) return
      if (sentBytes >= maxBytes) {
        ended = true
        outgoing.end()
        return
      }
      outgoing.write(chunk)
      sentBytes += chunk.length
      timer = setTimeout(pump, intervalMs)
    }
    outgoing.write('{"a":"')
    pump()
  })

export const closeClient = () => agent.destroy()
