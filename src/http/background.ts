import type { Context } from 'hono'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { Metrics } from '../lib/metrics.ts'

/**
 * Work that outlives the answer (status records, follow-up commands, CRM call logs): handed to waitUntil on
 * Workers, kept in a set on Node so shutdown can wait for it. It is caught where it starts: a rejection in it
 * must never end the process.
 */
export const createBackground = (log: Logger, metrics?: Metrics) => {
  const running = new Set<Promise<unknown>>()
  let hasExecutionContext: boolean | undefined

  const defer = (c: Context, work: Promise<unknown>) => {
    const task = work.catch((error: unknown) => {
      metrics?.unhandledErrors({ kind: 'background' })
      log.error('background work failed', { error: errorMessage(error) })
    })
    // Hono throws when the runtime has no execution context (Node); find out once, not per request.
    if (hasExecutionContext === undefined) {
      try {
        hasExecutionContext = typeof c.executionCtx.waitUntil === 'function'
      } catch {
        hasExecutionContext = false
      }
    }
    if (hasExecutionContext) return c.executionCtx.waitUntil(task)
    running.add(task)
    void task.finally(() => running.delete(task))
  }

  /** Waits for running work, at most `timeoutMs`: a task stuck on a hung CRM must not hold shutdown. */
  const settle = async (timeoutMs: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([Promise.allSettled([...running]), timeout])
    if (timer !== undefined) clearTimeout(timer)
  }

  return { defer, settle }
}

export type Background = ReturnType<typeof createBackground>
