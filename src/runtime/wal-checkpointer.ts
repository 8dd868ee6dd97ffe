import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type BetterSqlite3 from 'better-sqlite3'
import type { Logger } from '../lib/logger.ts'

/**
 * WAL pages the server's own connection lets pile up before it checkpoints by itself: a fallback for when the
 * checkpointer thread cannot (it failed, or a long reader holds the WAL). 10,000 pages of 4 KiB, about 40 MB.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000

export interface WalCheckpointer {
  /** Stops the thread after the checkpoint in flight; the database can be closed after it. */
  stop(): Promise<void>
}

/**
 * The worker: its own connection to the file, a PASSIVE checkpoint every `intervalMs`. PASSIVE never waits for
 * a lock and never blocks a writer: the server keeps appending to the WAL while pages are copied, and the next
 * write after a complete checkpoint starts the WAL over from its beginning, so it stays small.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
let failing = false
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    if (failing) parentPort.postMessage({ recovered: true })
    failing = false
  } catch (error) {
    if (!failing) parentPort.postMessage({ error: String(error && error.message || error) })
    failing = true
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit crosses
 * the threshold (1,000 pages): on better-sqlite3 that blocks the process for milliseconds (copying pages and
 * fsyncing the file), several times a second under load, and every call in flight waits: the p99. Here a
 * worker thread with its own connection checkpoints, and the server's connection only does it itself past
 * `FALLBACK_AUTOCHECKPOINT_PAGES`. Commits keep their durability (WAL, synchronous=NORMAL): checkpoints only
 * move committed pages from the WAL into the database file.
 */
export const startWalCheckpointer = ({
  sqlite,
  intervalMs = 100,
  log,
}: {
  sqlite: BetterSqlite3.Database
  intervalMs?: number
  log: Logger
}): WalCheckpointer | undefined => {
  if (sqlite.memory || String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: sqlite.name, intervalMs },
  })
  worker.unref()
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  let alive = true
  worker.on('message', (message: { error?: string; recovered?: boolean }) => {
    if (message.error) log.warn('WAL checkpoint failed; retried on the next run', { error: message.error })
    else if (message.recovered) log.info('WAL checkpoints work again')
  })
  worker.on('error', (error) => {
    // Without the thread, the connection's own automatic checkpoint (at the fallback size) keeps the WAL bounded.
    log.error('WAL checkpointer stopped; the server checkpoints by itself', { error: error.message })
    alive = false
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000')
  })
  worker.once('exit', () => {
    alive = false
  })
  return {
    async stop() {
      if (alive) worker.postMessage('stop')
      await exited
    },
  }
}
