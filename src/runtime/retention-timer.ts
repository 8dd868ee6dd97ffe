import { type Retention, runRetention } from '../db/retention.ts'
import type { Logger } from '../lib/logger.ts'

export interface RetentionTimer {
  /** No further runs; waits for the batch in flight, so the database can be closed after it. */
  stop(): Promise<void>
}

/** Node: a run every `intervalMs`, the next one timed from the end of the last so runs never overlap. */
export const startRetentionTimer = ({
  retention,
  intervalMs,
  log,
}: {
  retention: Retention
  intervalMs: number
  log: Logger
}): RetentionTimer => {
  const stopped = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  const arm = () => {
    timer = setTimeout(() => {
      running = runRetention(retention, log, stopped.signal).finally(() => {
        running = undefined
        if (!stopped.signal.aborted) arm()
      })
    }, intervalMs)
    // Retention alone must not keep the process alive.
    timer.unref()
  }
  arm()
  return {
    async stop() {
      stopped.abort()
      clearTimeout(timer)
      await running
    },
  }
}
