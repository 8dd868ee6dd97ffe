import { asc, eq, sql } from 'drizzle-orm'
import type { AtomicStatements, RunAtomically } from '../db/atomic.ts'
import type { Database } from '../db/database.ts'
import {
  changeLog,
  draftRules,
  fallbacks,
  holidays,
  menuKeys,
  type RuleRow,
  revisions,
  routingDraft,
  routingPublications,
  rules,
  schedules,
} from '../db/schema.ts'
import { ROUTING_REVISION, type RoutingRows } from '../rules/rule-cache.ts'
import type { Change } from './change-log.ts'
import { rowToColumns } from './columns.ts'
import type { RowCheck } from './crud-routes.ts'

/** Who did it, as the change log says it. */
export interface Actor {
  role: 'admin'
  via: Change['via']
}

/** How one rule differs between the live rules and the draft. */
export interface RuleDifference {
  id: number
  kind: 'added' | 'removed' | 'changed'
  live?: RuleRow
  draft?: RuleRow
  /** The columns that differ (changed rules). */
  columns: string[]
}

export interface DraftStatus {
  startedAt: string
  startedBy: string
  baseRevision: number
  /** The live routing revision now: not the base when rules, menus or fallbacks were edited since. */
  liveRevision: number
  /** Whether live routing changed since the draft was copied from it (publishing would replace those edits). */
  liveChanged: boolean
}

export type PublishOutcome =
  | { published: true; revision: number; changed: number }
  | { published: false; reason: 'no-draft' | 'live-changed' | 'unusable' | 'unchanged'; message: string }

export interface RoutingDraftOptions {
  db: Database
  atomic: RunAtomically
  /** Whether the service could use a rule, as every edit is checked (the admin API's check). */
  check: (row: RuleRow) => RowCheck
  now?: () => Date
}

const ROUTING_REVISION_NOW = sql`(SELECT ${revisions.value} FROM ${revisions} WHERE ${revisions.name} = ${ROUTING_REVISION})`

const sameValue = (a: unknown, b: unknown) => (a ?? null) === (b ?? null)

/**
 * The draft rule set: started as a copy of the live rules, edited apart from them (draft_rules), compared,
 * then published in one transaction that replaces the live rules (ids kept), records each rule's change in
 * the change log and keeps the published set whole for calls still on the revision before.
 */
export const createRoutingDrafts = ({ db, atomic, check, now = () => new Date() }: RoutingDraftOptions) => {
  const liveRevision = async () =>
    (await db.select({ value: revisions.value }).from(revisions).where(eq(revisions.name, ROUTING_REVISION)).get())?.value ?? 0
  const draftRow = () => db.select().from(routingDraft).where(eq(routingDraft.id, 1)).get()
  const liveRules = () => db.select().from(rules).orderBy(asc(rules.priority), asc(rules.id)).all() as Promise<RuleRow[]>
  const draftedRules = () => db.select().from(draftRules).orderBy(asc(draftRules.priority), asc(draftRules.id)).all() as Promise<RuleRow[]>

  const status = async (): Promise<DraftStatus | undefined> => {
    const [row, revision] = await Promise.all([draftRow(), liveRevision()])
    if (!row) return undefined
    return { ...row, liveRevision: revision, liveChanged: revision !== row.baseRevision }
  }

  const differences = async (): Promise<RuleDifference[]> => {
    const [live, draft] = await Promise.all([liveRules(), draftedRules()])
    const liveById = new Map(live.map((row) => [row.id, row]))
    const draftById = new Map(draft.map((row) => [row.id, row]))
    const found: RuleDifference[] = []
    for (const row of draft) {
      const before = liveById.get(row.id)
      if (!before) {
        found.push({ id: row.id, kind: 'added', draft: row, columns: [] })
        continue
      }
      const columns = Object.keys(row).filter((key) => !sameValue(row[key as keyof RuleRow], before[key as keyof RuleRow]))
      if (columns.length > 0) found.push({ id: row.id, kind: 'changed', live: before, draft: row, columns })
    }
    for (const row of live) if (!draftById.has(row.id)) found.push({ id: row.id, kind: 'removed', live: row, columns: [] })
    return found
  }

  return {
    status,
    differences,
    /** The draft's rules, in the order the engine tries them. */
    rules: draftedRules,

    /** The routing a preview compiles: the draft's rules with the live menus, fallbacks and schedules. */
    async routingRows(): Promise<RoutingRows> {
      const [draft, fallbackRows, menuRows, scheduleRows, holidayRows] = await Promise.all([
        draftedRules(),
        db.select().from(fallbacks).orderBy(asc(fallbacks.id)).all(),
        db.select().from(menuKeys).orderBy(asc(menuKeys.layer), asc(menuKeys.id)).all(),
        db.select().from(schedules).orderBy(asc(schedules.id)).all(),
        db.select().from(holidays).orderBy(asc(holidays.date), asc(holidays.id)).all(),
      ])
      return { rules: draft, fallbacks: fallbackRows, menuKeys: menuRows, schedules: scheduleRows, holidays: holidayRows }
    },

    /** Copies the live rules into a new draft; false when one is already open (it is kept as it is). */
    async start(actor: Actor): Promise<boolean> {
      if (await draftRow()) return false
      await atomic([
        db.delete(draftRules),
        db.insert(draftRules).select(db.select().from(rules)),
        db.insert(routingDraft).values({
          id: 1,
          startedAt: now().toISOString(),
          startedBy: `${actor.role} (${actor.via})`,
          baseRevision: sql`${ROUTING_REVISION_NOW}`,
        }),
      ])
      return true
    },

    /** Throws the draft away; false when there was none. */
    async discard(): Promise<boolean> {
      if (!(await draftRow())) return false
      await atomic([db.delete(draftRules), db.delete(routingDraft)])
      return true
    },

    /**
     * Makes the draft the live rules in one transaction: a call routed meanwhile sees the old rules or the
     * new, never half. Refused when there is no draft, when a draft rule could not be used, or when live
     * routing was edited since the draft began (unless `replaceLiveChanges`).
     */
    async publish(actor: Actor, { replaceLiveChanges = false }: { replaceLiveChanges?: boolean } = {}): Promise<PublishOutcome> {
      const current = await status()
      if (!current) return { published: false, reason: 'no-draft', message: 'There is no draft to publish.' }
      if (current.liveChanged && !replaceLiveChanges) {
        return {
          published: false,
          reason: 'live-changed',
          message:
            'Live routing was changed since this draft was started (rules, menus or fallbacks): publishing replaces the live rules with the draft’s. Confirm to publish anyway.',
        }
      }
      const draft = await draftedRules()
      const problems = draft.flatMap((row) => {
        if (row.enabled !== 1) return []
        const verdict = check(row)
        return verdict.problem ? [`“${row.name || `rule ${row.id}`}”: ${verdict.problem}`] : []
      })
      if (problems.length > 0) {
        return { published: false, reason: 'unusable', message: `The draft has rules the service could not use: ${problems.join('; ')}` }
      }
      const changed = await differences()
      if (changed.length === 0)
        return { published: false, reason: 'unchanged', message: 'The draft is the same as the live rules: nothing to publish.' }
      const [fallbackRows, menuRows, scheduleRows, holidayRows] = await Promise.all([
        db.select().from(fallbacks).all(),
        db.select().from(menuKeys).all(),
        db.select().from(schedules).all(),
        db.select().from(holidays).all(),
      ])
      const at = now().toISOString()
      const by = `${actor.role} (${actor.via})`
      const statements: AtomicStatements = [
        db.delete(rules),
        db.insert(rules).select(db.select().from(draftRules)),
        ...changed.map((difference) =>
          db.insert(changeLog).values({
            at,
            role: actor.role,
            via: actor.via,
            entity: 'rules',
            entityId: difference.id,
            action: 'publish',
            before: difference.live ? JSON.stringify(rowToColumns(difference.live)) : null,
            after: difference.draft ? JSON.stringify(rowToColumns(difference.draft)) : null,
          }),
        ),
        // The set as it is now live, under the revision the statements above moved the counter to.
        db.insert(routingPublications).values({
          revision: sql`${ROUTING_REVISION_NOW}`,
          publishedAt: at,
          publishedBy: by,
          rules: JSON.stringify(draft),
          fallbacks: JSON.stringify(fallbackRows),
          menuKeys: JSON.stringify(menuRows),
          // The hours rules name: a call pinned to this revision keeps them after they are edited.
          schedules: JSON.stringify(scheduleRows),
          holidays: JSON.stringify(holidayRows),
        }),
        db.delete(draftRules),
        db.delete(routingDraft),
      ]
      await atomic(statements)
      return { published: true, revision: await liveRevision(), changed: changed.length }
    },
  }
}

export type RoutingDrafts = ReturnType<typeof createRoutingDrafts>
