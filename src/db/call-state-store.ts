import { and, eq, sql } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import type { Database } from './database.ts'
import type { DecisionLog } from './decision-log.ts'
import { callState } from './schema.ts'
import type { StorageHealth } from './storage-health.ts'

interface CallStateData {
  /** Requests per layer in this call. */
  visits: Record<string, number>
  /** What a provider keeps between a call's requests (RingCentral: the step being collected and its parties). */
  provider?: Record<string, unknown>
}

export interface CallStateStore {
  /** Counts one more request of this call from this layer and returns the count (1 on the first). */
  visit(provider: string, callId: string, layer: string): Promise<number>
  /** A provider's own state for the call. */
  get(provider: string, callId: string): Promise<Record<string, unknown> | undefined>
  set(provider: string, callId: string, value: Record<string, unknown>): Promise<void>
}

/** Calls whose state is held in memory while the database refuses writes: far more than run at once. */
const MAX_UNSAVED_CALLS = 10_000

export interface CallStateStoreOptions {
  clock?: () => number
  health?: StorageHealth
  /** How long an unsaved call's state is held in memory: as long as its row would be kept. */
  ttlMs?: number
  /** Commits states with the decisions of the same round (the decision log): one transaction for both. */
  writes: Pick<DecisionLog, 'saveCallState'>
  /**
   * Whether `visit` waits for the count's commit. Not where every answer waits for its round's commit anyway
   * (Node), which holds the count too; yes where answers go first (Workers), so the call's next request,
   * maybe on another isolate, reads the count.
   */
  waitForCommit?: boolean
}

export const createCallStateStore = (
  db: Database,
  { clock = Date.now, health, ttlMs = 24 * 3_600_000, writes, waitForCommit = false }: CallStateStoreOptions,
): CallStateStore => {
  const read = db
    .select({ data: callState.data })
    .from(callState)
    .where(and(eq(callState.provider, sql.placeholder('provider')), eq(callState.callId, sql.placeholder('callId'))))
    .prepare()
  /**
   * State the database would not take. Attempt counts drive retry routing ("wrong PIN twice, then a person"),
   * so a refused write must not silently reset them: the call's state lives here, newer than its row, until
   * a write of it succeeds again. Bounded, oldest calls first out.
   */
  const unsaved = new LRUCache<string, string>({ max: MAX_UNSAVED_CALLS, ttl: ttlMs })
  /** States queued for the next commit: read from here until it is done (a plain map, emptied as commits land). */
  const queued = new Map<string, string>()
  const load = async (provider: string, callId: string): Promise<CallStateData> => {
    const key = `${provider}\u0000${callId}`
    const held = (queued.size > 0 ? queued.get(key) : undefined) ?? (unsaved.size > 0 ? unsaved.get(key) : undefined)
    return parseState(held ?? (await read.get({ provider, callId }))?.data)
  }
  /**
   * Queued with the round's decisions. Until it is committed the state is read from memory, so the call's
   * next request counts on from it; once committed, memory lets go of it unless a newer state came since;
   * if the write fails, it is held with the other unsaved states.
   */
  const save = (provider: string, callId: string, data: CallStateData) => {
    const text = JSON.stringify(data)
    const key = `${provider}\u0000${callId}`
    queued.set(key, text)
    return writes.saveCallState({ provider, callId, data: text, updatedAt: clock() }).then(({ error }) => {
      // A newer state of the call, queued since, stays queued.
      const current = queued.get(key) === text
      if (current) queued.delete(key)
      if (error === undefined) {
        if (unsaved.size > 0) unsaved.delete(key)
        health?.succeeded('call_state')
      } else {
        if (current) unsaved.set(key, text)
        health?.failed('call_state', error)
      }
    })
  }
  return {
    async visit(provider, callId, layer) {
      const data = await load(provider, callId)
      const count = (data.visits[layer] ?? 0) + 1
      data.visits[layer] = count
      const saved = save(provider, callId, data)
      if (waitForCommit) await saved
      return count
    },
    async get(provider, callId) {
      return (await load(provider, callId)).provider
    },
    async set(provider, callId, value) {
      const data = await load(provider, callId)
      data.provider = value
      await save(provider, callId, data)
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
