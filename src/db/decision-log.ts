import { getTableColumns, sql } from 'drizzle-orm'
import { errorMessage, type Logger } from '../logger.ts'
import type { Database } from './database.ts'
import { type DecisionRow, decisions } from './schema.ts'

export interface DecisionLog {
  /** Queues a row; the returned promise settles once it is written (hand it to waitUntil on Workers). */
  record(row: DecisionRow): Promise<void>
  /** Writes whatever is queued now (shutdown). */
  flush(): Promise<void>
}

export interface DecisionLogOptions {
  db: Database
  log: Logger
  /** Rows per INSERT: 16 on SQLite; D1 allows 100 bound values per statement, so 4 there. */
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
  batchSize = 16,
  maxAttempts = 5,
  retryDelayMs = 200,
}: DecisionLogOptions): DecisionLog => {
  let queue: DecisionRow[] = []
  let scheduled: Promise<void> | undefined
  // Compiling an INSERT costs more than running it: prepare one for a full batch and one for a single row.
  const full = prepareInsert(db, batchSize)
  const single = prepareInsert(db, 1)

  const write = async (rows: DecisionRow[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        let start = 0
        for (; start + batchSize <= rows.length; start += batchSize) await full(rows.slice(start, start + batchSize))
        for (; start < rows.length; start++) await single(rows.slice(start, start + 1))
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

const COLUMNS = Object.keys(getTableColumns(decisions)).filter((key) => key !== 'id') as (keyof DecisionRow)[]

const prepareInsert = (db: Database, rows: number) => {
  const values = Array.from({ length: rows }, (_, row) =>
    Object.fromEntries(COLUMNS.map((column) => [column, sql.placeholder(`${column}${row}`)])),
  )
  const statement = db.insert(decisions).values(values as unknown as DecisionRow[]).prepare()
  return (batch: DecisionRow[]) => {
    const params: Record<string, unknown> = {}
    batch.forEach((row, index) => {
      for (const column of COLUMNS) params[`${column}${index}`] = row[column] ?? null
    })
    return statement.run(params)
  }
}
