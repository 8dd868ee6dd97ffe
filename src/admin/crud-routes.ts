import { eq } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import { Hono } from 'hono'
import * as v from 'valibot'
import type { Database } from '../db/database.ts'
import { errorResponse } from '../lib/app-error.ts'
import type { Logger } from '../lib/logger.ts'
import type { ChangedEntity, ChangeLog } from './change-log.ts'
import { idParam, jsonBody } from './request-validators.ts'
import { routeDocs, TOO_LARGE } from './route-docs.ts'

/** What a table's check says of a row as it would be stored. */
export interface RowCheck {
  /** Why the service could not use the row: it is refused (400) and nothing is changed. */
  problem?: string
  /** What the row cannot do although it is usable (providers it cannot answer on); answers carry them. */
  warnings?: string[]
}

export interface CrudOptions<Row extends { id: number }> {
  db: Database
  log: Logger
  tag: string
  /** How one row and the table read in summaries and messages: `rule` / `rules`, `an owner` by `article`. */
  names: { one: string; many: string; article: 'a' | 'an' }
  table: SQLiteTable & { id: unknown }
  body: v.GenericSchema
  patch: v.GenericSchema
  /** One row as answered (without `problem`); with `warnings` when `check` gives them. */
  view: v.ObjectSchema<v.ObjectEntries, undefined>
  /** Column defaults the database fills in, so a new row is checked as it will be stored. */
  defaults?: Partial<Row>
  toRow: (input: Record<string, unknown>) => Record<string, unknown>
  fromRow: (row: Row) => Record<string, unknown>
  /** Refuses rows the service could not use (rules that do not compile) and says what a usable one cannot do. */
  check?: (row: Row) => RowCheck
  /** Where each change is kept (the console's history), under this entity name. */
  history?: { entity: ChangedEntity; changes: ChangeLog }
}

/**
 * Create / list / get / change / delete for one table, at `/` and `/:id` of the app it returns. Bodies use
 * the table's SQL column names, as people see them in an SQLite tool.
 */
export const crudRoutes = <Row extends { id: number }>(options: CrudOptions<Row>) => {
  const { db, log, tag, names, table, toRow, fromRow, check, view, history } = options
  const remember = async (action: 'create' | 'update' | 'delete', id: number, before?: Row, after?: Row) => {
    if (!history) return
    await history.changes.record({
      role: 'admin',
      via: 'api',
      entity: history.entity,
      entityId: id,
      action,
      before: before && fromRow(before),
      after: after && fromRow(after),
    })
  }
  const one = `${names.article} ${names.one}`
  const idColumn = (table as unknown as { id: Parameters<typeof eq>[0] }).id
  const find = (id: number) => db.select().from(table).where(eq(idColumn, id)).get() as Promise<Row | undefined>
  const noSuchRow = `No ${names.one} with that id`
  const notFound = (c: Parameters<typeof errorResponse>[0]) => errorResponse(c, 'NOT_FOUND', `no ${names.one} with that id`)
  /** The row as answered, with the check's warnings when the table has them. */
  const answer = (row: Row, verdict = check?.(row)) => ({ ...fromRow(row), ...(verdict?.warnings ? { warnings: verdict.warnings } : {}) })
  const listItem: v.GenericSchema = check
    ? v.object({
        ...view.entries,
        problem: v.pipe(v.nullable(v.string()), v.description('Why the service skips this row; null when it can use it')),
      })
    : view

  return new Hono()
    .get(
      '/',
      routeDocs({
        tag,
        summary: `List ${names.many}`,
        answer: { status: 200, description: `Every ${names.one}`, schema: v.array(listItem) },
      }),
      async (c) => {
        const rows = (await db.select().from(table).all()) as Row[]
        return c.json(
          rows.map((row) => {
            const verdict = check?.(row)
            return { ...answer(row, verdict), ...(check ? { problem: verdict?.problem ?? null } : {}) }
          }),
        )
      },
    )
    .get(
      '/:id',
      routeDocs({
        tag,
        summary: `Get ${one}`,
        answer: { status: 200, description: `The ${names.one}`, schema: view },
        errors: { 400: 'The id is not a number', 404: noSuchRow },
      }),
      idParam,
      async (c) => {
        const row = await find(c.req.valid('param').id)
        return row ? c.json(answer(row)) : notFound(c)
      },
    )
    .post(
      '/',
      routeDocs({
        tag,
        summary: `Create ${one}`,
        body: options.body,
        answer: { status: 201, description: `Created; the ${names.one} as stored`, schema: view },
        errors: { 400: 'Invalid input; nothing changed', 413: TOO_LARGE },
      }),
      jsonBody(options.body),
      async (c) => {
        const values = toRow(c.req.valid('json') as Record<string, unknown>)
        const verdict = check?.({ id: 0, ...options.defaults, ...values } as unknown as Row)
        if (verdict?.problem) return errorResponse(c, 'BAD_REQUEST', verdict.problem)
        const [created] = (await db
          .insert(table)
          .values(values as never)
          .returning()
          .all()) as Row[]
        log.info('admin: created', { table: tag, id: created?.id })
        await remember('create', (created as Row).id, undefined, created)
        return c.json(answer(created as Row), 201)
      },
    )
    .patch(
      '/:id',
      routeDocs({
        tag,
        summary: `Change ${one}`,
        description: 'Only the fields given change; the row is checked as it would be stored.',
        body: options.patch,
        answer: { status: 200, description: `Changed; the ${names.one} as stored`, schema: view },
        errors: { 400: 'Invalid input; nothing changed', 404: noSuchRow, 413: TOO_LARGE },
      }),
      idParam,
      jsonBody(options.patch),
      async (c) => {
        const id = c.req.valid('param').id
        const existing = await find(id)
        if (!existing) return notFound(c)
        const changes = toRow(c.req.valid('json') as Record<string, unknown>)
        // Switching a row off is always allowed: a row that can no longer answer (written by SQL, or before a
        // provider changed) must not be stuck enabled until someone deletes it.
        const onlyDisabling = Object.keys(changes).length === 1 && 'enabled' in changes && !changes.enabled
        const verdict = check?.({ ...existing, ...changes } as Row)
        if (verdict?.problem && !onlyDisabling) return errorResponse(c, 'BAD_REQUEST', verdict.problem)
        if (Object.keys(changes).length > 0)
          await db
            .update(table)
            .set(changes as never)
            .where(eq(idColumn, id))
            .run()
        log.info('admin: changed', { table: tag, id })
        const changed = (await find(id)) as Row
        if (Object.keys(changes).length > 0) await remember('update', id, existing, changed)
        return c.json(answer(changed))
      },
    )
    .delete(
      '/:id',
      routeDocs({
        tag,
        summary: `Delete ${one}`,
        answer: { status: 204, description: 'Deleted' },
        errors: { 400: 'The id is not a number', 404: noSuchRow },
      }),
      idParam,
      async (c) => {
        const id = c.req.valid('param').id
        const existing = await find(id)
        if (!existing) return notFound(c)
        await db.delete(table).where(eq(idColumn, id)).run()
        log.info('admin: deleted', { table: tag, id })
        await remember('delete', id, existing)
        return c.body(null, 204)
      },
    )
}
