import type BetterSqlite3 from 'better-sqlite3'
import type { Database } from '../db/database.ts'
import { type RecordWriter, type Round, roundStatements } from '../db/decision-log.ts'
import { positionalQuery } from '../db/positional-query.ts'

/** A round statement prepared once on the connection, run with a row's fields by position. */
const prepared = (sqlite: BetterSqlite3.Database, query: Parameters<typeof positionalQuery>[0]) => {
  const { sql, values } = positionalQuery(query)
  const statement = sqlite.prepare(sql)
  return (row: object) => statement.run(values(row))
}

/**
 * A round of decisions, call states and call logs as one transaction on the better-sqlite3 connection: one
 * commit (one WAL append) per round instead of one per statement. The statements are the core's
 * (roundStatements), so Node and D1 write the same SQL.
 */
export const sqliteRecordWriter = ({ sqlite, db }: { sqlite: BetterSqlite3.Database; db: Database }): RecordWriter => {
  const statements = roundStatements(db)
  const insertDecision = prepared(sqlite, statements.insertDecision)
  const upsertState = prepared(sqlite, statements.upsertCallState)
  const upsertLog = prepared(sqlite, statements.upsertCallLog)
  const commit = sqlite.transaction(({ decisions, callStates, callLogs }: Round) => {
    for (const row of decisions) insertDecision(row)
    for (const state of callStates) upsertState(state)
    for (const log of callLogs) upsertLog(log)
  })
  return (round) => commit(round)
}
