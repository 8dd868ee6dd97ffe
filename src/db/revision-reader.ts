import { eq, sql } from 'drizzle-orm'
import type { Database } from './database.ts'
import { revisions } from './schema.ts'

/**
 * The change counters triggers keep in `revisions` ('routing', 'directory'), read at most every `refreshMs`:
 * what is kept in memory by revision (rules, directory lookups) then costs no query on most calls, and an edit
 * made anywhere (the admin API, an SQLite tool, another Worker isolate) is seen within `refreshMs`.
 */
export interface RevisionReader {
  /** The counter's value; undefined when the database has no such row. */
  current(name: string): Promise<number | undefined>
  /** The value read less than `refreshMs` ago, without waiting; `stale` when it must be read again. */
  peek(name: string): number | undefined | 'stale'
}

export const createRevisionReader = (db: Database, refreshMs: number, clock: () => number = Date.now): RevisionReader => {
  const query = db
    .select({ value: revisions.value })
    .from(revisions)
    .where(eq(revisions.name, sql.placeholder('name')))
    .prepare()
  const known = new Map<string, { value: number | undefined; checkedAt: number }>()
  const inFlight = new Map<string, Promise<number | undefined>>()
  const read = (name: string) => {
    let pending = inFlight.get(name)
    if (!pending) {
      const started = clock()
      pending = Promise.resolve(query.get({ name }))
        .then((row) => {
          known.set(name, { value: row?.value, checkedAt: started })
          return row?.value
        })
        .finally(() => inFlight.delete(name))
      inFlight.set(name, pending)
    }
    return pending
  }
  const peek = (name: string) => {
    const entry = known.get(name)
    return entry && clock() - entry.checkedAt < refreshMs ? entry.value : 'stale'
  }
  return {
    peek,
    current(name) {
      const value = peek(name)
      return value === 'stale' ? read(name) : Promise.resolve(value)
    },
  }
}
