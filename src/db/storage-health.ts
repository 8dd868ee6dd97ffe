import { errorMessage } from '../lib/logger.ts'

/** One kind of write the service depends on (decision log, call state, start-up probe). */
export type StorageWrite = 'probe' | 'decisions' | 'call_state'

export interface StorageProblem {
  write: StorageWrite
  error: string
  /** When this kind of write started failing (ISO time). */
  since: string
}

/**
 * Whether the database takes writes. Reads alone keep calls routed, so a read-only or full database would
 * otherwise go unnoticed while attempt counts reset and decisions pile up in memory: every store reports
 * its failures and recoveries here, and /health answers 503 while any write is failing.
 */
export interface StorageHealth {
  failed(write: StorageWrite, error: unknown): void
  succeeded(write: StorageWrite): void
  problems(): StorageProblem[]
}

export const createStorageHealth = (clock: () => Date = () => new Date()): StorageHealth => {
  const failing = new Map<StorageWrite, StorageProblem>()
  return {
    failed(write, error) {
      const known = failing.get(write)
      // drizzle wraps the driver's error ("Failed to run the query …"): the driver's says what is wrong.
      const cause = (error as { cause?: unknown } | undefined)?.cause
      failing.set(write, { write, error: errorMessage(cause ?? error), since: known?.since ?? clock().toISOString() })
    },
    succeeded() {
      // Any committed write proves the file takes writes again (a read-only mount, a full disk, a lock are
      // all whole-database conditions): a kind that has not written since must not keep us degraded.
      if (failing.size > 0) failing.clear()
    },
    problems: () => [...failing.values()],
  }
}
