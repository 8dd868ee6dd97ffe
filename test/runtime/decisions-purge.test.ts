import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/runtime/node.ts'

const run = promisify(execFile)
const CLI = new URL('../../src/runtime/decisions-purge.ts', import.meta.url).pathname

const purge = async (...args: string[]) => {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args])
    return { code: 0, stdout, stderr: '' }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('npm run decisions:purge', () => {
  let directory: string
  let databasePath: string
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'decisions-purge-'))
    databasePath = join(directory, 'purge.db')
    const { sqlite } = openDatabase(databasePath)
    const insert = sqlite.prepare(`INSERT INTO decisions (at, provider, call_id) VALUES (?, 'voicenter', ?)`)
    sqlite.transaction(() => {
      for (let i = 0; i < 1_234; i++) insert.run(new Date(Date.now() - 40 * 86_400_000).toISOString(), 'old')
      insert.run(new Date(Date.now() - 20 * 86_400_000).toISOString(), 'recent')
    })()
    sqlite.close()
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('deletes decisions older than --days, in batches of --batch-size, and keeps the rest', async () => {
    const result = await purge('--days', '30', '--db', databasePath, '--batch-size', '100')
    expect(result).toMatchObject({ code: 0, stdout: '1234 decisions older than 30 days deleted\n' })
    const { sqlite } = openDatabase(databasePath)
    try {
      expect(sqlite.prepare('SELECT call_id FROM decisions').all()).toEqual([{ call_id: 'recent' }])
    } finally {
      sqlite.close()
    }
  })

  it.each([[['--days', '0']], [['--days', '30', '--batch-size', '0']], [[]]])('exits 2 with the usage for %j', async (args) => {
    const result = await purge(...args, '--db', databasePath)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('usage: npm run decisions:purge -- --days 30')
  })
})
