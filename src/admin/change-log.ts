import { and, desc, eq, lt } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import { type ChangeLogRow, changeLog } from '../db/schema.ts'

/** A routing table whose changes are kept. */
export type ChangedEntity = 'rules' | 'fallbacks' | 'menu_keys' | 'schedules' | 'holidays'

export interface Change {
  /** The role of the token used: admin (the only one that may change routing). */
  role: 'admin'
  via: 'console' | 'api'
  entity: ChangedEntity
  entityId: number
  action: 'create' | 'update' | 'delete' | 'revert' | 'publish'
  /** The row before (SQL column names), absent for a create. */
  before?: Record<string, unknown>
  /** The row after, absent for a delete. */
  after?: Record<string, unknown>
}

export interface ChangeEntry extends Omit<Change, 'before' | 'after' | 'role'> {
  id: number
  at: string
  role: string
  before?: Record<string, unknown>
  after?: Record<string, unknown>
}

const parsed = (text: string | null) => (text ? (JSON.parse(text) as Record<string, unknown>) : undefined)

const entry = (row: ChangeLogRow): ChangeEntry => ({
  id: row.id,
  at: row.at,
  role: row.role,
  via: row.via as Change['via'],
  entity: row.entity as ChangedEntity,
  entityId: row.entityId,
  action: row.action as Change['action'],
  before: parsed(row.before),
  after: parsed(row.after),
})

/** The audit trail of routing edits (console and admin API): what the console's history shows and reverts. */
export const createChangeLog = (db: Database, now: () => Date = () => new Date()) => ({
  async record(change: Change) {
    await db
      .insert(changeLog)
      .values({
        at: now().toISOString(),
        role: change.role,
        via: change.via,
        entity: change.entity,
        entityId: change.entityId,
        action: change.action,
        before: change.before ? JSON.stringify(change.before) : null,
        after: change.after ? JSON.stringify(change.after) : null,
      })
      .run()
  },

  /** Newest first; of one row when `entityId` is given; `before` pages back from an entry id. */
  async list({
    entity,
    entityId,
    before,
    limit = 50,
  }: {
    entity?: ChangedEntity
    entityId?: number
    before?: number
    limit?: number
  } = {}) {
    const rows = await db
      .select()
      .from(changeLog)
      .where(
        and(
          entity ? eq(changeLog.entity, entity) : undefined,
          entityId !== undefined ? eq(changeLog.entityId, entityId) : undefined,
          before !== undefined ? lt(changeLog.id, before) : undefined,
        ),
      )
      .orderBy(desc(changeLog.id))
      .limit(limit)
      .all()
    return rows.map(entry)
  },

  async get(id: number) {
    const row = await db.select().from(changeLog).where(eq(changeLog.id, id)).get()
    return row ? entry(row) : undefined
  },
})

export type ChangeLog = ReturnType<typeof createChangeLog>
