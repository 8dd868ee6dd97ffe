import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { CrmPlugin } from '../../src/crm/plugin.ts'
import { createLogger, type Logger, type LogLevel } from '../../src/lib/logger.ts'
import { type NodeServer, startNodeServer } from '../../src/runtime/node.ts'

import { MONDAY_MORNING } from './clock.ts'

export { MONDAY_MORNING }

export interface LogEntry {
  level: string
  message: string
  fields?: Record<string, unknown>
}

/**
 * A logger whose entries the test reads, also written as the service's JSON lines to the console (at
 * LOG_LEVEL, info by default): vitest prints them for a failing test only, or for all with TEST_LOGS=1.
 */
export const recordingLogger = () => {
  const entries: LogEntry[] = []
  const echo = createLogger((process.env.LOG_LEVEL as LogLevel) || 'info')
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    entries.push({ level, message, fields })
    echo[level](message, fields)
  }
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  return { log, entries }
}

export interface TestServer extends NodeServer {
  databasePath: string
  logs: LogEntry[]
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  /** A second connection, as a person editing rules with an SQLite tool would have. */
  openSideConnection(): BetterSqlite3.Database
  /** Waits until queued decision-log rows are written. */
  settle(): Promise<void>
}

export interface TestServerOptions {
  env?: Record<string, string>
  plugins?: readonly CrmPlugin[]
  clock?: () => Date
  seed?: boolean
}

/** The real Node server on 127.0.0.1 over a fresh SQLite file. */
export const startTestServer = async ({ env = {}, plugins, clock = () => MONDAY_MORNING, seed = true }: TestServerOptions = {}) => {
  const directory = mkdtempSync(join(tmpdir(), 'ivr-crm-router-'))
  const databasePath = join(directory, 'test.db')
  const { log, entries } = recordingLogger()
  const server = await startNodeServer({
    env: { DATABASE_PATH: databasePath, SEED_DEMO: String(seed), RULES_REFRESH_MS: '0', ...env },
    plugins,
    log,
    clock,
    port: 0,
    host: '127.0.0.1',
  })
  const side: BetterSqlite3.Database[] = []
  const testServer: TestServer = {
    ...server,
    databasePath,
    logs: entries,
    post: (path, body, headers = {}) =>
      fetch(server.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    openSideConnection() {
      const connection = new BetterSqlite3(databasePath)
      connection.pragma('busy_timeout = 5000')
      side.push(connection)
      return connection
    },
    settle: () => server.service.drain(),
    async close() {
      for (const connection of side) connection.close()
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
  return testServer
}

export const voicenterRequest = (data: Record<string, unknown>) => ({
  METHOD: 'IVR_LAYER_INPUT',
  DATA: {
    DID: '0722776772',
    CALLER_ID: '0501234567',
    IVR_UNIQUE_ID: `call-${Math.random().toString(36).slice(2)}`,
    DTMF: '0',
    LAYER_ID: '1',
    PREVIOUS_LAYER_ID: '1',
    ...data,
  },
})
