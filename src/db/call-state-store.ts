import { and, eq, sql } from 'drizzle-orm'
import type { Database } from './database.ts'
import { callState } from './schema.ts'

interface CallStateData {
  /** Requests per layer in this call. */
  visits: Record<string, number>
  /** What a provider adapter keeps between a call's requests (RingCentral: the step being collected). */
  provider?: Record<string, unknown>
}

export interface CallStateStore {
  /** Counts one more request of this call from this layer and returns the count (1 on the first). */
  visit(provider: string, callId: string, layer: string): Promise<number>
  /** A provider adapter's own state for the call. */
  get(provider: string, callId: string): Promise<Record<string, unknown> | undefined>
  set(provider: string, callId: string, value: Record<string, unknown>): Promise<void>
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

  return {
    async visit(provider, callId, layer) {
      const row = await read.get({ provider, callId })
      const data = parseState(row?.data)
      const count = (data.visits[layer] ?? 0) + 1
      data.visits[layer] = count
      await write.run({ provider, callId, data: JSON.stringify(data), updatedAt: clock() })
      return count
    },
    async get(provider, callId) {
      return parseState((await read.get({ provider, callId }))?.data).provider
    },
    async set(provider, callId, value) {
      const data = parseState((await read.get({ provider, callId }))?.data)
      data.provider = value
      await write.run({ provider, callId, data: JSON.stringify(data), updatedAt: clock() })
    },
  }
}

const parseState = (text: string | undefined): CallStateData => {
  if (!text) return { visits: {} }
  try {
    const parsed = JSON.parse(text) as Partial<CallStateData>
    return {
      visits: typeof parsed.visits === 'object' && parsed.visits ? parsed.visits : {},
      provider: typeof parsed.provider === 'object' && parsed.provider ? parsed.provider : undefined,
    }
  } catch {
    return { visits: {} }
  }
}
