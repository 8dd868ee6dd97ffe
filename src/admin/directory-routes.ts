import { Hono } from 'hono'
import type { Database } from '../db/database.ts'
import { contacts, owners } from '../db/schema.ts'
import type { Logger } from '../lib/logger.ts'
import { toE164 } from '../lib/phone.ts'
import { ContactBody, ContactPatch, ContactView, OwnerBody, OwnerPatch, OwnerView } from './admin-schemas.ts'
import { columnsToRow, rowToColumns, safeJson } from './columns.ts'
import { crudRoutes } from './crud-routes.ts'

export interface DirectoryRoutesOptions {
  db: Database
  log: Logger
  /** Country of local numbers typed into contacts. */
  defaultCountry: string
}

/** /owners (how to reach each CRM owner) and /contacts (the embedded CRM, the local-directory plugin's table). */
export const directoryRoutes = ({ db, log, defaultCountry }: DirectoryRoutesOptions) =>
  new Hono()
    .route(
      '/owners',
      crudRoutes<typeof owners.$inferSelect>({
        db,
        log,
        tag: 'owners',
        names: { one: 'owner', many: 'owners', article: 'an' },
        table: owners,
        body: OwnerBody,
        patch: OwnerPatch,
        view: OwnerView,
        toRow: columnsToRow,
        fromRow: rowToColumns,
        check: (row) =>
          row.crmOwnerId || row.email ? {} : { problem: 'crm_owner_id or email: give at least one, to match the CRM owner' },
      }),
    )
    .route(
      '/contacts',
      crudRoutes<typeof contacts.$inferSelect>({
        db,
        log,
        tag: 'contacts',
        names: { one: 'contact', many: 'contacts', article: 'a' },
        table: contacts,
        body: ContactBody,
        patch: ContactPatch,
        view: ContactView,
        toRow: (input) => {
          const row = columnsToRow(input)
          // Numbers are stored in E.164 so the directory finds them whatever format the caller ID comes in.
          for (const key of ['phone', 'mobile'] as const) {
            if (typeof row[key] === 'string') row[key] = toE164(row[key] as string, defaultCountry) ?? row[key]
          }
          if (Array.isArray(row.tags)) row.tags = row.tags.join(',')
          if (row.fields && typeof row.fields === 'object') row.fields = JSON.stringify(row.fields)
          if (Object.keys(row).length > 0) row.updatedAt = new Date().toISOString()
          return row
        },
        fromRow: (row) => ({
          ...rowToColumns(row),
          tags: row.tags
            ? row.tags
                .split(',')
                .map((tag) => tag.trim())
                .filter(Boolean)
            : [],
          fields: safeJson(row.fields) ?? {},
        }),
        check: (row) => (row.phone && !row.phone.startsWith('+') ? { problem: `phone: "${row.phone}" is not a phone number` } : {}),
      }),
    )
