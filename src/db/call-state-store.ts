import { and, eq, lt, sql } from 'drizzle-orm'
import type { Database } from './database.ts'
import { callState } from './schema.ts'

interface CallStateData {
  /** Requests per layer in this call. */
  visits: Record<string, number>
}

export interface CallStateStore {
  /** Counts one more request of this call from this layer and returns the count (1 on the first). */
  visit(provider: string, callId: string, layer: string): Promise<number>
  /** Forgets calls not seen for this long. */
  purge(olderThanMs: number): Promise<void>
}

export const createCallStateStore = (db: Database, clock: () => number = Date.now): CallStateStore => {
  const read = db
    .select({ data: callState.data })
    .from(callState)
    .where(and(eq(callState.provider, sql.placeholder('provider')), eq(callState.callId, sql.placeholder('callId'))))
    .prepare()
  const write = db
    .insert(callState)
    .values({
      provider: sql.placeholder('provider'),
      callId: sql.placeholder('callId'),
      data: sql.placeholder('data'),
      updatedAt: sql.placeholder('updatedAt'),
    })
    .onConflictDoUpdate({
      target: [callState.provider, callState.callId],
      set: { data: sql`excluded.data`, updatedAt: sql`excluded.updated_at` },
    })
    .prepare()
  const purge = db.delete(callState).where(lt(callState.updatedAt, sql.placeholder('before'))).prepare()

  return {
    async visit(provider, callId, layer) {
      const row = await read.get({ provider, callId })
      const data = parseState(row?.data)
      const count = (data.visits[layer] ?? 0) + 1
      data.visits[layer] = count
      await write.run({ provider, callId, data: JSON.stringify(data), updatedAt: clock() })
      return count
    },
    async purge(olderThanMs) {
      await purge.run({ before: clock() - olderThanMs })
    },
  }
}

const parseState = (text: string | undefined): CallStateData => {
  if (!text) return { visits: {} }
  try {
    const parsed = JSON.parse(text) as Partial<CallStateData>
    return { visits: typeof parsed.visits === 'object' && parsed.visits ? parsed.visits : {} }
  } catch {
    return { visits: {} }
  }
}
