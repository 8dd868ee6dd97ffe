import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { openDatabase } from '../../src/runtime/node.ts'

const run = promisify(execFile)
const CLI = new URL('../../src/runtime/rules-check.ts', import.meta.url).pathname

const check = async (databasePath: string, ...args: string[]) => {
  try {
    const { stdout } = await run(process.execPath, [CLI, '--db', databasePath, ...args])
    return { code: 0, stdout }
  } catch (error) {
    const failed = error as { code: number; stdout: string }
    return { code: failed.code, stdout: failed.stdout }
  }
}

describe('npm run rules:check', () => {
  let directory: string
  let databasePath: string
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'rules-check-'))
    databasePath = join(directory, 'rules.db')
    const { sqlite, db } = openDatabase(databasePath)
    await seedDemoData(db)
    sqlite.close()
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('passes the demo rules', async () => {
    const result = await check(databasePath)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('8 rules and 2 fallbacks in use, 0 invalid')
  })

  it('reports rules that cannot be answered on a provider they match, and exits 1', async () => {
    const { sqlite } = openDatabase(databasePath)
    sqlite.exec(`
      INSERT INTO rules (name, action, to_layer) VALUES ('layer only', 'go_to_layer', '3');
      INSERT INTO rules (name, provider, action, to_layer) VALUES ('voicenter only', 'voicenter', 'go_to_layer', '3');
      INSERT INTO rules (name, action, dial, options) VALUES ('extension', 'dial', 'extension:1', '{"failed_layer": 2}');
      INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('7', '1', 'voicenter', 'go_to_layer', '31');
    `)
    sqlite.close()
    const result = await check(databasePath)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('rules #9 "layer only" cannot answer on routee: routee has no go_to_layer (give the row options.providers.routee)')
    expect(result.stdout).not.toContain('"voicenter only" cannot answer')
    expect(result.stdout).not.toContain('menu 7 key 1')
    expect(result.stdout).toContain('rules #11 "extension" cannot answer on routee: routee dials phone targets only')
    const fixed = openDatabase(databasePath)
    fixed.sqlite.exec(`DELETE FROM rules WHERE id >= 9; DELETE FROM menu_keys`)
    fixed.sqlite.close()
    expect((await check(databasePath)).code).toBe(0)
  })

  it('lists every invalid row with its reason and exits 1', async () => {
    const { sqlite } = openDatabase(databasePath)
    sqlite.exec(`
      INSERT INTO rules (name, dtmf, action, to_layer) VALUES ('bad regex', '/[/', 'go_to_layer', '3');
      INSERT INTO rules (name, action, say, to_layer, days) VALUES ('bad day', 'say', 'number:{{fields.balance}}', '3', 'funday');
      INSERT INTO fallbacks (name, action) VALUES ('no layer', 'go_to_layer');
    `)
    sqlite.close()
    const result = await check(databasePath)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('3 invalid')
    expect(result.stdout).toMatch(/rules #\d+ "bad regex": dtmf: invalid regular expression/)
    expect(result.stdout).toMatch(/rules #\d+ "bad day": time window: "funday" is not a day/)
    expect(result.stdout).toMatch(/fallbacks #3 "no layer": to_layer: go_to_layer needs the layer/)
    const json = JSON.parse((await check(databasePath, '--json')).stdout)
    expect(json.invalid).toHaveLength(3)
  })
})
