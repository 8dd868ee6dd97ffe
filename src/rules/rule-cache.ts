import { asc, eq } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import type { RevisionReader } from '../db/revision-reader.ts'
import { fallbacks, menuKeys, revisions, rules } from '../db/schema.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import { type CompileDefaults, compileFallback, compileRule } from './compile-rule.ts'
import { isEnabled } from './enabled.ts'
import type { InvalidRow, RuleSnapshot } from './engine.ts'
import { menuKeyRule } from './menu-key.ts'

export const ROUTING_REVISION = 'routing'

/** Reads and compiles every enabled rule and fallback; invalid rows are listed, not thrown. */
export const loadRuleSnapshot = async (db: Database, defaults: CompileDefaults): Promise<RuleSnapshot> => {
  const [revisionRow, ruleRows, fallbackRows, menuRows] = await Promise.all([
    db.select({ value: revisions.value }).from(revisions).where(eq(revisions.name, ROUTING_REVISION)).get(),
    db.select().from(rules).orderBy(asc(rules.priority), asc(rules.id)).all(),
    db.select().from(fallbacks).orderBy(asc(fallbacks.id)).all(),
    db.select().from(menuKeys).orderBy(asc(menuKeys.layer), asc(menuKeys.id)).all(),
  ])
  const snapshot: RuleSnapshot = { revision: revisionRow?.value ?? 0, rules: [], fallbacks: [], invalid: [] }
  const invalid = (table: InvalidRow['table'], row: { id: number; name: string }, reason: string) =>
    snapshot.invalid.push({ table, id: row.id, name: row.name, reason })
  for (const row of ruleRows) {
    if (!isEnabled(row.enabled)) continue
    const compiled = compileRule(row, defaults)
    if (compiled.ok) snapshot.rules.push(compiled.value)
    else invalid('rules', row, compiled.reason)
  }
  for (const key of menuRows) {
    if (!isEnabled(key.enabled)) continue
    const rule = menuKeyRule(key)
    const compiled = 'row' in rule ? compileRule(rule.row, defaults) : { ok: false as const, reason: rule.reason }
    if (compiled.ok) snapshot.rules.push(compiled.value)
    else invalid('menu_keys', { id: key.id, name: `menu ${key.layer} key ${key.key}` }, compiled.reason)
  }
  // Menu keys have priorities of their own: keep the one order the engine walks.
  snapshot.rules.sort((a, b) => a.priority - b.priority || Math.abs(a.id) - Math.abs(b.id))
  for (const row of fallbackRows) {
    if (!isEnabled(row.enabled)) continue
    const compiled = compileFallback(row)
    if (compiled.ok) snapshot.fallbacks.push(compiled.value)
    else invalid('fallbacks', row, compiled.reason)
  }
  return snapshot
}

export interface RuleCache {
  /** The rules in memory; re-read from the database only when its revision moved. */
  current(): Promise<RuleSnapshot>
}

export interface RuleCacheOptions {
  db: Database
  defaults: CompileDefaults
  log: Logger
  /** The 'routing' counter, re-read at most every RULES_REFRESH_MS (0 in tests: on every call). */
  revisions: RevisionReader
}

export const createRuleCache = ({ db, defaults, log, revisions }: RuleCacheOptions): RuleCache => {
  let snapshot: RuleSnapshot | undefined
  let inFlight: Promise<RuleSnapshot> | undefined

  const load = async (): Promise<RuleSnapshot> => {
    const next = await loadRuleSnapshot(db, defaults)
    for (const row of next.invalid) {
      log.warn('routing row skipped', { table: row.table, id: row.id, name: row.name, reason: row.reason })
    }
    log.info('routing rules loaded', {
      revision: next.revision,
      rules: next.rules.length,
      fallbacks: next.fallbacks.length,
      invalid: next.invalid.length,
    })
    return next
  }

  const refresh = async (): Promise<RuleSnapshot> => {
    try {
      const revision = (await revisions.current(ROUTING_REVISION)) ?? 0
      if (!snapshot || revision !== snapshot.revision) snapshot = await load()
    } catch (error) {
      // Keep answering from the rules we have; a broken database must not stop routing.
      log.error('routing rules refresh failed', { error: errorMessage(error) })
      if (!snapshot) throw error
    }
    return snapshot
  }

  return {
    current() {
      // Most calls: the counter was read less than RULES_REFRESH_MS ago and the rules match it.
      const revision = revisions.peek(ROUTING_REVISION)
      if (snapshot && revision !== 'stale' && (revision ?? 0) === snapshot.revision) return Promise.resolve(snapshot)
      inFlight ??= refresh().finally(() => {
        inFlight = undefined
      })
      return inFlight
    },
  }
}
