import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import type * as schema from './schema.ts'

/** better-sqlite3 (sync) on Node and D1 (async) on Workers: code awaits every result so both fit. */
// biome-ignore lint: drizzle's run-result type differs per driver and nothing here reads it
export type Database = BaseSQLiteDatabase<'sync' | 'async', any, typeof schema>
