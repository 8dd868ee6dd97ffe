import { eq, lt } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import { consoleSessions } from '../db/schema.ts'

/** What a console sign-in may do: an admin edits, a viewer (supervisor) only looks. */
export type ConsoleRole = 'admin' | 'viewer'

export interface ConsoleSession {
  role: ConsoleRole
  /** Every form of the session carries it; a POST without it is refused. */
  csrfToken: string
  expiresAt: number
}

export interface SessionStoreOptions {
  db: Database
  /** How long a session lives without a page being opened. */
  idleMs: number
  /** How long a session lives after sign-in, however busy. */
  maxAgeMs: number
  now?: () => number
}

/** A touch is a write: a page opened within this long of the last one does not move the idle clock. */
const TOUCH_EVERY_MS = 60_000

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('')

const randomToken = () => hex(crypto.getRandomValues(new Uint8Array(32)))

export const sha256 = async (text: string) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))

/** What a session remembers of the token it was opened with: changing the token ends the session. */
export const tokenFingerprint = (token: string) => sha256(`ivr-crm-router console token\n${token}`)

/**
 * Console sessions in the database (SQLite or D1), so they survive a restart and are shared by every
 * isolate on Workers. The cookie holds a random id; the table holds its SHA-256.
 */
export const createSessionStore = ({ db, idleMs, maxAgeMs, now = Date.now }: SessionStoreOptions) => {
  const expiry = (row: { createdAt: number; lastSeenAt: number }) => Math.min(row.createdAt + maxAgeMs, row.lastSeenAt + idleMs)

  return {
    /** A new session for a role signed in with a token of that fingerprint; returns the cookie's value. */
    async open(role: ConsoleRole, fingerprint: string): Promise<{ id: string; session: ConsoleSession }> {
      const id = randomToken()
      const at = now()
      const row = { idHash: await sha256(id), role, tokenFingerprint: fingerprint, csrfToken: randomToken(), createdAt: at, lastSeenAt: at }
      const expiresAt = expiry(row)
      await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, at)).run()
      await db
        .insert(consoleSessions)
        .values({ ...row, expiresAt })
        .run()
      return { id, session: { role, csrfToken: row.csrfToken, expiresAt } }
    },

    /**
     * The live session a cookie names, or undefined (none, expired, idle too long, or opened with a token that
     * is no longer the role's: `fingerprintOf` gives the current one, undefined when the role is off).
     */
    async read(
      id: string | undefined,
      fingerprintOf: (role: ConsoleRole) => Promise<string | undefined>,
    ): Promise<ConsoleSession | undefined> {
      if (!id || !/^[0-9a-f]{64}$/.test(id)) return undefined
      const idHash = await sha256(id)
      const row = await db.select().from(consoleSessions).where(eq(consoleSessions.idHash, idHash)).get()
      if (!row) return undefined
      const at = now()
      const role = row.role as ConsoleRole
      if (expiry(row) <= at || row.tokenFingerprint !== (await fingerprintOf(role))) {
        await db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash)).run()
        return undefined
      }
      let lastSeenAt = row.lastSeenAt
      if (at - row.lastSeenAt >= TOUCH_EVERY_MS) {
        lastSeenAt = at
        await db
          .update(consoleSessions)
          .set({ lastSeenAt, expiresAt: expiry({ createdAt: row.createdAt, lastSeenAt }) })
          .where(eq(consoleSessions.idHash, idHash))
          .run()
      }
      return { role, csrfToken: row.csrfToken, expiresAt: expiry({ createdAt: row.createdAt, lastSeenAt }) }
    },

    async close(id: string | undefined) {
      if (!id || !/^[0-9a-f]{64}$/.test(id)) return
      await db
        .delete(consoleSessions)
        .where(eq(consoleSessions.idHash, await sha256(id)))
        .run()
    },
  }
}

export type SessionStore = ReturnType<typeof createSessionStore>
