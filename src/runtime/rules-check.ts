import { parseArgs } from 'node:util'
import { loadRuleSnapshot } from '../rules/rule-cache.ts'
import { DEFAULT_DATABASE_PATH, openDatabase } from './node.ts'

/**
 * `npm run rules:check [-- --db path] [--json]`: lists every rule and fallback row the service skips, and
 * why. Exits 1 when there is one, so it can guard a deploy or a CI job.
 */
const { values } = parseArgs({
  options: {
    db: { type: 'string', default: process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH },
    json: { type: 'boolean', default: false },
  },
})

const { sqlite, db } = openDatabase(values.db as string)
try {
  const snapshot = await loadRuleSnapshot(db, { timeZone: process.env.TIME_ZONE || 'UTC' })
  if (values.json) {
    console.log(
      JSON.stringify(
        { revision: snapshot.revision, rules: snapshot.rules.length, fallbacks: snapshot.fallbacks.length, invalid: snapshot.invalid },
        null,
        2,
      ),
    )
  } else {
    console.log(
      `${values.db}: ${snapshot.rules.length} rules and ${snapshot.fallbacks.length} fallbacks in use, ` +
        `${snapshot.invalid.length} invalid (revision ${snapshot.revision})`,
    )
    for (const row of snapshot.invalid) {
      console.log(`  ✗ ${row.table} #${row.id}${row.name ? ` "${row.name}"` : ''}: ${row.reason}`)
    }
    if (snapshot.fallbacks.length === 0) {
      console.log('  ! no fallback row: calls no rule matches get the provider failover (Voicenter STATUS 1)')
    }
  }
  process.exitCode = snapshot.invalid.length > 0 ? 1 : 0
} finally {
  sqlite.close()
}
