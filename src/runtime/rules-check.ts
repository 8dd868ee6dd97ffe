import { parseArgs } from 'node:util'
import { PROVIDER_IDS, type ProviderId } from '../model/call-event.ts'
import { PROVIDER_CAPABILITIES } from '../providers/capabilities.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { CompiledAction } from '../rules/compile-rule.ts'
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
  const unrenderable = [
    ...snapshot.rules.map((rule) => ({ table: 'rules', id: rule.id, name: rule.name, providers: rule.providers, then: rule.then })),
    ...snapshot.fallbacks.map((row) => ({ table: 'fallbacks', id: row.id, name: row.name, providers: row.providers, then: row.then })),
  ].flatMap((row) =>
    PROVIDER_IDS.filter((provider) => !row.providers || row.providers.has(provider)).flatMap((provider) => {
      const problem = renderProblem(row.then.byProvider[provider] ?? row.then, provider)
      return problem ? [{ table: row.table, id: row.id, name: row.name, provider, reason: problem }] : []
    }),
  )
  if (values.json) {
    console.log(
      JSON.stringify(
        { revision: snapshot.revision, rules: snapshot.rules.length, fallbacks: snapshot.fallbacks.length, invalid: snapshot.invalid, unrenderable },
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
    for (const row of unrenderable) {
      console.log(`  ✗ ${row.table} #${row.id}${row.name ? ` "${row.name}"` : ''} cannot answer on ${row.provider}: ${row.reason}`)
    }
    if (snapshot.fallbacks.length === 0) {
      console.log('  ! no fallback row: calls no rule matches get the provider failover (Voicenter STATUS 1)')
    }
  }
  process.exitCode = snapshot.invalid.length > 0 || unrenderable.length > 0 ? 1 : 0
} finally {
  sqlite.close()
}

/** Problems visible without a call: an answer the provider has no form for, or targets it cannot dial. */
function renderProblem(action: CompiledAction, provider: ProviderId): string | undefined {
  const capabilities: ProviderCapabilities = PROVIDER_CAPABILITIES[provider]
  if (!capabilities.actions.includes(action.action)) {
    return `${provider} has no ${action.action} (give the row options.providers.${provider})`
  }
  if (action.action === 'dial' && !action.dial.some((target) => capabilities.dialTargets.includes(target.type))) {
    return `${provider} dials ${capabilities.dialTargets.join(' or ')} targets only`
  }
  return undefined
}
