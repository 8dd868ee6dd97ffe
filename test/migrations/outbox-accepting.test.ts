import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { describe, expect, it } from 'vitest'

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url))
const files = readdirSync(MIGRATIONS)
  .filter((file) => file.endsWith('.sql'))
  .sort()
const apply = (db: BetterSqlite3.Database, file: string) => {
  for (const statement of readFileSync(`${MIGRATIONS}${file}`, 'utf8').split('--> statement-breakpoint')) db.exec(statement)
}

describe('migration 0008 (outbox.accepting) on a database with call logs waiting', () => {
  it("opens the newest untried entry of each call, so the call's next decisions join it, and leaves tried or sent ones closed", () => {
    const db = new BetterSqlite3(':memory:')
    const upgrade = files.findIndex((file) => file.startsWith('0008_'))
    expect(upgrade).toBeGreaterThan(0)
    for (const file of files.slice(0, upgrade)) apply(db, file)
    const add = db.prepare(
      `INSERT INTO outbox (plugin, kind, provider, call_id, payload, attempts, next_attempt_at, created_at, delivered_at) VALUES ('hubspot', 'log_call', 'voicenter', ?, '{}', ?, 0, 'x', ?)`,
    )
    add.run('twice', 0, null) // a race left two waiting entries for one call: the newer one takes the next lines
    add.run('twice', 0, null)
    add.run('tried', 1, null)
    add.run('sent', 0, '2026-11-30T00:00:00Z')
    add.run('waiting', 0, null)

    apply(db, files[upgrade] as string)

    expect(db.prepare('SELECT id, call_id, accepting FROM outbox ORDER BY id').all()).toEqual([
      { id: 1, call_id: 'twice', accepting: null },
      { id: 2, call_id: 'twice', accepting: 1 },
      { id: 3, call_id: 'tried', accepting: null },
      { id: 4, call_id: 'sent', accepting: null },
      { id: 5, call_id: 'waiting', accepting: 1 },
    ])
    // At most one open entry per call from now on.
    expect(() => db.prepare(`UPDATE outbox SET accepting = 1 WHERE id = 1`).run()).toThrow(/UNIQUE/)
    db.close()
  })
})
