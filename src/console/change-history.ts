import { eq } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import { html } from 'hono/html'
import type { ChangeEntry } from '../admin/change-log.ts'
import { columnsToRow } from '../admin/columns.ts'
import type { Database } from '../db/database.ts'
import { type ConsoleContext, canEdit, csrfField, type Html } from './console-layout.ts'

type Columns = Record<string, unknown>

/** When a change was made, as the history shows it (UTC, to the second). */
export const changedAt = (entry: Pick<ChangeEntry, 'at'>) => entry.at.replace('T', ' ').slice(0, 19)

/** The columns a change touched, old struck through and new beside it; a create says what the row does. */
export const changeDiff = (before: Columns | undefined, after: Columns | undefined, describeCreated: (row: Columns) => string): Html => {
  if (!before && after) return html`created: ${describeCreated(after)}`
  if (before && !after) return html`deleted`
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter(
    (key) => key !== 'id' && JSON.stringify(before?.[key] ?? null) !== JSON.stringify(after?.[key] ?? null),
  )
  if (keys.length === 0) return html`<span class="muted">no change</span>`
  const show = (value: unknown) =>
    value === null || value === undefined || value === '' ? '∅' : typeof value === 'object' ? JSON.stringify(value) : String(value)
  return html`${keys.map((key) => html`<div><span class="mono">${key}</span>: <del>${show(before?.[key])}</del> → <ins>${show(after?.[key])}</ins></div>`)}`
}

export interface HistoryTableOptions {
  /** What the changed thing is called in the header: Rule, Key. */
  noun: string
  /** Where a row's own page is. */
  link: (entry: ChangeEntry) => string
  /** How a row is named (from the columns before or after the change). */
  label: (entry: ChangeEntry) => string
  /** Where its revert form posts. */
  revertPath: (entry: ChangeEntry) => string
  describeCreated: (row: Columns) => string
}

/** Changes newest first: when, who, which row, what, the diff; a revert button each for an admin. */
export const historyTable = (c: ConsoleContext, entries: ChangeEntry[], options: HistoryTableOptions) => {
  const editable = canEdit(c)
  if (entries.length === 0) return html`<p class="muted">No changes yet.</p>`
  return html`<table class="history">
    <thead><tr><th>When</th><th>Who</th><th>${options.noun}</th><th>What</th><th>Change</th>${editable ? html`<th></th>` : ''}</tr></thead>
    <tbody>${entries.map(
      (entry) => html`<tr id="change-${entry.id}">
        <td class="mono">${changedAt(entry)}</td>
        <td>${entry.role} <span class="muted">(${entry.via})</span></td>
        <td><a href="${options.link(entry)}">${options.label(entry)}</a></td>
        <td>${entry.action}</td>
        <td class="diff">${changeDiff(entry.before, entry.after, options.describeCreated)}</td>
        ${
          editable
            ? html`<td><form method="post" action="${options.revertPath(entry)}" class="inline">${csrfField(c)}<button class="secondary" title="Put it back as it was before this change">Revert</button></form></td>`
            : ''
        }
      </tr>`,
    )}</tbody>
  </table>`
}

export type RevertOutcome = { done: string; error?: undefined } | { done?: undefined; error: string }

export interface RevertOptions<Row extends { id: number }> {
  db: Database
  table: SQLiteTable & { id: unknown }
  change: ChangeEntry
  /** The row as it is now, if it still exists. */
  current: Row | undefined
  /** Column defaults the database fills in, so the restored row is checked as it will be stored. */
  defaults: Partial<Row>
  label: string
  /** Why the row cannot be put back as it was now (it would not be usable, it would clash), or undefined. */
  refuse: (restored: Row) => Promise<string | undefined> | string | undefined
  /** Keeps the revert itself in the change log. */
  record: (before: Row | undefined, after: Row | undefined) => Promise<void>
  find: (id: number) => Promise<Row | undefined>
}

/**
 * Puts a row back as it was before a change: a created row is deleted, a changed one gets its earlier columns,
 * a deleted one comes back with its id. The restored row is checked as any edit is.
 */
export const revertChange = async <Row extends { id: number }>({
  db,
  table,
  change,
  current,
  defaults,
  label,
  refuse,
  record,
  find,
}: RevertOptions<Row>): Promise<RevertOutcome> => {
  const idColumn = (table as unknown as { id: Parameters<typeof eq>[0] }).id
  if (!change.before) {
    if (!current) return { error: `${label} is already gone; nothing was changed.` }
    await db.delete(table).where(eq(idColumn, current.id)).run()
    await record(current, undefined)
    return { done: `Reverted: ${label} deleted, as before it was created.` }
  }
  const { id: _id, ...columns } = change.before
  const values = columnsToRow(columns)
  const restored = { ...defaults, ...(current ?? {}), ...values, id: change.entityId } as Row
  const refused = await refuse(restored)
  if (refused) return { error: `${label} cannot be put back as it was: ${refused}. Nothing was changed.` }
  if (current)
    await db
      .update(table)
      .set(values as never)
      .where(eq(idColumn, current.id))
      .run()
  else
    await db
      .insert(table)
      .values({ ...values, id: change.entityId } as never)
      .run()
  await record(current, await find(change.entityId))
  return { done: `Reverted: ${label} is back as it was before the change of ${changedAt(change)}.` }
}
