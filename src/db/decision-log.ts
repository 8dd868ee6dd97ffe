import type { Database } from './database.ts'
import { type DecisionRow, decisions } from './schema.ts'
import { errorMessage, type Logger } from '../logger.ts'

export interface DecisionLog {
  /** Queues a row; the returned promise settles once it is written (hand it to waitUntil on Workers). */
  record(row: DecisionRow): Promise<void>
  /** Writes whatever is queued now (shutdown). */
  flush(): Promise<void>
}

export interface DecisionLogOptions {
  db: Database
  log: Logger
  /** Rows per INSERT; SQLite caps bound variables per statement. */
  batchSize?: number
  /** Attempts before the rows are written to the error log instead. */
  maxAttempts?: number
  retryDelayMs?: number
}

/**
 * Writes decisions after the answer has gone out, many rows per statement, so logging never slows a call.
 * A failing database is retried; rows that still cannot be written go to the error log in full.
 */
export const createDecisionLog = ({
  db,
  log,
  batchSize = 100,
  maxAttempts = 5,
  retryDelayMs = 200,
}: DecisionLogOptions): DecisionLog => {
  let queue: DecisionRow[] = []
  let scheduled: Promise<void> | undefined

  const write = async (rows: DecisionRow[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        for (let start = 0; start < rows.length; start += batchSize) {
          await db.insert(decisions).values(rows.slice(start, start + batchSize)).run()
        }
        return
      } catch (error) {
        if (attempt >= maxAttempts) {
          log.error('decision log write failed; rows follow', { error: errorMessage(error), rows })
          return
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt))
      }
    }
  }

  const flush = async () => {
    scheduled = undefined
    const rows = queue
    queue = []
    if (rows.length > 0) await write(rows)
  }

  return {
    record(row) {
      queue.push(row)
      // Requests that arrive before the timer fires share one INSERT.
      scheduled ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(flush)
      return scheduled
    },
    flush,
  }
}
