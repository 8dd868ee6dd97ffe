import { and, asc, desc, eq, isNotNull, sql } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import type { RevisionReader } from '../db/revision-reader.ts'
import {
  decisions,
  type FallbackRow,
  fallbacks,
  type HolidayRow,
  holidays,
  type MenuKeyRow,
  menuKeys,
  type RuleRow,
  revisions,
  routingPublications,
  rules,
  type ScheduleRow,
  schedules,
} from '../db/schema.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import { type CompileDefaults, compileFallback, compileRule } from './compile-rule.ts'
import { isEnabled } from './enabled.ts'
import type { InvalidRow, RuleSnapshot } from './engine.ts'
import { menuKeyRule } from './menu-key.ts'
import { compileSchedules } from './schedule.ts'

export const ROUTING_REVISION = 'routing'

/** The rows a rule set is compiled from, as drizzle reads them. */
export interface RoutingRows {
  rules: readonly RuleRow[]
  fallbacks: readonly FallbackRow[]
  menuKeys: readonly MenuKeyRow[]
  /** Absent in publications made before schedules existed. */
  schedules?: readonly ScheduleRow[]
  holidays?: readonly HolidayRow[]
}

/** Compiles every enabled rule, menu key and fallback; invalid rows are listed, not thrown. Pure. */
export const compileRoutingRows = (rows: RoutingRows, revision: number, defaults: CompileDefaults): RuleSnapshot => {
  // Once per revision: every rule naming a schedule shares its compiled hours.
  const book = compileSchedules(rows.schedules ?? [], rows.holidays ?? [], defaults)
  const snapshot: RuleSnapshot = { revision, rules: [], fallbacks: [], invalid: [...book.invalid], schedules: book.byName }
  const invalid = (table: InvalidRow['table'], row: { id: number; name: string }, reason: string) =>
    snapshot.invalid.push({ table, id: row.id, name: row.name, reason })
  const ruleDefaults: CompileDefaults = { ...defaults, schedules: book }
  for (const row of [...rows.rules].sort((a, b) => a.priority - b.priority || a.id - b.id)) {
    if (!isEnabled(row.enabled)) continue
    const compiled = compileRule(row, ruleDefaults)
    if (compiled.ok) snapshot.rules.push(compiled.value)
    else invalid('rules', row, compiled.reason)
  }
  for (const key of rows.menuKeys) {
    if (!isEnabled(key.enabled)) continue
    const rule = menuKeyRule(key)
    const compiled = 'row' in rule ? compileRule(rule.row, ruleDefaults) : { ok: false as const, reason: rule.reason }
    if (compiled.ok) snapshot.rules.push(compiled.value)
    else invalid('menu_keys', { id: key.id, name: `menu ${key.layer} key ${key.key}` }, compiled.reason)
  }
  // Menu keys have priorities of their own: keep the one order the engine walks.
  snapshot.rules.sort((a, b) => a.priority - b.priority || Math.abs(a.id) - Math.abs(b.id))
  for (const row of rows.fallbacks) {
    if (!isEnabled(row.enabled)) continue
    const compiled = compileFallback(row)
    if (compiled.ok) snapshot.fallbacks.push(compiled.value)
    else invalid('fallbacks', row, compiled.reason)
  }
  return snapshot
}

/** The live routing rows and the revision they are at. */
export const readRoutingRows = async (db: Database): Promise<RoutingRows & { revision: number }> => {
  const [revisionRow, ruleRows, fallbackRows, menuRows, scheduleRows, holidayRows] = await Promise.all([
    db.select({ value: revisions.value }).from(revisions).where(eq(revisions.name, ROUTING_REVISION)).get(),
    db.select().from(rules).orderBy(asc(rules.priority), asc(rules.id)).all(),
    db.select().from(fallbacks).orderBy(asc(fallbacks.id)).all(),
    db.select().from(menuKeys).orderBy(asc(menuKeys.layer), asc(menuKeys.id)).all(),
    db.select().from(schedules).orderBy(asc(schedules.id)).all(),
    db.select().from(holidays).orderBy(asc(holidays.date), asc(holidays.id)).all(),
  ])
  return {
    revision: revisionRow?.value ?? 0,
    rules: ruleRows,
    fallbacks: fallbackRows,
    menuKeys: menuRows,
    schedules: scheduleRows,
    holidays: holidayRows,
  }
}

/** Reads and compiles every enabled rule and fallback; invalid rows are listed, not thrown. */
export const loadRuleSnapshot = async (db: Database, defaults: CompileDefaults): Promise<RuleSnapshot> => {
  const rows = await readRoutingRows(db)
  return compileRoutingRows(rows, rows.revision, defaults)
}

export interface RuleCache {
  /** The rules in memory; re-read from the database only when its revision moved. */
  current(): Promise<RuleSnapshot>
  /**
   * The rules a call's step is routed on: the revision its first step was routed on, kept across a publish
   * (or any edit) so a multi-step call never sees half of a change; the live rules for a new call, or when
   * that revision can no longer be had (an edit made outside a publish, before this process started).
   */
  forCall(provider: string, callId: string | undefined): Promise<RuleSnapshot>
  /** A revision's rules: kept in memory from recent use, or compiled from its publication; else undefined. */
  at(revision: number): Promise<RuleSnapshot | undefined>
}

export interface RuleCacheOptions {
  db: Database
  defaults: CompileDefaults
  log: Logger
  /** The 'routing' counter, re-read at most every RULES_REFRESH_MS (0 in tests: on every call). */
  revisions: RevisionReader
  /** Milliseconds now (tests pin it). */
  now?: () => number
}

/**
 * How long after the live rules change a call's step looks up the revision its call started on. An IVR
 * conversation lasts minutes; outside this window (most of the time) a step costs no extra read.
 */
export const CALL_PIN_WINDOW_MS = 30 * 60_000
/** Revisions kept compiled in memory for calls still on them. */
const KEPT_REVISIONS = 4

export const createRuleCache = ({ db, defaults, log, revisions: counters, now = Date.now }: RuleCacheOptions): RuleCache => {
  let snapshot: RuleSnapshot | undefined
  let inFlight: Promise<RuleSnapshot> | undefined
  /** When the live revision last moved (this process's view); calls started before then may be on another. */
  let changedAt = Number.NEGATIVE_INFINITY
  const kept = new Map<number, RuleSnapshot>()
  const keep = (next: RuleSnapshot) => {
    kept.delete(next.revision)
    kept.set(next.revision, next)
    for (const revision of kept.keys()) {
      if (kept.size <= KEPT_REVISIONS) break
      kept.delete(revision)
    }
  }
  // Prepared once: during a window after a change, every step of a call runs them.
  const firstRevision = db
    .select({ revision: decisions.revision })
    .from(decisions)
    .where(
      and(
        eq(decisions.provider, sql.placeholder('provider')),
        eq(decisions.callId, sql.placeholder('callId')),
        isNotNull(decisions.revision),
      ),
    )
    .orderBy(asc(decisions.id))
    .limit(1)
    .prepare()
  const publication = db
    .select()
    .from(routingPublications)
    .where(eq(routingPublications.revision, sql.placeholder('revision')))
    .prepare()
  const latestPublication = db
    .select({ publishedAt: routingPublications.publishedAt })
    .from(routingPublications)
    .orderBy(desc(routingPublications.revision))
    .limit(1)
    .prepare()

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
      const revision = (await counters.current(ROUTING_REVISION)) ?? 0
      if (!snapshot || revision !== snapshot.revision) {
        const previous = snapshot
        snapshot = await load()
        keep(snapshot)
        if (previous) changedAt = now()
        else {
          // Started (or restarted) just after a publish: calls begun on the rules before it may still be going.
          const last = await latestPublication.get()
          if (last) changedAt = Date.parse(last.publishedAt)
        }
      }
    } catch (error) {
      // Keep answering from the rules we have; a broken database must not stop routing.
      log.error('routing rules refresh failed', { error: errorMessage(error) })
      if (!snapshot) throw error
    }
    return snapshot
  }

  const current = () => {
    // Most calls: the counter was read less than RULES_REFRESH_MS ago and the rules match it.
    const revision = counters.peek(ROUTING_REVISION)
    if (snapshot && revision !== 'stale' && (revision ?? 0) === snapshot.revision) return Promise.resolve(snapshot)
    inFlight ??= refresh().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  const at = async (revision: number) => {
    const held = kept.get(revision)
    if (held) return held
    const row = await publication.get({ revision })
    if (!row) return undefined
    const compiled = compileRoutingRows(
      {
        rules: JSON.parse(row.rules),
        fallbacks: JSON.parse(row.fallbacks),
        menuKeys: JSON.parse(row.menuKeys),
        schedules: row.schedules ? JSON.parse(row.schedules) : [],
        holidays: row.holidays ? JSON.parse(row.holidays) : [],
      },
      row.revision,
      defaults,
    )
    keep(compiled)
    return compiled
  }

  return {
    current,
    at,
    async forCall(provider, callId) {
      const live = await current()
      if (!callId || now() - changedAt > CALL_PIN_WINDOW_MS) return live
      try {
        const first = (await firstRevision.get({ provider, callId }))?.revision
        if (first === undefined || first === null || first === live.revision) return live
        return (await at(first)) ?? live
      } catch (error) {
        // The call is still routed, on the live rules.
        log.warn('the revision a call started on could not be read', { error: errorMessage(error) })
        return live
      }
    },
  }
}
