import type { Database } from '../db/database.ts'
import { type RecordWriter, roundStatements } from '../db/decision-log.ts'
import { positionalQuery } from '../db/positional-query.ts'

/**
 * A round of decisions, call states and call logs as one D1 batch: one round trip, and D1 runs a batch as a
 * transaction (all or nothing), where the drizzle writer sends each statement on its own. The statements are
 * the core's (roundStatements), as on Node.
 */
export const d1RecordWriter = (d1: D1Database, db: Database): RecordWriter => {
  const statements = roundStatements(db)
  const prepared = (query: Parameters<typeof positionalQuery>[0]) => {
    const { sql, values } = positionalQuery(query)
    const statement = d1.prepare(sql)
    return (row: object) => statement.bind(...values(row))
  }
  const insertDecision = prepared(statements.insertDecision)
  const upsertState = prepared(statements.upsertCallState)
  const upsertLog = prepared(statements.upsertCallLog)
  return async ({ decisions, callStates, callLogs }) => {
    const batch = [...decisions.map(insertDecision), ...callStates.map(upsertState), ...callLogs.map(upsertLog)]
    if (batch.length > 0) await d1.batch(batch)
  }
}
