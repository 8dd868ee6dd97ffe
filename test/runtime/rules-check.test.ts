import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
        'action: no provider this menu key applies to can answer "dial" (voipnow) — give options.providers.<id> or scope the menu key with provider',
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

  it('lists every rule that can never fire, with its reason: what is fixed in it is something no provider it is for takes', async () => {
    const { sqlite } = openDatabase(databasePath)
    sqlite.exec(`
      INSERT INTO rules (name, provider, identify_by, action, dial) VALUES ('no failed layer', 'voicenter', 'none', 'dial', 'extension:100');
      INSERT INTO rules (name, provider, identify_by, action, say, to_layer, language) VALUES ('french', 'voicenter', 'none', 'say', 'digits:{{call.dtmf}}', '12', 'FR');
      INSERT INTO rules (name, provider, identify_by, action, say, to_layer) VALUES ('text', 'voicenter', 'none', 'say', 'text:Your balance is, number:{{fields.balance}}', '12');
      INSERT INTO rules (name, provider, identify_by, action, say, to_layer) VALUES ('cents', 'voicenter', 'none', 'say', 'number:12.50', '12');
      INSERT INTO rules (name, provider, identify_by, action, to_layer) VALUES ('abc', 'voicenter', 'none', 'go_to_layer', 'abc');
      INSERT INTO rules (name, provider, identify_by, action, to_layer) VALUES ('filled in on the call', 'voicenter', 'none', 'go_to_layer', '{{owner.layer}}');
      INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('8', '1', 'voicenter', 'go_to_layer', '81');
      INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('8', '1', 'Voicenter', 'go_to_layer', '82');
      INSERT INTO menu_keys (layer, key, provider, action, target, options)
        VALUES ('8', '2', 'stringee', 'go_to_layer', '82', '{"providers": {"stringee": {"action": "collect", "say": "text:Orders. Press 1 to hear your last order."}}}');
    `)
    sqlite.close()
    const result = await check(databasePath)
    expect(result.code).toBe(1)
    const remedy = ' — give options.providers.<id> or scope the rule with provider'
    const lines = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('  ✗'))
      .map((line) => line.replace(/#\d+/g, '#N'))
    expect(lines).toEqual([
      `  ✗ rules #N "no failed layer": options.failed_layer: no provider this rule applies to can dial without a failed layer (voicenter)${remedy}`,
      `  ✗ rules #N "french": language: no provider this rule applies to can speak FR (voicenter: speaks HE, EN, AR, RU)${remedy}`,
      `  ✗ rules #N "text": say: no provider this rule applies to can say text items (voicenter: says recording, digits, number, date, datetime items only)${remedy}`,
      `  ✗ rules #N "cents": say: no provider this rule applies to can say the number 12.50 (voicenter: says whole numbers only)${remedy}`,
      `  ✗ rules #N "abc": to_layer: no provider this rule applies to can go to layer "abc" (voicenter: layers are numbers)${remedy}`,
      '  ✗ menu_keys #N "menu 8 key 1": key: layer 8 already has key 1 for voicenter (menu key #N); change that key, or give this one another key, layer or provider',
    ])
    expect(result.stdout).toContain('11 rules and 2 fallbacks in use, 6 invalid, 0 warnings')

    // The same rows for every provider: kept for the providers that can answer them, and said for Voicenter.
    const unscoped = openDatabase(databasePath)
    unscoped.sqlite.exec("UPDATE rules SET provider = NULL WHERE id >= 9; DELETE FROM menu_keys WHERE target = '82' AND key = '1'")
    unscoped.sqlite.close()
    const warned = await check(databasePath)
    expect(warned.code).toBe(0)
    expect(warned.stdout).toMatch(
      / {2}! rules #\d+ "french": voicenter: speaks HE, EN, AR, RU, not FR \(give options\.providers\.voicenter\)/,
    )
    expect(warned.stdout).toMatch(/ {2}! rules #\d+ "abc": voicenter: layers are numbers, not "abc" \(give options\.providers\.voicenter\)/)

    const fixed = openDatabase(databasePath)
    fixed.sqlite.exec('DELETE FROM rules WHERE id >= 9; DELETE FROM menu_keys')
    fixed.sqlite.close()
    expect((await check(databasePath)).code).toBe(0)
  })

  it("passes docs/rules.md's examples added to the demo", async () => {
    const rulesPage = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8')
    const examples = /## Examples\n\n```sql\n([\s\S]*?)```/.exec(rulesPage)?.[1]
    expect(examples).toContain('INSERT INTO rules')
    const path = join(directory, 'docs-examples.db')
    const { sqlite, db } = openDatabase(path)
    await seedDemoData(db)
    sqlite.exec(examples as string)
    sqlite.close()
    const result = await check(path)
    expect(result.stdout).toContain('12 rules and 2 fallbacks in use, 0 invalid, 0 warnings')
    expect(result.code).toBe(0)
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
