import type { BatchItem } from 'drizzle-orm/batch'
import type { Database } from './database.ts'

/** Statements that must all apply or none (a publish): drizzle queries, not yet run. */
export type AtomicStatements = readonly [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]

/**
 * Runs statements as one transaction. Each runtime passes its own: a better-sqlite3 transaction on Node, a
 * D1 batch on Workers (D1 refuses BEGIN; a batch is its transaction).
 */
export type RunAtomically = (statements: AtomicStatements) => Promise<void>

/**
 * For a database whose runtime gave no way (tests building the app by hand): the statements in order, not
 * atomic. Both entries pass a real one.
 */
export const runInOrder =
  (_db: Database): RunAtomically =>
  async (statements) => {
    for (const statement of statements) await statement
  }
