import { describe, expect, it } from 'vitest'
import { createLookupService, type LookupServiceOptions } from '../../src/crm/lookup-service.ts'
import { type Contact, type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'

const contact = (name: string, source = 'fake'): Contact => ({ id: name.toLowerCase(), source, name, tags: [], fields: {} })

/** A CRM the test controls: what it answers, and how often it was asked. */
const fakeCrm = (answer: (value: string, signal: AbortSignal) => Promise<Contact | null>, extra: Partial<CrmClient> = {}) => {
  const calls: string[] = []
  const signals: AbortSignal[] = []
  const client: CrmClient = {
    findByPhone: (value, { signal }) => {
      calls.push(value)
      signals.push(signal)
      return answer(value, signal)
    },
    ...extra,
  }
  return { client, calls, signals }
}

const service = (clients: CrmClient[], options: Partial<LookupServiceOptions> = {}) =>
  createLookupService({ chain: clients.map((client, index) => ({ id: `crm-${index + 1}`, client })), ...options })

const hang = () => new Promise<never>(() => {})

describe('lookup service: chain', () => {
  it('asks in order until one finds, and records each plugin', async () => {
    const first = fakeCrm(async () => null)
    const second = fakeCrm(async () => contact('Dana'))
    const third = fakeCrm(async () => contact('Never'))
    const result = await service([first.client, second.client, third.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result).toMatchObject({ key: 'caller', outcome: 'found', contact: { name: 'Dana' } })
    expect(result.plugins.map(({ plugin, outcome }) => [plugin, outcome])).toEqual([
      ['crm-1', 'not_found'],
      ['crm-2', 'found'],
    ])
    expect(third.calls).toEqual([])
  })

  it('a failure is not "not found": error then miss is error; error then hit is found', async () => {
    const failing = fakeCrm(async () => {
      throw new Error('down')
    })
    const missing = fakeCrm(async () => null)
    const finding = fakeCrm(async () => contact('Dana'))
    expect(await service([failing.client, missing.client], { cache: false }).lookup('caller', '+1', 500)).toMatchObject({
      outcome: 'error',
      reason: 'crm-1: down',
    })
    expect(await service([failing.client, finding.client], { cache: false }).lookup('caller', '+1', 500)).toMatchObject({ outcome: 'found' })
  })

  it('no value or no capable plugin: not found without asking', async () => {
    const crm = fakeCrm(async () => contact('Dana'))
    const lookups = service([crm.client], { cache: false })
    expect(await lookups.lookup('caller', undefined, 500)).toMatchObject({ outcome: 'not_found', reason: 'caller id withheld or not a number' })
    expect(await lookups.lookup('pin', '', 500)).toMatchObject({ outcome: 'not_found', reason: 'nothing typed' })
    expect(await lookups.lookup('pin', '1234', 500)).toMatchObject({ outcome: 'not_found', reason: 'no plugin can look up by pin', plugins: [] })
    expect(crm.calls).toEqual([])
  })

  it('the deadline holds against a hung plugin and aborts its signal; later plugins are skipped', async () => {
    const hung = fakeCrm(hang)
    const next = fakeCrm(async () => contact('Dana'))
    const started = performance.now()
    const result = await service([hung.client, next.client], { cache: false }).lookup('caller', '+1', 100)
    expect(performance.now() - started).toBeLessThan(300)
    expect(result.outcome).toBe('error')
    expect(result.plugins).toMatchObject([
      { plugin: 'crm-1', outcome: 'error', reason: 'no answer within 100 ms' },
      { plugin: 'crm-2', outcome: 'skipped', reason: 'deadline reached' },
    ])
    expect(hung.signals[0]?.aborted).toBe(true)
  })

  it("a plugin's own timeout leaves the rest of the deadline to the next plugin", async () => {
    const slow = fakeCrm(hang, { timeoutMs: 50 })
    const next = fakeCrm(async () => contact('Dana'))
    const result = await service([slow.client, next.client], { cache: false }).lookup('caller', '+1', 300)
    expect(result).toMatchObject({ outcome: 'found', contact: { name: 'Dana' } })
    expect(result.plugins[0]).toMatchObject({ outcome: 'error', reason: 'no answer within 50 ms' })
  })
})

describe('lookup service: cache', () => {
  const cached = (answer: (value: string) => Promise<Contact | null>, extra: Partial<CrmClient> = {}) => {
    let now = 1_000_000
    const crm = fakeCrm(answer, extra)
    const lookups = service([crm.client], {
      now: () => now,
      cache: { hitTtlMs: 1000, missTtlMs: 100, errorTtlMs: 50, staleMs: 10_000, maxEntries: 100 },
    })
    return { crm, lookups, advance: (ms: number) => (now += ms) }
  }

  it('serves a hit fresh, then stale at once while refreshing in the background', async () => {
    let name = 'Dana'
    const { crm, lookups, advance } = cached(async () => contact(name))
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBeUndefined()
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', contact: { name: 'Dana' }, plugins: [] })
    expect(crm.calls).toHaveLength(1)
    advance(1500)
    name = 'Dana Cohen'
    const refreshes: Promise<unknown>[] = []
    const stale = await lookups.lookup('caller', '+1', 500, { background: (task) => refreshes.push(task) })
    expect(stale).toMatchObject({ cache: 'stale', contact: { name: 'Dana' } })
    expect(refreshes).toHaveLength(1)
    await refreshes[0]
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', contact: { name: 'Dana Cohen' } })
    expect(crm.calls).toHaveLength(2)
  })

  it('keeps serving the good answer when a refresh fails, and waits errorTtl before asking again', async () => {
    let failing = false
    const { crm, lookups, advance } = cached(async () => {
      if (failing) throw new Error('down')
      return contact('Dana')
    })
    await lookups.lookup('caller', '+1', 500)
    advance(1500)
    failing = true
    const refreshes: Promise<unknown>[] = []
    await lookups.lookup('caller', '+1', 500, { background: (task) => refreshes.push(task) })
    await Promise.all(refreshes)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', outcome: 'found', contact: { name: 'Dana' } })
    expect(crm.calls).toHaveLength(2)
    advance(60)
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBe('stale')
    expect(crm.calls).toHaveLength(3)
  })

  it('misses are believed for missTtl only; errors for errorTtl, and a stale error is not served', async () => {
    let answer: 'miss' | 'error' = 'miss'
    const { crm, lookups, advance } = cached(async () => {
      if (answer === 'error') throw new Error('down')
      return null
    })
    await lookups.lookup('caller', '+1', 500)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'not_found', cache: 'fresh' })
    advance(150)
    answer = 'error'
    const refreshes: Promise<unknown>[] = []
    await lookups.lookup('caller', '+1', 500, { background: (task) => refreshes.push(task) })
    await Promise.all(refreshes)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'not_found', cache: 'fresh' })
    const calls = crm.calls.length
    await lookups.lookup('caller', '+2', 500)
    expect(await lookups.lookup('caller', '+2', 500)).toMatchObject({ outcome: 'error', cache: 'fresh' })
    advance(60)
    const again = await lookups.lookup('caller', '+2', 500)
    expect(again.cache).toBeUndefined()
    expect(crm.calls.length).toBe(calls + 2)
  })

  it('forgets entries past the stale horizon', async () => {
    const { crm, lookups, advance } = cached(async () => contact('Dana'))
    await lookups.lookup('caller', '+1', 500)
    advance(20_000)
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBeUndefined()
    expect(crm.calls).toHaveLength(2)
  })

  it('is off when every plugin opts out (a local database)', async () => {
    const crm = fakeCrm(async () => contact('Dana'), { cache: false })
    const lookups = service([crm.client])
    await lookups.lookup('caller', '+1', 500)
    await lookups.lookup('caller', '+1', 500)
    expect(crm.calls).toHaveLength(2)
  })
})

describe('lookup service: load', () => {
  it('singleflight: 20 concurrent lookups of one number make one CRM call', async () => {
    let release: (value: Contact) => void = () => {}
    const crm = fakeCrm(() => new Promise((resolve) => (release = resolve)))
    const lookups = service([crm.client])
    const pending = Array.from({ length: 20 }, () => lookups.lookup('caller', '+1', 500))
    await new Promise((resolve) => setTimeout(resolve, 10))
    release(contact('Dana'))
    const results = await Promise.all(pending)
    expect(results.every((result) => result.contact?.name === 'Dana')).toBe(true)
    expect(crm.calls).toEqual(['+1'])
    await Promise.all([lookups.lookup('caller', '+2', 500), lookups.lookup('caller', '+3', 500)].map((p) => p.catch(() => {})))
  })

  it("rate limit: over the plugin's limit it is skipped at once, not queued", async () => {
    let clock = 0
    const crm = fakeCrm(async () => null, { rateLimit: { perSecond: 2, burst: 2 } })
    const lookups = service([crm.client], { clock: () => clock })
    const results = await Promise.all(['+1', '+2', '+3', '+4', '+5'].map((value) => lookups.lookup('caller', value, 500)))
    expect(crm.calls).toHaveLength(2)
    expect(results.filter((result) => result.outcome === 'error')).toHaveLength(3)
    expect(results[4]?.plugins[0]).toMatchObject({ outcome: 'skipped', reason: "over 2 lookups/s, the CRM's limit" })
    clock += 1000
    await lookups.lookup('caller', '+6', 500)
    expect(crm.calls).toEqual(['+1', '+2', '+6'])
  })

  it('429: the plugin is left alone for Retry-After, and it does not trip the breaker', async () => {
    let now = 0
    let limited = true
    const crm = fakeCrm(async () => {
      if (limited) throw new RateLimitedError('429', 1000)
      return contact('Dana')
    })
    const lookups = service([crm.client], { now: () => now, cache: false, breaker: { failures: 1, openMs: 60_000 } })
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'error' })
    expect((await lookups.lookup('caller', '+2', 500)).plugins[0]).toMatchObject({ outcome: 'skipped', reason: 'rate limited by the CRM, retrying in 1 s' })
    expect(crm.calls).toHaveLength(1)
    now += 1000
    limited = false
    expect(await lookups.lookup('caller', '+3', 500)).toMatchObject({ outcome: 'found' })
  })

  it('circuit breaker: opens after consecutive failures, then lets one trial through', async () => {
    let failing = true
    const crm = fakeCrm(async () => {
      if (failing) throw new Error('500')
      return contact('Dana')
    })
    const lookups = service([crm.client], { cache: false, breaker: { failures: 3, openMs: 100 } })
    for (const value of ['+1', '+2', '+3']) expect((await lookups.lookup('caller', value, 500)).outcome).toBe('error')
    expect((await lookups.lookup('caller', '+4', 500)).plugins[0]).toMatchObject({ outcome: 'skipped', reason: 'circuit open after repeated failures' })
    expect(crm.calls).toHaveLength(3)
    await new Promise((resolve) => setTimeout(resolve, 120))
    failing = false
    expect(await lookups.lookup('caller', '+5', 500)).toMatchObject({ outcome: 'found' })
    expect(await lookups.lookup('caller', '+6', 500)).toMatchObject({ outcome: 'found' })
    expect(crm.calls).toHaveLength(5)
  })
})
