import type { LookupKey, LookupResult } from '../call-event.ts'
import { errorMessage } from '../logger.ts'
import type { CrmClient } from './plugin.ts'

export interface ChainedClient {
  id: string
  client: CrmClient
}

export interface LookupService {
  /**
   * Asks the plugins in chain order until one finds the contact, all within `deadlineMs`. Never throws:
   * a slow or failing CRM becomes an `error` outcome the rules can route on.
   */
  lookup(key: LookupKey, value: string | undefined, deadlineMs: number): Promise<LookupResult>
}

export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

export const createLookupService = (chain: ChainedClient[], clock: () => number = () => performance.now()): LookupService => ({
  async lookup(key, value, deadlineMs) {
    const started = clock()
    const result: LookupResult = { key, outcome: 'not_found', plugins: [], ms: 0 }
    const finish = () => {
      result.ms = round(clock() - started)
      return result
    }
    if (!value) {
      result.reason = key === 'pin' ? 'nothing typed' : 'caller id withheld or not a number'
      return finish()
    }
    const errors: string[] = []
    let expired = false
    for (const { id, client } of chain) {
      const find = key === 'pin' ? client.findByPin?.bind(client) : client.findByPhone?.bind(client)
      if (!find) continue
      const remaining = deadlineMs - (clock() - started)
      if (expired || remaining <= 0) {
        expired = true
        result.plugins.push({ plugin: id, outcome: 'skipped', ms: 0, reason: 'deadline reached' })
        continue
      }
      const budget = Math.min(remaining, client.timeoutMs ?? remaining)
      const pluginStarted = clock()
      try {
        const contact = await withDeadline((signal) => find(value, { signal }), budget)
        const ms = round(clock() - pluginStarted)
        if (contact) {
          result.plugins.push({ plugin: id, outcome: 'found', ms })
          result.outcome = 'found'
          result.contact = contact
          return finish()
        }
        result.plugins.push({ plugin: id, outcome: 'not_found', ms })
      } catch (error) {
        // Timer resolution can wake us a hair before the clock says the deadline passed.
        if (error instanceof DeadlineError && budget === remaining) expired = true
        const reason = errorMessage(error)
        result.plugins.push({ plugin: id, outcome: 'error', ms: round(clock() - pluginStarted), reason })
        errors.push(`${id}: ${reason}`)
      }
    }
    if (result.plugins.length === 0) result.reason = `no plugin can look up by ${key}`
    // When a CRM failed we cannot say the caller is unknown: it may have held the record.
    if (errors.length > 0) {
      result.outcome = 'error'
      result.reason = errors.join('; ')
    }
    return finish()
  },
})

/** Runs `task` with an AbortSignal and gives up at the deadline even if the task ignores the signal. */
const withDeadline = <T>(task: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> => {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineError(Math.round(ms))
      controller.abort(error)
      reject(error)
    }, ms)
  })
  return Promise.race([task(controller.signal), deadline]).finally(() => clearTimeout(timer))
}

const round = (ms: number) => Math.round(ms * 100) / 100

