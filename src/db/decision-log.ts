import { getTableColumns, sql } from 'drizzle-orm'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { Database } from './database.ts'
import { type CallStateRow, callState, type DecisionRow, decisions, type OutboxRow, outbox } from './schema.ts'
import type { StorageHealth } from './storage-health.ts'

export interface DecisionLog {
  /**
   * Queues a row; the promise settles once it is committed, or once the write has failed and the row is kept
   * for retry (it never rejects, so a caller may wait on it before answering without risking the answer).
   */
  record(row: DecisionRow): Promise<void>
  /**
   * Queues a call's state to be committed in the same transaction as the decisions queued with it, so a
   * routed call costs one commit, not two. Settles (never rejects) once committed, with the error when the
   * write failed; a failed state is not retried here (the call-state store keeps it in memory).
   */
  saveCallState(row: CallStateRow): Promise<{ error?: unknown }>
  /** Queues a call log write the same way: committed with the round, settled with the error if it failed. */
  saveCallLog(write: CallLogWrite): Promise<{ error?: unknown }>
  /** Writes whatever is queued now, failed rows included (shutdown). */
  flush(): Promise<void>
  /** Rows waiting for a retry after a failed write. */
  pending(): number
}

/**
 * Commits one round of queued writes: all of them, or (throwing) none. The default goes through drizzle's
 * prepared statements on any database; the Node entry passes one on the better-sqlite3 connection that makes
 * the round a single transaction (`src/runtime/sqlite-record-writer.ts`).
 */
export type RecordWriter = (round: Round) => unknown

/** What one round commits. */
export interface Round {
  decisions: readonly DecisionRow[]
  callStates: readonly CallStateRow[]
  callLogs: readonly CallLogWrite[]
}

/**
 * A call's log for a CRM (the outbox), written with the round: a new entry, or, when the call already has
 * one that has not been tried yet, its summary line appended and its contact replaced (one upsert, no read).
 */
export type CallLogWrite = Pick<OutboxRow, 'plugin' | 'kind' | 'provider' | 'callId' | 'payload' | 'nextAttemptAt' | 'createdAt'>

/** Thrown by a writer that commits statement by statement: the first `written` decisions are stored. */
export class PartialWriteError extends Error {
  readonly written: number
  constructor(written: number, cause: unknown) {
    super(errorMessage(cause), { cause })
    this.written = written
  }
}

export interface DecisionLogOptions {
  db: Database
  log: Logger
  health?: StorageHealth
  /** How a round of writes is committed. @default drizzle statements on `db` */
  writer?: RecordWriter
  /**
   * When to write the queued rows. Rows recorded before it fires share one commit; a caller that waits for the
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

interface Staged<Write> {
  write: Write
  settle: (outcome: { error?: unknown }) => void
}

/**
 * The decision log: one row per answered request, written together with the call states changed since the
 * last round. A failing database never delays or breaks an answer: the rows are kept (bounded) and written
 * with the next round once the back-off has passed; logs say how many are waiting, never what they contain
 * (caller numbers, PINs).
 */
export const createDecisionLog = ({
  db,
  log,
  health,
  writer = drizzleRecordWriter(db),
  schedule = (write) => setTimeout(write, 0),
  maxPending = 10_000,
  retryDelayMs = 500,
  maxRetryDelayMs = 30_000,
  now = Date.now,
}: DecisionLogOptions): DecisionLog => {
  let queue: DecisionRow[] = []
  let states: Staged<CallStateRow>[] = []
  let callLogs: Staged<CallLogWrite>[] = []
  let failed: DecisionRow[] = []
  let dropped = 0
  let retryAt = 0
  let refusing = false
  let delay = retryDelayMs
  let scheduled: Promise<void> | undefined

  const keep = (rows: DecisionRow[]) => {
    if (rows.length === 0) return
    failed = failed.length === 0 ? rows : failed.concat(rows)
    if (failed.length > maxPending) {
      const over = failed.length - maxPending
      dropped += over
      failed = failed.slice(over)
      log.error('decision log: database refuses writes; oldest rows dropped', { dropped, pending: failed.length })
    }
  }

  const settle = (staged: Staged<unknown>[], outcome: { error?: unknown }) => {
    for (const write of staged) write.settle(outcome)
  }

  const flush = async (force = true) => {
    scheduled = undefined
    let rows = queue
    queue = []
    const staged: Staged<unknown>[] = states.length + callLogs.length === 0 ? [] : [...states, ...callLogs]
    const round: Round = { decisions: [], callStates: states.map((state) => state.write), callLogs: callLogs.map((log) => log.write) }
    states = []
    callLogs = []
    if (refusing && !force && now() < retryAt) {
      // Still backing off: do not hammer a database that just refused (a locked file makes each try wait for
      // the lock), and do not slow this call down.
      keep(rows)
      settle(staged, { error: new Error('the database refused the last write; tried again after a back-off') })
      return
    }
    if (failed.length > 0) {
      rows = failed.concat(rows)
      failed = []
    }
    if (rows.length === 0 && staged.length === 0) return
    try {
      await writer({ ...round, decisions: rows })
    } catch (thrown) {
      const error = thrown instanceof PartialWriteError ? thrown.cause : thrown
      health?.failed('decisions', error)
      const left = rows.slice(thrown instanceof PartialWriteError ? thrown.written : 0)
      log.error('decision log write failed; rows kept for retry', { error: errorMessage(error), pending: left.length, retryInMs: delay })
      keep(left)
      settle(staged, { error })
      refusing = true
      retryAt = now() + delay
      delay = Math.min(delay * 2, maxRetryDelayMs)
      return
    }
    settle(staged, {})
    if (refusing || dropped > 0) log.info('decision log writes again', { dropped })
    refusing = false
    delay = retryDelayMs
    dropped = 0
    health?.succeeded('decisions')
  }

  const scheduleFlush = () => {
    scheduled ??= new Promise<void>((resolve) => schedule(resolve)).then(() => flush(false))
    return scheduled
  }

  return {
    record(row) {
      queue.push(row)
      return scheduleFlush()
    },
    saveCallState(row) {
      const saved = new Promise<{ error?: unknown }>((resolve) => states.push({ write: row, settle: resolve }))
      void scheduleFlush()
      return saved
    },
    saveCallLog(write) {
      const saved = new Promise<{ error?: unknown }>((resolve) => callLogs.push({ write, settle: resolve }))
      void scheduleFlush()
      return saved
    },
    flush: () => flush(true),
    pending: () => failed.length + queue.length,
  }
}

const COLUMNS = Object.keys(getTableColumns(decisions)).filter((key) => key !== 'id') as (keyof DecisionRow)[]

/**
 * The statements a round runs, as drizzle queries with named placeholders (a decision's are its column keys,
 * suffixed with its row number in a multi-row INSERT). Any database prepares them through drizzle; the Node
 * writer prepares their SQL on the better-sqlite3 connection itself and binds by position.
 */
export const roundStatements = (db: Database) => ({
  insertDecision: db
    .insert(decisions)
    .values(Object.fromEntries(COLUMNS.map((column) => [column, sql.placeholder(column)])) as unknown as DecisionRow),
  upsertCallState: db
    .insert(callState)
    .values({
      provider: sql.placeholder('provider'),
      callId: sql.placeholder('callId'),
      data: sql.placeholder('data'),
      updatedAt: sql.placeholder('updatedAt'),
    })
    .onConflictDoUpdate({
      target: [callState.provider, callState.callId],
      set: { data: sql`excluded.data`, updatedAt: sql`excluded.updated_at` },
    }),
  upsertCallLog: db
    .insert(outbox)
    .values({
      plugin: sql.placeholder('plugin'),
      kind: sql.placeholder('kind'),
      provider: sql.placeholder('provider'),
      callId: sql.placeholder('callId'),
      payload: sql.placeholder('payload'),
      nextAttemptAt: sql.placeholder('nextAttemptAt'),
      createdAt: sql.placeholder('createdAt'),
      accepting: 1,
    })
    .onConflictDoUpdate({
      // The partial unique index of migration 0008, word for word.
      target: [outbox.plugin, outbox.kind, outbox.provider, outbox.callId],
      targetWhere: sql`accepting = 1`,
      set: {
        payload: sql`json_set(payload, '$.summary', json_extract(payload, '$.summary') || char(10) || json_extract(excluded.payload, '$.summary'), '$.contact', json(json_extract(excluded.payload, '$.contact')))`,
      },
    }),
})

/**
 * Any drizzle database, statement by statement (the Node and Worker entries pass writers that make a round
 * one transaction): a failure says how many decisions were stored before it.
 */
export const drizzleRecordWriter = (db: Database): RecordWriter => {
  const statements = roundStatements(db)
  const insertDecision = statements.insertDecision.prepare()
  const upsertState = statements.upsertCallState.prepare()
  const upsertLog = statements.upsertCallLog.prepare()
  return async ({ decisions: rows, callStates, callLogs }) => {
    let written = 0
    try {
      for (const row of rows) {
        await insertDecision.run(Object.fromEntries(COLUMNS.map((column) => [column, row[column] ?? null])))
        written++
      }
      for (const state of callStates) await upsertState.run({ ...state })
      for (const log of callLogs) await upsertLog.run({ ...log })
    } catch (error) {
      throw new PartialWriteError(written, error)
    }
  }
}
