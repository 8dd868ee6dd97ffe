import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ServerType, serve } from '@hono/node-server'
import BetterSqlite3 from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { withHttpCrmConfigFile } from '../../plugins/http-config.ts'
import { builtinPlugins } from '../../plugins/index.ts'
import { createApp, type RouterService } from '../app.ts'
import type { CrmPlugin } from '../crm/plugin.ts'
import type { Database } from '../db/database.ts'
import { seedDemoData } from '../db/demo-seed.ts'
import { createRetention, retentionSettings } from '../db/retention.ts'
import * as schema from '../db/schema.ts'
import { createLogger, errorMessage, type Logger } from '../lib/logger.ts'
import type { ProviderDefinition } from '../providers/provider.ts'
import { startRetentionTimer } from './retention-timer.ts'
import { sqliteAtomic } from './sqlite-atomic.ts'
import { sqliteRecordWriter } from './sqlite-record-writer.ts'
import { startWalCheckpointer } from './wal-checkpointer.ts'

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url))
export const DEFAULT_DATABASE_PATH = './data/ivr-crm-router.db'

export interface NodeDatabase {
  sqlite: BetterSqlite3.Database
  db: Database
}

/**
 * How long the server's writes wait for another connection's write lock (an SQLite tool with an unsaved
 * edit). better-sqlite3 waits synchronously, holding up every call on the process: a write that cannot get
 * the lock soon fails instead, its row kept in memory and retried (decision log, call state).
 */
export const SERVER_BUSY_TIMEOUT_MS = 100

/** Opens (creating if needed) and migrates the SQLite file. */
export const openDatabase = (path: string, { busyTimeoutMs = 5000 }: { busyTimeoutMs?: number } = {}): NodeDatabase => {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const sqlite = new BetterSqlite3(path)
  // WAL lets people edit rules with another SQLite tool while the service reads and writes.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  // Migrations may wait for a lock as long as they need; the server's own writes then wait briefly.
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: MIGRATIONS })
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`)
  return { sqlite, db: db as unknown as Database }
}

export interface NodeServerOptions {
  env?: Record<string, string | undefined>
  plugins?: readonly CrmPlugin[]
  /** The telephony providers served. @default the registry's (src/providers/index.ts) */
  providers?: readonly ProviderDefinition[]
  log?: Logger
  clock?: () => Date
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** An already open database instead of DATABASE_PATH (tests that need to control the connection). */
  database?: NodeDatabase
}

export interface NodeServer {
  url: string
  port: number
  service: RouterService
  database: NodeDatabase
  close(): Promise<void>
}

/** Everything the `npm start` process does, callable from tests with their own env and port. */
export const startNodeServer = async (options: NodeServerOptions = {}): Promise<NodeServer> => {
  // The http plugin's JSON file is read here: plugins get no filesystem (Workers has none).
  const env = withHttpCrmConfigFile(options.env ?? process.env, (path) => readFileSync(path, 'utf8'))
  const log = options.log ?? createLogger((env.LOG_LEVEL as 'info') || 'info')
  const databasePath = env.DATABASE_PATH || DEFAULT_DATABASE_PATH
  const database = options.database ?? openDatabase(databasePath, { busyTimeoutMs: SERVER_BUSY_TIMEOUT_MS })
  if ((env.SEED_DEMO ?? 'true').toLowerCase() !== 'false' && (await seedDemoData(database.db))) {
    log.info('demo rules and contacts added', { database: databasePath })
  }
  const service = await createApp({
    db: database.db,
    env,
    plugins: options.plugins ?? builtinPlugins,
    providers: options.providers,
    log,
    clock: options.clock,
    metrics: true,
    // better-sqlite3 commits synchronously: a decision is on disk before its answer is sent, so a kill -9
    // loses none. setImmediate lets the requests of one round of I/O share one transaction, call states included.
    recordBeforeAnswer: true,
    scheduleWrite: setImmediate,
    recordWriter: sqliteRecordWriter(database),
    atomic: sqliteAtomic(database.sqlite),
    // node:crypto's HMAC runs in the call; WebCrypto's is a job on the thread pool, a quarter of a Routee step.
    hmac: (key, data) => createHmac('sha256', key).update(data).digest('base64url'),
    // @hono/node-server keeps Node's IncomingMessage: its url is the request-target as it came on the wire.
    requestTarget: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.url,
  })
  const host = options.host ?? env.HOST ?? '127.0.0.1'
  const server: ServerType = await new Promise((resolveServer) => {
    const started = serve(
      {
        fetch: service.app.fetch,
        port: options.port ?? Number(env.PORT ?? 3000),
        hostname: host,
        // Node refuses request lines over 16 KiB with a bare 431 before the app sees them; let the app answer
        // those in the provider's format (it refuses URLs over 16 KiB itself).
        serverOptions: { maxHeaderSize: 64 * 1024 },
      },
      () => resolveServer(started),
    )
  })
  // Checkpoints in a thread of their own: inside a commit they stall every call in flight.
  const checkpointer = startWalCheckpointer({ sqlite: database.sqlite, log })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const retention = startRetentionTimer({
    retention: createRetention({ db: database.db, ...retentionSettings(service.config) }),
    intervalMs: service.config.RETENTION_INTERVAL_SECONDS * 1000,
    log,
  })
  const outboxTimer = setInterval(() => {
    service.callLogs.deliverDue().catch((error: unknown) => log.warn('call log delivery run failed', { error: errorMessage(error) }))
  }, service.config.OUTBOX_INTERVAL_SECONDS * 1000)
  outboxTimer.unref()
  if (!service.config.WEBHOOK_SECRET) log.warn('WEBHOOK_SECRET is not set: webhooks are not authenticated')
  log.info('listening', { url: `http://${host}:${port}`, database: databasePath, plugins: service.config.CRM_PLUGINS })
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    service,
    database,
    async close() {
      await retention.stop()
      clearInterval(outboxTimer)
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()))
      await service.drain()
      await checkpointer?.stop()
      database.sqlite.close()
    },
  }
}

/**
 * The last line of defence: an error nobody caught (a rejected promise no one awaited, a throw in a timer)
 * is logged and counted, and the process keeps answering calls. Ending it would drop every call in
 * progress and, without a supervisor, leave the service down; each such error is a bug to fix, which the
 * log line and the `ivr_unhandled_errors_total` metric make visible.
 */
export const guardProcess = (log: Logger, count: (kind: 'unhandled_rejection' | 'uncaught_exception') => void = () => {}) => {
  process.on('unhandledRejection', (reason: unknown) => {
    count('unhandled_rejection')
    log.error('unhandled rejection (process kept running)', { error: errorMessage(reason), stack: (reason as Error)?.stack })
  })
  process.on('uncaughtException', (error: Error) => {
    count('uncaught_exception')
    log.error('uncaught exception (process kept running)', { error: errorMessage(error), stack: error?.stack })
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const log = createLogger((process.env.LOG_LEVEL as 'info') || 'info')
  let running: NodeServer | undefined
  guardProcess(log, (kind) => running?.service.metrics?.unhandledErrors({ kind }))
  try {
    const server = await startNodeServer({ log })
    running = server
    const stop = async (signal: string) => {
      log.info('shutting down', { signal })
      await server.close()
      process.exit(0)
    }
    process.once('SIGINT', () => void stop('SIGINT'))
    process.once('SIGTERM', () => void stop('SIGTERM'))
  } catch (error) {
    log.error('failed to start', { error: errorMessage(error) })
    process.exit(1)
  }
}
