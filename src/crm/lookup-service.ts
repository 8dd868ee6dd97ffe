import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel'
import { LRUCache } from 'lru-cache'
import { beforeDeadline, DeadlineError, withDeadline } from '../lib/deadline.ts'
import { errorMessage } from '../lib/logger.ts'
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts'
import type { CrmErrorKind, LookupKey, LookupResult } from '../model/call-event.ts'
import { type CrmClient, RateLimitedError } from './plugin.ts'

export interface ChainedClient {
  id: string
  client: CrmClient
}

export interface LookupOptions {
  /** Runs work that outlives the answer (a stale entry's refresh); Workers pass waitUntil. */
  background?: (task: Promise<unknown>) => void
}

export interface LookupService {
  /**
   * Asks the plugins in chain order until one finds the contact, all within `deadlineMs`. Never throws:
   * a slow or failing CRM becomes an `error` outcome the rules can route on.
   */
  lookup(key: LookupKey, value: string | undefined, deadlineMs: number, options?: LookupOptions): Promise<LookupResult>
  /** Each plugin's circuit and caching as this process (or Worker isolate) sees them now, in chain order. */
  health(): PluginHealth[]
}

export interface PluginHealth {
  id: string
  /** `half-open` once the open time is over: the next lookup is the trial. */
  circuit: 'closed' | 'open' | 'half-open'
  /** Wall-clock ms the circuit has been so since (the service's start for one that never changed). */
  since: number
  /** Whether this plugin's answers are kept in the lookup cache. */
  cached: boolean
}

export interface LookupCacheOptions {
  /** How long a found contact is served without asking the CRM. */
  hitTtlMs: number
  /**
   * How long "not found" is believed; short, because CRM search indexes lag new records. Never served past
   * it: a caller created in the CRM since is found by the next call.
   */
  missTtlMs: number
  /** How long a failure is remembered, so an outage is not hammered by every call. Never served past it. */
  errorTtlMs: number
  /** How long an expired found contact may still be served (at once, refreshed in the background). */
  staleMs: number
  maxEntries: number
}

export const DEFAULT_CACHE: LookupCacheOptions = {
  hitTtlMs: 5 * 60_000,
  missTtlMs: 15_000,
  errorTtlMs: 5_000,
  staleMs: 24 * 3_600_000,
  maxEntries: 10_000,
}

export interface LookupServiceOptions {
  chain: ChainedClient[]
  cache?: Partial<LookupCacheOptions> | false
  /** Consecutive failures that open a plugin's circuit, and how long it stays open. */
  breaker?: { failures: number; openMs: number }
  /** Milliseconds for timing (monotonic). */
  clock?: () => number
  /** Wall-clock milliseconds for cache ages. */
  now?: () => number
}

const CIRCUIT_OPEN = 'circuit open after repeated failures'
const OUTER_DEADLINE_GRACE_MS = 5

/** A plugin the service decided not to ask (rate limit, open circuit, deadline): the answer is unknown. */
class SkippedError extends Error {
  readonly kind: CrmErrorKind
  constructor(kind: CrmErrorKind, message: string) {
    super(message)
    this.kind = kind
  }
}

/** The kind of a plugin's failure, from the error's type (never from its message). */
const errorKind = (error: unknown): CrmErrorKind =>
  error instanceof SkippedError
    ? error.kind
    : error instanceof DeadlineError
      ? 'timeout'
      : error instanceof RateLimitedError
        ? 'rate_limited'
        : 'error'

interface CacheEntry {
  result: LookupResult
  storedAt: number
  freshUntil: number
}

interface GuardedClient extends ChainedClient {
  bucket?: TokenBucket
  pausedUntil: number
  /** While the circuit is open (monotonic ms); cockatiel only notices the half-open time on a call. */
  openUntil: number
  /** When the circuit last changed state (wall-clock ms), for the console's health page. */
  circuitSince: number
  breaker: ReturnType<typeof circuitBreaker>
  /** The client's finders, bound once. */
  find: Partial<Record<LookupKey, CrmClient['findByPhone']>>
}

export const createLookupService = ({
  chain,
  cache: cacheOptions,
  breaker = { failures: 5, openMs: 30_000 },
  clock = () => performance.now(),
  now = Date.now,
}: LookupServiceOptions): LookupService => {
  const guarded: GuardedClient[] = chain.map((entry) => {
    const guard: GuardedClient = {
      ...entry,
      bucket: entry.client.rateLimit ? createTokenBucket(entry.client.rateLimit.perSecond, entry.client.rateLimit.burst, clock) : undefined,
      pausedUntil: 0,
      openUntil: 0,
      circuitSince: now(),
      find: {
        caller: entry.client.findByPhone?.bind(entry.client),
        pin: entry.client.findByPin?.bind(entry.client),
      },
      // A CRM that keeps failing is left alone for a while instead of costing every caller its deadline.
      breaker: circuitBreaker(
        handleWhen((error) => !(error instanceof RateLimitedError)),
        { halfOpenAfter: breaker.openMs, breaker: new ConsecutiveBreaker(breaker.failures) },
      ),
    }
    guard.breaker.onBreak(() => {
      guard.openUntil = clock() + breaker.openMs
    })
    guard.breaker.onStateChange(() => {
      guard.circuitSince = now()
    })
    return guard
  })
  const caching = cacheOptions !== false && chain.some((entry) => entry.client.cache !== false)
  /** Plugins whose answers are never cached (a local database: caching would only hide its edits). */
  const uncached = new Set(chain.filter((entry) => entry.client.cache === false).map((entry) => entry.id))
  const settings = { ...DEFAULT_CACHE, ...(cacheOptions || {}) }
  const cache = caching ? new LRUCache<string, CacheEntry>({ max: settings.maxEntries, ttl: settings.staleMs }) : undefined
  const inFlight = new Map<string, Promise<LookupResult>>()

  const runChain = async (key: LookupKey, value: string, deadlineMs: number): Promise<LookupResult> => {
    const started = clock()
    const result: LookupResult = { key, outcome: 'not_found', plugins: [], ms: 0 }
    const unknown: string[] = []
    let expired = false
    for (const entry of guarded) {
      const { id, client } = entry
      const find = entry.find[key]
      if (!find) continue
      const remaining = deadlineMs - (clock() - started)
      const pluginStarted = clock()
      const budget = Math.min(remaining, client.timeoutMs ?? remaining)
      try {
        if (expired || remaining <= 0) {
          expired = true
          throw new SkippedError('timeout', 'deadline reached')
        }
        // Inside the breaker the timeout counts as a failure and aborts the plugin's signal; the outer
        // deadline (a few ms later, so the inner one normally fires first) also covers waiting for a
        // half-open breaker's trial call.
        const contact = await beforeDeadline(
          () => ask(entry, () => withDeadline((signal) => find(value, { signal }), budget)),
          budget + OUTER_DEADLINE_GRACE_MS,
          // Whichever fires first on a busy loop, the caller's record names the plugin's budget.
          budget,
        )
        const ms = round(clock() - pluginStarted)
        if (contact) {
          result.plugins.push({ plugin: id, outcome: 'found', ms })
          result.outcome = 'found'
          result.contact = contact
          break
        }
        result.plugins.push({ plugin: id, outcome: 'not_found', ms })
      } catch (error) {
        // Timer resolution can wake us a hair before the clock says the deadline passed.
        if (error instanceof DeadlineError && budget === remaining) expired = true
        const reason = errorMessage(error)
        const skipped = error instanceof SkippedError
        result.plugins.push({
          plugin: id,
          outcome: skipped ? 'skipped' : 'error',
          ms: round(clock() - pluginStarted),
          reason,
          kind: errorKind(error),
        })
        unknown.push(`${id}: ${reason}`)
      }
    }
    if (result.plugins.length === 0) result.reason = `no plugin can look up by ${key}`
    // When a CRM failed or was skipped we cannot say the caller is unknown: it may hold the record.
    if (result.outcome !== 'found' && unknown.length > 0) {
      result.outcome = 'error'
      result.reason = unknown.join('; ')
    }
    result.ms = round(clock() - started)
    return result
  }

  const ask = async <T>(entry: GuardedClient, call: () => Promise<T>): Promise<T> => {
    const waitMs = entry.pausedUntil - now()
    if (waitMs > 0) throw new SkippedError('rate_limited', `rate limited by the CRM, retrying in ${Math.ceil(waitMs / 1000)} s`)
    // Checked before the rate limit, so an open circuit does not spend the CRM's request budget.
    if (entry.openUntil > clock()) throw new SkippedError('circuit_open', CIRCUIT_OPEN)
    if (entry.bucket && !entry.bucket.take()) {
      throw new SkippedError('rate_limited', `over ${entry.client.rateLimit?.perSecond} lookups/s, the CRM's limit`)
    }
    try {
      return await entry.breaker.execute(call)
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new SkippedError('circuit_open', CIRCUIT_OPEN)
      if (error instanceof RateLimitedError) entry.pausedUntil = now() + error.retryAfterMs
      throw error
    }
  }

  const store = (cacheKey: string, result: LookupResult, previous: CacheEntry | undefined) => {
    if (!cache) return
    // Found by a plugin that is never cached (the local directory behind HubSpot): asked again next time.
    if (result.outcome === 'found' && result.plugins.some((plugin) => plugin.outcome === 'found' && uncached.has(plugin.plugin))) {
      cache.delete(cacheKey)
      return
    }
    const at = now()
    if (result.outcome === 'error') {
      // Keep serving the contact we knew; ask again after the error TTL, not on every call. An old "not
      // found" is not kept: past its TTL the CRM may hold the caller, which is what `error` says.
      if (previous?.result.outcome === 'found') {
        cache.set(cacheKey, { ...previous, freshUntil: at + settings.errorTtlMs }, { noUpdateTTL: true })
      } else {
        cache.set(cacheKey, { result, storedAt: at, freshUntil: at + settings.errorTtlMs })
      }
      return
    }
    const ttl = result.outcome === 'found' ? settings.hitTtlMs : settings.missTtlMs
    cache.set(cacheKey, { result, storedAt: at, freshUntil: at + ttl })
  }

  /** Concurrent lookups of one key share one CRM call; `joined` when another lookup started it. */
  const shared = (cacheKey: string, run: () => Promise<LookupResult>) => {
    const pending = inFlight.get(cacheKey)
    if (pending) return { result: pending, joined: true }
    const started = run().finally(() => inFlight.delete(cacheKey))
    inFlight.set(cacheKey, started)
    return { result: started, joined: false }
  }

  return {
    health: () =>
      guarded.map((entry) => {
        const cached = caching && !uncached.has(entry.id)
        const state = entry.breaker.state
        if (state === CircuitState.Closed) return { id: entry.id, circuit: 'closed', since: entry.circuitSince, cached }
        if (state === CircuitState.HalfOpen) return { id: entry.id, circuit: 'half-open', since: entry.circuitSince, cached }
        const overFor = clock() - entry.openUntil
        return overFor >= 0
          ? { id: entry.id, circuit: 'half-open', since: now() - overFor, cached }
          : { id: entry.id, circuit: 'open', since: entry.circuitSince, cached }
      }),
    async lookup(key, value, deadlineMs, options = {}) {
      if (!value) {
        return {
          key,
          outcome: 'not_found',
          plugins: [],
          ms: 0,
          reason: key === 'pin' ? 'nothing typed' : 'caller id withheld or not a number',
        }
      }
      const started = clock()
      const cacheKey = `${key}:${value}`
      const cachedEntry = cache?.get(cacheKey)
      // lru-cache ages entries on its own clock; the stale horizon is checked on ours as well.
      const entry = cachedEntry && now() - cachedEntry.storedAt < settings.staleMs ? cachedEntry : undefined
      if (entry && entry.freshUntil > now()) return fromCache(entry, 'fresh', clock() - started)
      const refresh = () =>
        shared(cacheKey, async () => {
          const result = await runChain(key, value, deadlineMs)
          store(cacheKey, result, entry)
          return result
        })
      // Only a found contact is served stale (stale-while-revalidate): the person rarely changes, and a
      // known caller routed at once beats a wait. "Not found" is not: CRMs gain contacts all the time, and
      // a caller created an hour ago must not stay unknown for LOOKUP_CACHE_STALE_SECONDS. A remembered
      // failure only spares the CRM while fresh; past that, ask again.
      if (entry && entry.result.outcome === 'found') {
        const task = refresh().result
        if (options.background) options.background(task)
        else task.catch(() => {})
        return fromCache(entry, 'stale', clock() - started)
      }
      const flight = refresh()
      if (!flight.joined) return flight.result
      try {
        // The chain keeps the deadline of the lookup that started it; one that joined keeps its own.
        return await beforeDeadline(() => flight.result, deadlineMs)
      } catch (error) {
        return { key, outcome: 'error', plugins: [], ms: round(clock() - started), reason: errorMessage(error) }
      }
    },
  }
}

const fromCache = (entry: CacheEntry, state: 'fresh' | 'stale', ms: number): LookupResult => ({
  ...entry.result,
  cache: state,
  plugins: [],
  ms: round(ms),
})

const round = (ms: number) => Math.round(ms * 100) / 100
