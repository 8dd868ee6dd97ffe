import type BetterSqlite3 from 'better-sqlite3'
import type { RunAtomically } from '../db/atomic.ts'

/** Statements as one better-sqlite3 transaction: drizzle's queries on this connection run synchronously inside it. */
export const sqliteAtomic =
  (sqlite: BetterSqlite3.Database): RunAtomically =>
  async (statements) => {
    sqlite.transaction(() => {
      for (const statement of statements) (statement as unknown as { run(): unknown }).run()
    })()
  }
