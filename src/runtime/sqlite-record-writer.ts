import type BetterSqlite3 from 'better-sqlite3'
import { is, Param, Placeholder } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import { type RecordWriter, type Round, roundStatements } from '../db/decision-log.ts'

/**
 * A drizzle query's SQL prepared on the better-sqlite3 connection, its named placeholders bound by position:
 * drizzle's own prepared query fills them by name on every run, a cost every call would pay.
 */
const positional = (sqlite: BetterSqlite3.Database, query: { toSQL(): { sql: string; params: unknown[] } }) => {
  const { sql, params } = query.toSQL()
  const statement = sqlite.prepare(sql)
  // Each parameter: a placeholder's name (and its column's encoder), or a value fixed in the query.
  const slots = params.map((param) => {
    if (is(param, Placeholder)) return { name: param.name as string }
    if (is(param, Param)) {
      const encoder = param.encoder as { mapToDriverValue(value: unknown): unknown } | undefined
      if (is(param.value, Placeholder)) return { name: param.value.name as string, encoder }
      return { value: encoder ? encoder.mapToDriverValue(param.value) : param.value }
    }
    return { value: param }
  })
  const values = slots.map((slot) => ('value' in slot ? slot.value : null))
  return (row: object) => {
    const fields = row as Record<string, unknown>
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index] as (typeof slots)[number]
      if (!('name' in slot) || slot.name === undefined) continue
      const value = fields[slot.name]
      values[index] = value === undefined || value === null ? null : slot.encoder ? slot.encoder.mapToDriverValue(value) : value
    }
    statement.run(values)
  }
}

/**
 * A round of decisions, call states and call logs as one transaction on the better-sqlite3 connection: one
 * commit (one WAL append) per round instead of one per statement. The statements are the core's
 * (roundStatements), so Node and D1 write the same SQL.
 */
export const sqliteRecordWriter = ({ sqlite, db }: { sqlite: BetterSqlite3.Database; db: Database }): RecordWriter => {
  const statements = roundStatements(db)
  const insertDecision = positional(sqlite, statements.insertDecisions(1))
  const upsertState = positional(sqlite, statements.upsertCallState)
  const upsertLog = positional(sqlite, statements.upsertCallLog)
  const commit = sqlite.transaction(({ decisions, callStates, callLogs }: Round) => {
    for (const row of decisions) insertDecision(row)
    for (const state of callStates) upsertState(state)
    for (const log of callLogs) upsertLog(log)
  })
  return (round) => commit(round)
}
