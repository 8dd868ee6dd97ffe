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
    expect(result.stdout).toContain('8 rules and 2 fallbacks in use, 0 invalid, 0 warnings')
    expect(result.stdout).not.toMatch(/[✗!]/)
  })

  it('warns (!) of providers a row cannot answer on, and fails (✗) a row that can answer on none', async () => {
    const { sqlite } = openDatabase(databasePath)
    sqlite.exec(`
      INSERT INTO rules (name, action, to_layer) VALUES ('layer only', 'go_to_layer', '3');
      INSERT INTO rules (name, provider, action, to_layer) VALUES ('voicenter only', 'voicenter', 'go_to_layer', '3');
      INSERT INTO rules (name, action, dial, options) VALUES ('extension', 'dial', 'extension:1', '{"failed_layer": 2}');
      INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('7', '1', 'voicenter', 'go_to_layer', '31');
    `)
    sqlite.close()
    const partial = await check(databasePath)
    expect(partial.code).toBe(0)
    expect(partial.stdout).toContain('12 rules and 2 fallbacks in use, 0 invalid, 5 warnings')
    expect(partial.stdout).toContain('  ! rules #9 "layer only": routee: has no go_to_layer (give options.providers.routee)')
    expect(partial.stdout).toContain('  ! rules #9 "layer only": ringcentral: has no go_to_layer (give options.providers.ringcentral)')
    expect(partial.stdout).toContain('  ! rules #11 "extension": routee: dials phone targets only (give options.providers.routee)')
    expect(partial.stdout).toContain('  ! rules #11 "extension": voipnow: has no dial (give options.providers.voipnow)')
    expect(partial.stdout).not.toContain('voicenter only')
    expect(partial.stdout).not.toContain('menu 7 key 1')

    const never = openDatabase(databasePath)
    never.sqlite.exec(`
      INSERT INTO rules (name, provider, action, to_layer) VALUES ('routee layer', 'routee', 'go_to_layer', '3');
      INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('7', '2', 'routee, voipnow', 'extension', '103');
      INSERT INTO fallbacks (name, provider, action) VALUES ('skype', 'skype', 'hangup');
    `)
    never.sqlite.close()
    const failed = await check(databasePath)
    expect(failed.code).toBe(1)
    // Every ✗ line is counted, and a row that never answers is not "in use".
    expect(failed.stdout).toContain('12 rules and 2 fallbacks in use, 3 invalid, 5 warnings')
    expect(failed.stdout.match(/✗/g)).toHaveLength(3)
    expect(failed.stdout).toContain(
      '  ✗ rules #12 "routee layer": action: no provider this rule applies to can answer "go_to_layer" (routee) — give options.providers.<id> or scope the rule with provider',
    )
    expect(failed.stdout).toContain(
      '  ✗ menu_keys #2 "menu 7 key 2": action: no provider this menu key applies to can dial extension targets (routee); ' +
        'action: no provider this menu key applies to can answer "dial" (voipnow) — scope the key with provider',
    )
    expect(failed.stdout).toContain(
      '  ✗ fallbacks #3 "skype": provider: "skype" is not a registered provider (voicenter, routee, voipnow, stringee, ringcentral)',
    )
    const json = JSON.parse((await check(databasePath, '--json')).stdout)
    expect(json).toMatchObject({ rules: 12, fallbacks: 2 })
    expect(json.invalid.map((row: { table: string; id: number }) => `${row.table} #${row.id}`)).toEqual([
      'rules #12',
      'menu_keys #2',
      'fallbacks #3',
    ])
    expect(json.warnings).toHaveLength(5)

    const fixed = openDatabase(databasePath)
    fixed.sqlite.exec('DELETE FROM rules WHERE id >= 9; DELETE FROM menu_keys; DELETE FROM fallbacks WHERE id >= 3')
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
    expect(result.stdout).toContain('8 rules and 2 fallbacks in use, 3 invalid')
    expect(result.stdout).toMatch(/rules #\d+ "bad regex": dtmf: invalid regular expression/)
    expect(result.stdout).toMatch(/rules #\d+ "bad day": time window: "funday" is not a day/)
    expect(result.stdout).toMatch(/fallbacks #\d+ "no layer": to_layer: go_to_layer needs the layer/)
    const json = JSON.parse((await check(databasePath, '--json')).stdout)
    expect(json.invalid).toHaveLength(3)
  })
})
