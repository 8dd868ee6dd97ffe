import { eq, sql } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import * as v from 'valibot'
import { type Contact, contacts, definePlugin, owners } from '../src/crm/plugin.ts'

/** Bumped by triggers on every change to contacts and owners (migration 0007). */
const DIRECTORY_REVISION = 'directory'
/** Numbers and PINs whose answers (found or not) are kept; a directory's callers are far more than this. */
const REMEMBERED_LOOKUPS = 10_000

/**
 * The embedded CRM: contacts in the service's own SQLite database (`contacts`, owners from `owners`).
 * Needs no account, so the service routes real calls out of the box; also a last link in a chain after a
 * remote CRM.
 *
 * Answers are kept in memory for as long as the directory's revision stays the same. The revision is re-read
 * at most every RULES_REFRESH_MS, as rules are, so most calls run no query at all, and an edit from anywhere
 * (the admin API, another SQLite tool, another Worker isolate) is seen within that time, as an edited rule is.
 */
export const localDirectory = () =>
  definePlugin({
    id: 'local-directory',
    version: '1.0.0',
    envPrefix: 'LOCAL_DIRECTORY_',
    config: v.object({}),
    setup({ db, revisions, log }) {
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

      const remembered = new LRUCache<string, { contact: Contact | null }>({ max: REMEMBERED_LOOKUPS })
      let rememberedAt: number | undefined
      /** The answer kept for `key` while the directory is unchanged; else asks the database and keeps that. */
      const lookup = async (key: string, find: () => Row | undefined | Promise<Row | undefined>): Promise<Contact | null> => {
        const current = await revisions.current(DIRECTORY_REVISION)
        if (current !== rememberedAt) {
          remembered.clear()
          rememberedAt = current
        }
        const kept = remembered.get(key)
        if (kept) return kept.contact
        // Read after the revision: what is kept is at least as new as the revision it is kept under.
        const contact = freeze(toContact(await find()))
        if (current !== undefined) remembered.set(key, { contact })
        return contact
      }

      return {
        // Kept here, per directory revision: the lookup service's time-based cache would only delay edits.
        cache: false,
        findByPhone: (phone) => lookup(`phone:${phone}`, () => byPhone.get({ phone })),
        findByPin: (pin) => lookup(`pin:${pin}`, () => byPin.get({ pin })),
      }
    },
  })

/** One contact object serves every call that finds it: nothing downstream may change it for the others. */
const freeze = (contact: Contact | null): Contact | null => {
  if (!contact) return contact
  Object.freeze(contact.tags)
  Object.freeze(contact.fields)
  if (contact.owner) Object.freeze(contact.owner)
  return Object.freeze(contact)
}
