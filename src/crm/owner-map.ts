import { eq, or, sql } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import { owners } from '../db/schema.ts'

/**
 * The service's owner map (the owners table): how to reach a CRM user by phone (extension, number, layer),
 * which no CRM stores for its users. Matched by the user's id in the CRM, or by e-mail.
 */
export const ownerMap = (db: Database) => {
  // Prepared once: a lookup of a contact with an owner reads it.
  const row = db
    .select()
    .from(owners)
    .where(or(eq(owners.crmOwnerId, sql.placeholder('id')), eq(owners.email, sql.placeholder('email'))))
    .limit(1)
    .prepare()
  return {
    /** The map's row for a CRM user: by id, or by e-mail when one is given. */
    find: (id: string, email?: string | null) => row.get({ id, email: email ?? null }),
  }
}
