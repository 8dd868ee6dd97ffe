import type BetterSqlite3 from 'better-sqlite3'
import { getTableColumns, getTableName } from 'drizzle-orm'
import type { RecordWriter } from '../db/decision-log.ts'
import { callState, type DecisionRow, decisions } from '../db/schema.ts'

/**
 * A round of decisions and call states as one transaction on the better-sqlite3 connection: one commit (one
 * WAL append) per round instead of one per statement, through statements prepared once and bound by
 * position, which costs a fraction of drizzle's named placeholders on the path every call takes.
 */
export const sqliteRecordWriter = (sqlite: BetterSqlite3.Database): RecordWriter => {
  const columns = Object.entries(getTableColumns(decisions)).filter(([key]) => key !== 'id')
  const keys = columns.map(([key]) => key as keyof DecisionRow)
  const insert = sqlite.prepare(
    `INSERT INTO "${getTableName(decisions)}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  )
  const { provider, callId, data, updatedAt } = getTableColumns(callState)
  const upsert = sqlite.prepare(
    `INSERT INTO "${getTableName(callState)}" ("${provider.name}", "${callId.name}", "${data.name}", "${updatedAt.name}") VALUES (?, ?, ?, ?)
     ON CONFLICT ("${provider.name}", "${callId.name}") DO UPDATE SET "${data.name}" = excluded."${data.name}", "${updatedAt.name}" = excluded."${updatedAt.name}"`,
  )
  const values = new Array<unknown>(keys.length)
  const commit = sqlite.transaction((rows: Parameters<RecordWriter>[0], states: Parameters<RecordWriter>[1]) => {
    for (const row of rows) {
      for (let index = 0; index < keys.length; index++) values[index] = row[keys[index] as keyof DecisionRow] ?? null
      insert.run(values)
    }
    for (const state of states) upsert.run(state.provider, state.callId, state.data, state.updatedAt)
  })
  return (rows, states) => commit(rows, states)
}
