import type BetterSqlite3 from 'better-sqlite3'
import { getTableColumns, getTableName, type Table } from 'drizzle-orm'
import type { RecordWriter, Round } from '../db/decision-log.ts'
import { callState, decisions, outbox } from '../db/schema.ts'

/** `INSERT INTO table (columns…) VALUES (?, …)` over every column but the generated id, bound by position. */
const insertInto = (sqlite: BetterSqlite3.Database, table: Table) => {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key !== 'id')
  const statement = sqlite.prepare(
    `INSERT INTO "${getTableName(table)}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  )
  const keys = columns.map(([key]) => key)
  // A field left out takes the column's default (outbox.attempts = 0), as drizzle's own INSERT would.
  const defaults = columns.map(([, column]) => (column.hasDefault && typeof column.default !== 'object' ? column.default : null))
  const values = new Array<unknown>(keys.length)
  return (row: Record<string, unknown>) => {
    for (let index = 0; index < keys.length; index++) values[index] = row[keys[index] as string] ?? defaults[index]
    statement.run(values)
  }
}

/**
 * A round of decisions, call states and call logs as one transaction on the better-sqlite3 connection: one
 * commit (one WAL append) per round instead of one per statement, through statements prepared once and
 * bound by position, which costs a fraction of drizzle's named placeholders on the path every call takes.
 */
export const sqliteRecordWriter = (sqlite: BetterSqlite3.Database): RecordWriter => {
  const insertDecision = insertInto(sqlite, decisions)
  const insertLog = insertInto(sqlite, outbox)
  const { provider, callId, data, updatedAt } = getTableColumns(callState)
  const upsertState = sqlite.prepare(
    `INSERT INTO "${getTableName(callState)}" ("${provider.name}", "${callId.name}", "${data.name}", "${updatedAt.name}") VALUES (?, ?, ?, ?)
     ON CONFLICT ("${provider.name}", "${callId.name}") DO UPDATE SET "${data.name}" = excluded."${data.name}", "${updatedAt.name}" = excluded."${updatedAt.name}"`,
  )
  const { id, payload } = getTableColumns(outbox)
  const updateLog = sqlite.prepare(`UPDATE "${getTableName(outbox)}" SET "${payload.name}" = ? WHERE "${id.name}" = ?`)
  const commit = sqlite.transaction(({ decisions: rows, callStates, callLogs }: Round) => {
    for (const row of rows) insertDecision(row)
    for (const state of callStates) upsertState.run(state.provider, state.callId, state.data, state.updatedAt)
    for (const write of callLogs) {
      if ('insert' in write) insertLog(write.insert())
      else {
        const update = write.update()
        updateLog.run(update.payload, update.id)
      }
    }
  })
  return (round) => commit(round)
}
