import { getTableColumns, sql } from 'drizzle-orm'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { Database } from './database.ts'
import { type DecisionRow, decisions } from './schema.ts'
import type { StorageHealth } from './storage-health.ts'

export interface DecisionLog {
  /**
   * Queues a row; the promise settles once it is committed, or once the write has failed and the row is kept
   * for retry (it never rejects, so a caller may wait on it before answering without risking the answer).
   */
  record(row: DecisionRow): Promise<void>
  /** Writes whatever is queued now, failed rows included (shutdown). */
  flush(): Promise<void>
  /** Rows waiting for a retry after a failed write. */
  pending(): number
}

export interface DecisionLogOptions {
  db: Database
  log: Logger
  health?: StorageHealth
  /** Rows per INSERT: 16 on SQLite; D1 allows 100 bound values per statement, so 4 there. */
  batchSize?: number
  /**
   * When to write the queued rows. Rows recorded before it fires share one INSERT; a caller that waits for the
   * commit waits this long. @default a zero timeout (Workers); the Node entry passes setImmediate, which
   * runs after the current round of I/O instead of a timer's millisecond.
   */
  schedule?: (write: () => void) => void
  /** Rows kept in memory while the database refuses writes; the oldest are dropped beyond it (and counted). */
  maxPending?: number
  /** First wait before failed rows are tried again; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  now?: () => number
}

/**
 * The decision log: one row per answered request, written in multi-row INSERTs. A failing database never
 * delays or breaks an answer: the rows are kept (bounded) and written with the next batch once the back-off
 * has passed; logs say how many are waiting, never what they contain (caller numbers, PINs).
 */
export const createDecisionLog = ({
  db,
  log,
  health,
  batchSize = 16,
  schedule = (write) => setTimeout(write, 0),
  maxPending = 10_000,
  retryDelayMs = 500,
  maxRetryDelayMs = 30_000,
  now = Date.now,
}: DecisionLogOptions): DecisionLog => {
  let queue: DecisionRow[] = []
  let failed: DecisionRow[] = []
  let dropped = 0
  let retryAt = 0
  let delay = retryDelayMs
  let scheduled: Promise<void> | undefined
  // Compiling an INSERT costs more than running it: prepare one for a full batch and one for a single row.
  const full = prepareInsert(db, batchSize)
  const single = prepareInsert(db, 1)

  /** Writes the rows, oldest first; returns those that were not written. */
  const write = async (rows: DecisionRow[]): Promise<DecisionRow[]> => {
    let start = 0
    try {
      for (; start + batchSize <= rows.length; start += batchSize) await full(rows.slice(start, start + batchSize))
      for (; start < rows.length; start++) await single(rows.slice(start, start + 1))
      return []
    } catch (error) {
      health?.failed('decisions', error)
      const left = rows.slice(start)
      log.error('decision log write failed; rows kept for retry', {
        error: errorMessage(error),
        pending: left.length,
        retryInMs: delay,
      })
      return left
    }
  }

  const keep = (rows: DecisionRow[]) => {
    failed = failed.length === 0 ? rows : failed.concat(rows)
    if (failed.length > maxPending) {
      const over = failed.length - maxPending
      dropped += over
      failed = failed.slice(over)
      log.error('decision log: database refuses writes; oldest rows dropped', { dropped, pending: failed.length })
    }
  }

  const flush = async (force = true) => {
    scheduled = undefined
    let rows = queue
    queue = []
    if (failed.length > 0) {
      if (!force && now() < retryAt) {
        // Still backing off: do not hammer a database that just refused, and do not slow this call down.
        keep(rows)
        return
      }
      rows = failed.concat(rows)
      failed = []
    }
    if (rows.length === 0) return
    const left = await write(rows)
    if (left.length > 0) {
      keep(left)
      retryAt = now() + delay
      delay = Math.min(delay * 2, maxRetryDelayMs)
      return
    }
    if (delay !== retryDelayMs || dropped > 0) log.info('decision log writes again', { dropped })
    delay = retryDelayMs
    dropped = 0
    health?.succeeded('decisions')
  }

  return {
    record(row) {
      queue.push(row)
      scheduled ??= new Promise<void>((resolve) => schedule(resolve)).then(() => flush(false))
      return scheduled
    },
    flush: () => flush(true),
    pending: () => failed.length + queue.length,
  }
}

const COLUMNS = Object.keys(getTableColumns(decisions)).filter((key) => key !== 'id') as (keyof DecisionRow)[]

const prepareInsert = (db: Database, rows: number) => {
  const values = Array.from({ length: rows }, (_, row) =>
    Object.fromEntries(COLUMNS.map((column) => [column, sql.placeholder(`${column}${row}`)])),
  )
  const statement = db
    .insert(decisions)
    .values(values as unknown as DecisionRow[])
    .prepare()
  return (batch: DecisionRow[]) => {
    const params: Record<string, unknown> = {}
    batch.forEach((row, index) => {
      for (const column of COLUMNS) params[`${column}${index}`] = row[column] ?? null
    })
    return statement.run(params)
  }
}
