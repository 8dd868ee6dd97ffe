import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'

describe('revision reader', () => {
  let directory: string
  let database: NodeDatabase
  let tool: BetterSqlite3.Database
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'revisions-'))
    database = openDatabase(join(directory, 'test.db'))
    tool = new BetterSqlite3(join(directory, 'test.db'))
  })
  afterEach(() => {
    tool.close()
    database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })
  const editContacts = () => tool.prepare(`INSERT INTO contacts (name, phone) VALUES ('New', '+97233333333')`).run()

  it('reads a counter again only once refreshMs has passed, so an edit elsewhere is seen within it', async () => {
    let now = 0
    const reader = createRevisionReader(database.db, 1000, () => now)
    const first = await reader.current('directory')
    expect(first).toBeTypeOf('number')
    editContacts()
    now = 999
    expect(await reader.current('directory')).toBe(first)
    expect(reader.peek('directory')).toBe(first)
    now = 1000
    expect(reader.peek('directory')).toBe('stale')
    expect(await reader.current('directory')).toBe((first as number) + 1)
    expect(await reader.current('no such counter')).toBeUndefined()
  })

  it('with refreshMs 0, reads on every call (the tests, and what a deployment can ask for)', async () => {
    const reader = createRevisionReader(database.db, 0)
    const first = (await reader.current('directory')) as number
    editContacts()
    expect(await reader.current('directory')).toBe(first + 1)
  })

  it('calls that ask while a read is under way wait for that one', async () => {
    const reader = createRevisionReader(database.db, 0)
    const first = reader.current('routing')
    expect(reader.current('routing')).toBe(first)
    await first
    expect(reader.current('routing')).not.toBe(first)
  })
})
