import { parseArgs } from 'node:util'
import { menuKeys } from '../db/schema.ts'
import { PROVIDER_CAPABILITIES } from '../providers/capabilities.ts'
import { judgeCapabilities, type RowKind } from '../rules/capability-check.ts'
import type { InvalidRow } from '../rules/engine.ts'
import { duplicateKeyProblem, repeatedMenuKeys } from '../rules/menu-key.ts'
import { loadRuleSnapshot } from '../rules/rule-cache.ts'
import { DEFAULT_DATABASE_PATH, openDatabase } from './node.ts'

/**
 * `npm run rules:check [-- --db path] [--json]`: every rule, menu key and fallback row that can never
 * answer (✗: it does not compile, it can answer on none of the providers it applies to, whether by its
 * action or by what is fixed in it, such as a language or a layer the provider does not take, or it is a
 * menu key that repeats an earlier one), and what usable rows cannot do (!: providers they apply to but
 * cannot answer on). The admin API refuses the same rows. Exits 1 when there is a ✗ row, so it can guard a
 * deploy or a CI job; warnings do not change the exit code.
 */
const { values } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH },
    json: { type: 'boolean', default: false },
  },
})

interface Finding {
  table: InvalidRow['table']
  id: number
  name: string
  reason: string
}

const { sqlite, db } = openDatabase(values.db as string)
try {
  const snapshot = await loadRuleSnapshot(db, { timeZone: process.env.TIME_ZONE || 'UTC' })
  const invalid: Finding[] = [...snapshot.invalid]
  const warnings: Finding[] = []
  const inUse = { rules: 0, fallbacks: 0 }
  // A key that repeats an earlier one (same layer, key and providers) never answers: the first one does.
  const repeated = new Map(
    repeatedMenuKeys(await db.select().from(menuKeys).all()).map(({ key, first }) => [key.id, duplicateKeyProblem(key, first)]),
  )
  const rows = [
    // Menu keys are compiled into rules with the negative of their id.
    ...snapshot.rules.map((rule) =>
      rule.id < 0
        ? { table: 'menu_keys' as const, kind: 'menu key' as RowKind, id: -rule.id, count: 'rules' as const, row: rule }
        : { table: 'rules' as const, kind: 'rule' as RowKind, id: rule.id, count: 'rules' as const, row: rule },
    ),
    ...snapshot.fallbacks.map((row) => ({
      table: 'fallbacks' as const,
      kind: 'fallback' as RowKind,
      id: row.id,
      count: 'fallbacks' as const,
      row,
    })),
  ]
  for (const { table, kind, id, count, row } of rows) {
    const repeats = table === 'menu_keys' ? repeated.get(id) : undefined
    if (repeats) {
      invalid.push({ table, id, name: row.name, reason: repeats })
      continue
    }
    const verdict = judgeCapabilities(row, PROVIDER_CAPABILITIES, kind)
    if (verdict.error) invalid.push({ table, id, name: row.name, reason: verdict.error })
    else inUse[count] += 1
    for (const warning of verdict.warnings) warnings.push({ table, id, name: row.name, reason: warning })
  }
  if (values.json) {
    console.log(JSON.stringify({ revision: snapshot.revision, ...inUse, invalid, warnings }, null, 2))
  } else {
    const general =
      snapshot.fallbacks.length === 0 ? ['no fallback row: calls no rule matches get the provider failover (Voicenter STATUS 1)'] : []
    const warningCount = warnings.length + general.length
    console.log(
      `${values.db}: ${plural(inUse.rules, 'rule')} and ${plural(inUse.fallbacks, 'fallback')} in use, ` +
        `${invalid.length} invalid, ${plural(warningCount, 'warning')} (revision ${snapshot.revision})`,
    )
    for (const row of invalid) console.log(`  ✗ ${label(row)}: ${row.reason}`)
    for (const row of warnings) console.log(`  ! ${label(row)}: ${row.reason}`)
    for (const line of general) console.log(`  ! ${line}`)
  }
  process.exitCode = invalid.length > 0 ? 1 : 0
} finally {
  sqlite.close()
}

function label(row: Finding) {
  return `${row.table} #${row.id}${row.name ? ` "${row.name}"` : ''}`
}

function plural(count: number, noun: string) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
