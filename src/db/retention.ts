import { type SQL, sql } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Config } from '../config.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { Database } from './database.ts'
import { callState, decisions, outbox } from './schema.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

export interface RetentionSettings {
  /** Days a decision is kept; 0 keeps decisions forever. */
  decisionsDays: number
  /** Hours a call's state is kept after its last request. */
  callStateHours: number
  /** Days a delivered call log is kept after delivery; 0 keeps them forever. */
  outboxDeliveredDays: number
  /** Days a call log given up after `outboxMaxAttempts` is kept after its last attempt; 0 keeps them forever. */
  outboxGivenUpDays: number
  outboxMaxAttempts: number
  /** Rows per DELETE: each statement holds the database's write lock (and, on Node, the event loop) only this long. */
  batchSize: number
  /** Most rows one run deletes of each kind; the rest waits for the next run, so one run is bounded. */
  maxRowsPerRun: number
}

export const retentionSettings = (config: Config): RetentionSettings => ({
  decisionsDays: config.DECISIONS_RETENTION_DAYS,
  callStateHours: config.CALL_STATE_TTL_HOURS,
  outboxDeliveredDays: config.OUTBOX_RETENTION_DAYS,
  outboxGivenUpDays: config.OUTBOX_FAILED_RETENTION_DAYS,
  outboxMaxAttempts: config.CALL_LOG_MAX_ATTEMPTS,
  batchSize: config.RETENTION_BATCH_SIZE,
  maxRowsPerRun: config.RETENTION_MAX_ROWS_PER_RUN,
})

/** Rows deleted by one run, per kind. */
export interface RetentionRun {
  decisions: number
  callState: number
  outboxDelivered: number
  outboxGivenUp: number
  /** A kind reached `maxRowsPerRun` (or the run was stopped): expired rows may remain for the next run. */
  more: boolean
}

type Kind = Exclude<keyof RetentionRun, 'more'>

/** Expired rows of one kind: each batch takes the oldest `limit` of them through `order`'s index. */
export interface ExpiredRows {
  table: SQLiteTable
  where: SQL
  order: SQL
}

export interface BatchOptions {
  batchSize: number
  /** Stop after this many rows (Infinity: until none are left). */
  maxRows?: number
  /** Wait before each statement; 0 still yields to the event loop (a timer turn, so pending I/O runs first). */
  pauseMs?: number
  /** Checked before each statement: a stopped run ends after the batch in flight. */
  signal?: AbortSignal
}

/**
 * Deletes in statements of at most `batchSize` rows, yielding to the event loop before each one. On
 * better-sqlite3 a statement blocks the process while it runs, so one DELETE of every expired row would hold
 * up every call (2.4 s for 448k decisions); a batch of 500 is a few milliseconds.
 */
export const deleteExpired = async (
  db: Database,
  expired: ExpiredRows,
  { batchSize, maxRows = Number.POSITIVE_INFINITY, pauseMs = 0, signal }: BatchOptions,
): Promise<{ deleted: number; more: boolean }> => {
  let deleted = 0
  while (deleted < maxRows) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
    if (signal?.aborted) return { deleted, more: true }
    const limit = Math.min(batchSize, maxRows - deleted)
    // DELETE … LIMIT needs a compile-time option neither better-sqlite3 nor D1 is built with; a rowid subquery works everywhere.
    const result = await db.run(
      sql`DELETE FROM ${expired.table} WHERE rowid IN (SELECT rowid FROM ${expired.table} WHERE ${expired.where} ORDER BY ${expired.order} LIMIT ${limit})`,
    )
    const changes = changesOf(result)
    deleted += changes
    if (changes < limit) return { deleted, more: false }
  }
  return { deleted, more: true }
}

/** better-sqlite3 answers `{ changes }`, D1 `{ meta: { changes } }`. */
const changesOf = (result: unknown): number => {
  const run = result as { changes?: number; meta?: { changes?: number } }
  return run.changes ?? run.meta?.changes ?? 0
}

export const expiredDecisions = (before: Date): ExpiredRows => ({
  table: decisions,
  where: sql`${decisions.at} < ${before.toISOString()}`,
  order: sql`${decisions.at}`,
})

const expiredCallState = (before: number): ExpiredRows => ({
  table: callState,
  where: sql`${callState.updatedAt} < ${before}`,
  order: sql`${callState.updatedAt}`,
})

const deliveredCallLogs = (before: Date): ExpiredRows => ({
  table: outbox,
  // A NULL delivered_at (not delivered yet) never compares as less: pending logs are never touched here.
  where: sql`${outbox.deliveredAt} < ${before.toISOString()}`,
  order: sql`${outbox.deliveredAt}`,
})

/**
 * Logs the outbox stopped retrying. `next_attempt_at` of a given-up row is its last attempt plus the backoff
 * (an hour at most), so it stands in for "given up at" and keeps the selection on the outbox_due index.
 */
const givenUpCallLogs = (before: number, maxAttempts: number): ExpiredRows => ({
  table: outbox,
  where: sql`${outbox.deliveredAt} IS NULL AND ${outbox.nextAttemptAt} < ${before} AND ${outbox.attempts} >= ${maxAttempts}`,
  order: sql`${outbox.nextAttemptAt}`,
})

/** Deletes every decision older than `days` (admin API, `npm run decisions:purge`), in batches. */
export const purgeDecisionsOlderThan = async (
  db: Database,
  days: number,
  options: Omit<BatchOptions, 'maxRows'> & { now?: number },
): Promise<number> => {
  const before = new Date((options.now ?? Date.now()) - days * DAY_MS)
  return (await deleteExpired(db, expiredDecisions(before), options)).deleted
}

export interface RetentionOptions extends RetentionSettings {
  db: Database
  now?: () => number
  pauseMs?: number
}

export interface Retention {
  /** Deletes expired rows of every kind, at most `maxRowsPerRun` of each. Throws what the database throws. */
  run(signal?: AbortSignal): Promise<RetentionRun>
}

export const createRetention = ({ db, now = Date.now, pauseMs = 0, ...settings }: RetentionOptions): Retention => ({
  async run(signal) {
    const at = now()
    const kinds: [Kind, ExpiredRows | undefined][] = [
      ['decisions', settings.decisionsDays > 0 ? expiredDecisions(new Date(at - settings.decisionsDays * DAY_MS)) : undefined],
      ['callState', expiredCallState(at - settings.callStateHours * HOUR_MS)],
      [
        'outboxDelivered',
        settings.outboxDeliveredDays > 0 ? deliveredCallLogs(new Date(at - settings.outboxDeliveredDays * DAY_MS)) : undefined,
      ],
      [
        'outboxGivenUp',
        settings.outboxGivenUpDays > 0 ? givenUpCallLogs(at - settings.outboxGivenUpDays * DAY_MS, settings.outboxMaxAttempts) : undefined,
      ],
    ]
    const result: RetentionRun = { decisions: 0, callState: 0, outboxDelivered: 0, outboxGivenUp: 0, more: false }
    for (const [kind, expired] of kinds) {
      if (!expired) continue
      const { deleted, more } = await deleteExpired(db, expired, {
        batchSize: settings.batchSize,
        maxRows: settings.maxRowsPerRun,
        pauseMs,
        signal,
      })
      result[kind] = deleted
      result.more ||= more
    }
    return result
  },
})

/** One run whose failure is logged, never thrown: a cron or timer must survive a database that is down. */
export const runRetention = async (retention: Retention, log: Logger, signal?: AbortSignal): Promise<RetentionRun | undefined> => {
  try {
    const result = await retention.run(signal)
    if (result.decisions + result.callState + result.outboxDelivered + result.outboxGivenUp > 0) {
      log.info('retention: expired rows deleted', { ...result })
    }
    return result
  } catch (error) {
    // Drizzle wraps driver errors as "Failed to run the query …"; what went wrong is in the cause.
    const cause = error instanceof Error && error.cause !== undefined ? errorMessage(error.cause) : undefined
    log.error('retention run failed', { error: errorMessage(error), cause })
    return undefined
  }
}
