/**
 * A token bucket that answers at once instead of queueing: on a call path, waiting for a CRM's rate limit
 * to allow a request is worse than routing without the CRM.
 */
export const createTokenBucket = (perSecond: number, burst = perSecond, clock: () => number = () => performance.now()) => {
  let tokens = burst
  let updatedAt = clock()
  return {
    /** Takes a token if one is there. */
    take(): boolean {
      const now = clock()
      tokens = Math.min(burst, tokens + ((now - updatedAt) / 1000) * perSecond)
      updatedAt = now
      if (tokens < 1) return false
      tokens -= 1
      return true
    },
  }
}

export type TokenBucket = ReturnType<typeof createTokenBucket>
