import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/lib/logger.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from '../../src/runtime/wal-checkpointer.ts'

describe('the WAL checkpointer thread', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ivr-checkpointer-'))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('copies committed pages into the database file while the server connection only appends to the WAL', async () => {
    const path = join(directory, 'checkpointed.db')
    const { sqlite } = openDatabase(path)
    const checkpointer = startWalCheckpointer({ sqlite, intervalMs: 20, log: silentLogger })
    try {
      expect(checkpointer).toBeDefined()
      // The connection's own checkpoint is only the fallback now: far beyond what is written here.
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES)
      sqlite.exec('CREATE TABLE filler (text TEXT NOT NULL)')
      const before = statSync(path).size
      const insert = sqlite.prepare('INSERT INTO filler (text) VALUES (?)')
      // About 1 MB in 500 commits: some 300 pages, which the connection alone would leave in the WAL.
      for (let row = 0; row < 500; row++) insert.run('x'.repeat(2000))
      const deadline = Date.now() + 5000
      while (statSync(path).size <= before + 500_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(statSync(path).size).toBeGreaterThan(before + 500_000)
      expect(sqlite.prepare('SELECT count(*) AS rows FROM filler').get()).toEqual({ rows: 500 })
    } finally {
      await checkpointer?.stop()
      sqlite.close()
    }
  })

  it('does nothing for a database without a WAL (in memory)', () => {
    const { sqlite } = openDatabase(':memory:')
    expect(startWalCheckpointer({ sqlite, log: silentLogger })).toBeUndefined()
    sqlite.close()
  })
})
