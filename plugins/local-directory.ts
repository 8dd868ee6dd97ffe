import { eq, sql } from 'drizzle-orm'
import * as v from 'valibot'
import { type Contact, contacts, definePlugin, owners } from '../src/crm/plugin.ts'

/**
 * The embedded CRM: contacts in the service's own SQLite database (`contacts`, owners from `owners`).
 * Needs no account, so the service routes real calls out of the box; also a last link in a chain after a
 * remote CRM.
 */
export const localDirectory = () =>
  definePlugin({
    id: 'local-directory',
    version: '1.0.0',
    envPrefix: 'LOCAL_DIRECTORY_',
    config: v.object({}),
    setup({ db, log }) {
      const columns = {
        id: contacts.id,
        name: contacts.name,
        company: contacts.company,
        segment: contacts.segment,
        tags: contacts.tags,
        fields: contacts.fields,
        updatedAt: contacts.updatedAt,
        ownerId: owners.crmOwnerId,
        ownerEmail: contacts.ownerEmail,
        ownerName: owners.name,
        ownerExtension: owners.extension,
        ownerPhone: owners.phone,
        ownerLayer: owners.layer,
      }
      const base = () => db.select(columns).from(contacts).leftJoin(owners, eq(owners.email, contacts.ownerEmail))
      // Several contacts can share a number (a switchboard); the most recently updated one wins. The newest
      // id is picked from the index searches first (a union of two is several times faster in SQLite than
      // `phone = ? OR mobile = ?`), then one row is read by its key: sorting whole joined rows costs a
      // temporary B-tree of them on every call, about four times the whole lookup.
      const newestWithNumber = sql`(SELECT id FROM (SELECT ${contacts.id} AS id, ${contacts.updatedAt} AS updated_at FROM ${contacts} WHERE ${contacts.phone} = ${sql.placeholder('phone')} UNION ALL SELECT ${contacts.id}, ${contacts.updatedAt} FROM ${contacts} WHERE ${contacts.mobile} = ${sql.placeholder('phone')}) ORDER BY updated_at DESC, id DESC LIMIT 1)`
      const newestWithPin = sql`(SELECT ${contacts.id} FROM ${contacts} WHERE ${contacts.pin} = ${sql.placeholder('pin')} ORDER BY ${contacts.updatedAt} DESC, ${contacts.id} DESC LIMIT 1)`
      const byPhone = base().where(eq(contacts.id, newestWithNumber)).prepare()
      const byPin = base().where(eq(contacts.id, newestWithPin)).prepare()

      type Row = NonNullable<Awaited<ReturnType<typeof byPhone.get>>>
      const toContact = (row: Row | undefined): Contact | null => {
        if (!row) return null
        let fields: Record<string, string> = {}
        if (row.fields) {
          try {
            fields = Object.fromEntries(
              Object.entries(JSON.parse(row.fields) as Record<string, unknown>).map(([key, value]) => [key, String(value)]),
            )
          } catch {
            log.warn('contact fields are not a JSON object; ignored', { plugin: 'local-directory', contactId: row.id })
          }
        }
        const hasOwner = row.ownerEmail || row.ownerName
        return {
          id: String(row.id),
          source: 'local-directory',
          name: row.name,
          company: row.company ?? undefined,
          segment: row.segment ?? undefined,
          tags: row.tags
            ? row.tags
                .split(',')
                .map((tag) => tag.trim())
                .filter(Boolean)
            : [],
          fields,
          updatedAt: row.updatedAt,
          owner: hasOwner
            ? {
                id: row.ownerId ?? undefined,
                email: row.ownerEmail ?? undefined,
                name: row.ownerName ?? undefined,
                extension: row.ownerExtension ?? undefined,
                phone: row.ownerPhone ?? undefined,
                layer: row.ownerLayer ?? undefined,
              }
            : undefined,
        }
      }

      return {
        // Lookups are a local index search; caching would only delay edits to the table.
        cache: false,
        findByPhone: async (phone) => toContact(await byPhone.get({ phone })),
        findByPin: async (pin) => toContact(await byPin.get({ pin })),
      }
    },
  })
