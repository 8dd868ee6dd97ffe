import { describe, expect, it } from 'vitest'
import { createLookupService, type LookupServiceOptions } from '../../src/crm/lookup-service.ts'
import { type Contact, type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'
import { DeadlineError } from '../../src/lib/deadline.ts'
import type { LookupResult } from '../../src/model/call-event.ts'

// ---------------------------------------------------------------------------------------------------------------
// Fakes: the CRM plugins are the outside world, so they are plain CrmClient objects that count their calls.
// ---------------------------------------------------------------------------------------------------------------

const contact = (id: string, name = id, source = 'fake'): Contact => ({ id, source, name, tags: [], fields: {} })

type Answer = (value: string, signal: AbortSignal) => Promise<Contact | null>

interface FakeOptions extends Omit<CrmClient, 'findByPhone' | 'findByPin'> {
  phone?: Answer
  pin?: Answer
}

/** A CRM the test controls: what it answers, which lookups it was asked, and the signals it was given. */
const fakeCrm = ({ phone, pin, ...extra }: FakeOptions) => {
  const phoneCalls: string[] = []
  const pinCalls: string[] = []
  const signals: AbortSignal[] = []
  const client: CrmClient = { ...extra }
  if (phone) {
    client.findByPhone = (value, { signal }) => {
      phoneCalls.push(value)
      signals.push(signal)
      return phone(value, signal)
    }
  }
  if (pin) {
    client.findByPin = (value, { signal }) => {
      pinCalls.push(value)
      signals.push(signal)
      return pin(value, signal)
    }
  }
  return { client, calls: phoneCalls, phoneCalls, pinCalls, signals }
}

/** A CRM that can look up by phone only. */
const crm = (answer: Answer, extra: Omit<FakeOptions, 'phone' | 'pin'> = {}) => fakeCrm({ phone: answer, ...extra })

const finds =
  (found: Contact): Answer =>
  async () =>
    found
const misses: Answer = async () => null
const fails =
  (message = 'CRM down'): Answer =>
  async () => {
    throw new Error(message)
  }
/** Never answers, and ignores its signal (like clients that cannot be aborted). */
const hangs: Answer = () => new Promise<never>(() => {})
const rateLimited =
  (retryAfterMs: number): Answer =>
  async () => {
    throw new RateLimitedError('429', retryAfterMs)
  }
const answersAfter =
  (ms: number, answer: Contact | null): Answer =>
  () =>
    new Promise((resolve) => setTimeout(() => resolve(answer), ms))

const deferred = <T>() => {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A clock the test moves by hand (wall-clock `now` for cache ages, or monotonic `clock`). */
const manualClock = (start: number) => {
  let at = start
  return {
    read: () => at,
    advance: (ms: number) => {
      at += ms
    },
  }
}

const service = (clients: CrmClient[], options: Omit<Partial<LookupServiceOptions>, 'chain'> = {}) =>
  createLookupService({ chain: clients.map((client, index) => ({ id: `crm-${index + 1}`, client })), ...options })

const outcomes = (result: LookupResult) => result.plugins.map(({ plugin, outcome }) => `${plugin}:${outcome}`)

// ---------------------------------------------------------------------------------------------------------------

describe('lookup service: chain order', () => {
  it('the first plugin that finds answers; later plugins are not asked; misses fall through', async () => {
    const dana = contact('c-2', 'Dana')
    const first = crm(misses)
    const second = crm(finds(dana))
    const third = crm(finds(contact('c-3', 'Never')))
    const result = await service([first.client, second.client, third.client], { cache: false }).lookup('caller', '+15550001', 500)

    expect(result).toEqual({
      key: 'caller',
      outcome: 'found',
      contact: dana,
      plugins: [
        { plugin: 'crm-1', outcome: 'not_found', ms: expect.any(Number) },
        { plugin: 'crm-2', outcome: 'found', ms: expect.any(Number) },
      ],
      ms: expect.any(Number),
    })
    expect(result.contact).toBe(dana)
    expect(first.calls).toEqual(['+15550001'])
    expect(second.calls).toEqual(['+15550001'])
    expect(third.calls).toEqual([])
  })

  it('when the first plugin finds, it is the only one listed', async () => {
    const first = crm(finds(contact('c-1', 'Dana')))
    const second = crm(finds(contact('c-2', 'Other')))
    const result = await service([first.client, second.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result.contact?.id).toBe('c-1')
    expect(outcomes(result)).toEqual(['crm-1:found'])
    expect(second.calls).toEqual([])
  })

  it('every plugin missing is not_found, with every plugin listed and no reason', async () => {
    const first = crm(misses)
    const second = crm(misses)
    const result = await service([first.client, second.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result.outcome).toBe('not_found')
    expect(result.reason).toBeUndefined()
    expect(result.contact).toBeUndefined()
    expect(outcomes(result)).toEqual(['crm-1:not_found', 'crm-2:not_found'])
    expect([first.calls, second.calls]).toEqual([['+1'], ['+1']])
  })

  it('uses the chain ids given, in chain order', async () => {
    const local = crm(misses)
    const hubspot = crm(finds(contact('h-1')))
    const lookups = createLookupService({
      chain: [
        { id: 'local-directory', client: local.client },
        { id: 'hubspot', client: hubspot.client },
      ],
      cache: false,
    })
    expect(outcomes(await lookups.lookup('caller', '+1', 500))).toEqual(['local-directory:not_found', 'hubspot:found'])
  })

  it('a pin is looked up with findByPin, a caller with findByPhone', async () => {
    const both = fakeCrm({ phone: finds(contact('by-phone')), pin: finds(contact('by-pin')) })
    const lookups = service([both.client], { cache: false })

    const byPin = await lookups.lookup('pin', '1234', 500)
    expect(byPin).toMatchObject({ key: 'pin', outcome: 'found', contact: { id: 'by-pin' } })
    expect(both.pinCalls).toEqual(['1234'])
    expect(both.phoneCalls).toEqual([])

    const byPhone = await lookups.lookup('caller', '+15550001', 500)
    expect(byPhone).toMatchObject({ key: 'caller', outcome: 'found', contact: { id: 'by-phone' } })
    expect(both.phoneCalls).toEqual(['+15550001'])
    expect(both.pinCalls).toEqual(['1234'])
  })

  it('a plugin without the capability is passed over and not listed', async () => {
    const phoneOnly = crm(finds(contact('phone-only')))
    const pinToo = fakeCrm({ phone: misses, pin: finds(contact('pin-owner')) })
    const result = await service([phoneOnly.client, pinToo.client], { cache: false }).lookup('pin', '42', 500)
    expect(result).toMatchObject({ outcome: 'found', contact: { id: 'pin-owner' } })
    expect(outcomes(result)).toEqual(['crm-2:found'])
    expect(phoneOnly.calls).toEqual([])
  })

  it('no plugin able to look up by the key is not_found with a reason, asking nobody', async () => {
    const phoneOnly = crm(finds(contact('x')))
    const pinOnly = fakeCrm({ pin: finds(contact('y')) })

    expect(await service([phoneOnly.client], { cache: false }).lookup('pin', '1234', 500)).toEqual({
      key: 'pin',
      outcome: 'not_found',
      reason: 'no plugin can look up by pin',
      plugins: [],
      ms: expect.any(Number),
    })
    expect(await service([pinOnly.client], { cache: false }).lookup('caller', '+1', 500)).toMatchObject({
      outcome: 'not_found',
      reason: 'no plugin can look up by caller',
      plugins: [],
    })
    expect(await service([], { cache: false }).lookup('caller', '+1', 500)).toMatchObject({
      outcome: 'not_found',
      reason: 'no plugin can look up by caller',
    })
    expect(phoneOnly.calls).toEqual([])
    expect(pinOnly.pinCalls).toEqual([])
  })

  it('times each plugin and the whole chain on the monotonic clock, rounded to 0.01 ms', async () => {
    const clock = manualClock(1000)
    const first = crm(async () => {
      clock.advance(12.3456)
      return null
    })
    const second = crm(async () => {
      clock.advance(1.5)
      return contact('c-2')
    })
    const result = await service([first.client, second.client], { cache: false, clock: clock.read }).lookup('caller', '+1', 500)
    expect(result.plugins).toEqual([
      { plugin: 'crm-1', outcome: 'not_found', ms: 12.35 },
      { plugin: 'crm-2', outcome: 'found', ms: 1.5 },
    ])
    expect(result.ms).toBe(13.85)
  })

  it('hands the plugin an AbortSignal that stays unaborted when it answers in time', async () => {
    const fast = crm(finds(contact('c-1')))
    await service([fast.client], { cache: false }).lookup('caller', '+1', 60)
    await sleep(90)
    expect(fast.signals).toHaveLength(1)
    expect(fast.signals[0]).toBeInstanceOf(AbortSignal)
    expect(fast.signals[0]?.aborted).toBe(false)
  })
})

describe('lookup service: nothing to look up', () => {
  it('an undefined caller is not_found at once, asking no plugin', async () => {
    const any = fakeCrm({ phone: finds(contact('x')), pin: finds(contact('y')) })
    const lookups = service([any.client])
    expect(await lookups.lookup('caller', undefined, 500)).toEqual({
      key: 'caller',
      outcome: 'not_found',
      plugins: [],
      ms: 0,
      reason: 'caller id withheld or not a number',
    })
    expect(await lookups.lookup('caller', '', 500)).toMatchObject({ outcome: 'not_found', reason: 'caller id withheld or not a number' })
    expect([any.phoneCalls, any.pinCalls]).toEqual([[], []])
  })

  it('an empty pin is not_found at once, asking no plugin', async () => {
    const any = fakeCrm({ phone: finds(contact('x')), pin: finds(contact('y')) })
    const lookups = service([any.client])
    expect(await lookups.lookup('pin', '', 500)).toEqual({ key: 'pin', outcome: 'not_found', plugins: [], ms: 0, reason: 'nothing typed' })
    expect(await lookups.lookup('pin', undefined, 500)).toMatchObject({ outcome: 'not_found', reason: 'nothing typed' })
    expect([any.phoneCalls, any.pinCalls]).toEqual([[], []])
  })
})

describe('lookup service: errors', () => {
  it('a throwing plugin followed by one that finds is found, with the error recorded', async () => {
    const failing = crm(fails('HubSpot 503'))
    const finding = crm(finds(contact('c-2', 'Dana')))
    const result = await service([failing.client, finding.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result).toEqual({
      key: 'caller',
      outcome: 'found',
      contact: contact('c-2', 'Dana'),
      plugins: [
        { plugin: 'crm-1', outcome: 'error', ms: expect.any(Number), reason: 'HubSpot 503', kind: 'error' },
        { plugin: 'crm-2', outcome: 'found', ms: expect.any(Number) },
      ],
      ms: expect.any(Number),
    })
  })

  it("a throwing plugin alone is an error carrying the plugin's message", async () => {
    const failing = crm(fails('HubSpot 503'))
    const result = await service([failing.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: 'crm-1: HubSpot 503',
      plugins: [{ plugin: 'crm-1', outcome: 'error', ms: expect.any(Number), reason: 'HubSpot 503', kind: 'error' }],
      ms: expect.any(Number),
    })
    expect(failing.calls).toEqual(['+1'])
  })

  it('an error then a miss is error (unknown), not not_found', async () => {
    const failing = crm(fails('HubSpot 503'))
    const missing = crm(misses)
    const result = await service([failing.client, missing.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result.outcome).toBe('error')
    expect(result.reason).toBe('crm-1: HubSpot 503')
    expect(outcomes(result)).toEqual(['crm-1:error', 'crm-2:not_found'])
    expect(missing.calls).toEqual(['+1'])
  })

  it('a miss then an error is error too, and several failures are all named', async () => {
    const missing = crm(misses)
    const a = crm(fails('timeout talking to A'))
    const b = crm(async () => {
      throw 'B said no' // not an Error
    })
    const result = await service([missing.client, a.client, b.client], { cache: false }).lookup('caller', '+1', 500)
    expect(result.outcome).toBe('error')
    expect(result.reason).toBe('crm-2: timeout talking to A; crm-3: B said no')
    expect(result.plugins[2]).toMatchObject({ plugin: 'crm-3', outcome: 'error', reason: 'B said no', kind: 'error' })
  })
})

describe('lookup service: deadlines', () => {
  it('a hung plugin costs no more than the deadline; later plugins are skipped', async () => {
    const hung = crm(hangs)
    const next = crm(finds(contact('c-2')))
    const started = performance.now()
    const result = await service([hung.client, next.client], { cache: false }).lookup('caller', '+1', 100)
    const elapsed = performance.now() - started

    expect(elapsed).toBeGreaterThanOrEqual(95)
    expect(elapsed).toBeLessThan(100 + 80)
    expect(result).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: 'crm-1: no answer within 100 ms; crm-2: deadline reached',
      plugins: [
        { plugin: 'crm-1', outcome: 'error', ms: expect.any(Number), reason: 'no answer within 100 ms', kind: 'timeout' },
        { plugin: 'crm-2', outcome: 'skipped', ms: expect.any(Number), reason: 'deadline reached', kind: 'timeout' },
      ],
      ms: expect.any(Number),
    })
    expect(next.calls).toEqual([])
  })

  it("a plugin's own timeoutMs leaves the rest of the deadline to the next plugin", async () => {
    const slow = crm(hangs, { timeoutMs: 50 })
    const next = crm(finds(contact('c-2', 'Dana')))
    // Asked at all proves the slow one left it time: without its own timeout it would use the whole 300 ms.
    const result = await service([slow.client, next.client], { cache: false }).lookup('caller', '+1', 300)

    expect(result).toMatchObject({ outcome: 'found', contact: { name: 'Dana' } })
    expect(result.reason).toBeUndefined()
    expect(result.plugins).toEqual([
      { plugin: 'crm-1', outcome: 'error', ms: expect.any(Number), reason: 'no answer within 50 ms', kind: 'timeout' },
      { plugin: 'crm-2', outcome: 'found', ms: expect.any(Number) },
    ])
    expect(result.plugins[0]?.ms).toBeGreaterThanOrEqual(45)
    expect(result.plugins[0]?.ms).toBeLessThan(300)
    expect(next.calls).toEqual(['+1'])
  })

  it('a timeoutMs longer than what is left of the deadline is cut to the deadline', async () => {
    const slow = crm(hangs, { timeoutMs: 5_000 })
    const next = crm(finds(contact('c-2')))
    const started = performance.now()
    const result = await service([slow.client, next.client], { cache: false }).lookup('caller', '+1', 80)
    expect(performance.now() - started).toBeLessThan(80 + 80)
    expect(result.plugins).toMatchObject([
      { plugin: 'crm-1', outcome: 'error', reason: 'no answer within 80 ms', kind: 'timeout' },
      { plugin: 'crm-2', outcome: 'skipped', reason: 'deadline reached', kind: 'timeout' },
    ])
    expect(next.calls).toEqual([])
  })

  it('the signal given to the plugin is aborted at its budget, not before', async () => {
    const slow = crm(hangs, { timeoutMs: 80 })
    const pending = service([slow.client], { cache: false }).lookup('caller', '+1', 1_000)
    await sleep(30)
    const signal = slow.signals[0]
    expect(signal?.aborted).toBe(false)
    const result = await pending
    expect(result.plugins[0]).toMatchObject({ outcome: 'error', reason: 'no answer within 80 ms', kind: 'timeout' })
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toBeInstanceOf(DeadlineError)
    expect((signal?.reason as Error | undefined)?.message).toBe('no answer within 80 ms')
  })

  it('a later plugin only gets what is left of the deadline (driven monotonic clock)', async () => {
    const clock = manualClock(0)
    const first = crm(async () => {
      clock.advance(300)
      return null
    })
    const hung = crm(hangs)
    const result = await service([first.client, hung.client], { cache: false, clock: clock.read }).lookup('caller', '+1', 360)
    expect(result.plugins).toEqual([
      { plugin: 'crm-1', outcome: 'not_found', ms: 300 },
      { plugin: 'crm-2', outcome: 'error', ms: 0, reason: 'no answer within 60 ms', kind: 'timeout' },
    ])
    expect(result).toMatchObject({ outcome: 'error', reason: 'crm-2: no answer within 60 ms', ms: 300 })
    expect(hung.signals[0]?.aborted).toBe(true)
  })

  it('a plugin answering after the deadline has passed leaves the rest skipped', async () => {
    const clock = manualClock(0)
    const late = crm(async () => {
      clock.advance(600)
      return null
    })
    const next = crm(finds(contact('c-2')))
    const result = await service([late.client, next.client], { cache: false, clock: clock.read }).lookup('caller', '+1', 500)
    expect(result.plugins).toEqual([
      { plugin: 'crm-1', outcome: 'not_found', ms: 600 },
      { plugin: 'crm-2', outcome: 'skipped', ms: 0, reason: 'deadline reached', kind: 'timeout' },
    ])
    expect(result).toMatchObject({ outcome: 'error', reason: 'crm-2: deadline reached' })
    expect(next.calls).toEqual([])
  })

  it('a zero deadline asks nobody', async () => {
    const any = crm(finds(contact('c-1')))
    const result = await service([any.client], { cache: false }).lookup('caller', '+1', 0)
    expect(result).toMatchObject({ outcome: 'error', reason: 'crm-1: deadline reached' })
    expect(outcomes(result)).toEqual(['crm-1:skipped'])
    expect(any.calls).toEqual([])
  })

  it('a lookup joining a slower one keeps its own deadline', async () => {
    const slow = crm(answersAfter(150, contact('c-1', 'Dana')))
    const lookups = service([slow.client], { cache: false })
    const leader = lookups.lookup('caller', '+1', 1_000)
    const started = performance.now()
    const joiner = await lookups.lookup('caller', '+1', 50)
    expect(performance.now() - started).toBeLessThan(50 + 60)
    expect(joiner).toEqual({ key: 'caller', outcome: 'error', plugins: [], ms: expect.any(Number), reason: 'no answer within 50 ms' })
    expect(await leader).toMatchObject({ outcome: 'found', contact: { name: 'Dana' } })
    expect(slow.calls).toEqual(['+1'])
  })
})

describe('lookup service: cache', () => {
  const settings = { hitTtlMs: 1_000, missTtlMs: 100, errorTtlMs: 50, staleMs: 10_000, maxEntries: 100 }

  /** One caching plugin whose answer the test can change, and a wall clock it moves by hand. */
  const cached = (initial: Answer, extra: Omit<FakeOptions, 'phone' | 'pin'> = {}) => {
    const wall = manualClock(1_700_000_000_000)
    let answer = initial
    const fake = crm((value, signal) => answer(value, signal), extra)
    const lookups = service([fake.client], { now: wall.read, cache: settings })
    return {
      fake,
      lookups,
      advance: wall.advance,
      answer: (next: Answer) => {
        answer = next
      },
    }
  }

  /** Collects what the service hands to `background`. */
  const backgroundTasks = () => {
    const tasks: Promise<unknown>[] = []
    return { tasks, background: (task: Promise<unknown>) => void tasks.push(task) }
  }

  it('a hit is served fresh from the cache, without asking, until hitTtlMs', async () => {
    const dana = contact('c-1', 'Dana')
    const { fake, lookups, advance } = cached(finds(dana))
    const { tasks, background } = backgroundTasks()

    const first = await lookups.lookup('caller', '+1', 500, { background })
    expect(first.cache).toBeUndefined()
    expect(outcomes(first)).toEqual(['crm-1:found'])

    advance(999)
    expect(await lookups.lookup('caller', '+1', 500, { background })).toEqual({
      key: 'caller',
      outcome: 'found',
      contact: dana,
      cache: 'fresh',
      plugins: [],
      ms: expect.any(Number),
    })
    expect(fake.calls).toEqual(['+1'])
    expect(tasks).toEqual([])
  })

  it('after hitTtlMs a hit is served stale at once and refreshed in the background', async () => {
    const { fake, lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    advance(1_000)

    const refresh = deferred<Contact | null>()
    answer(() => refresh.promise)
    const { tasks, background } = backgroundTasks()
    const stale = await lookups.lookup('caller', '+1', 500, { background })
    // Answered while the CRM has not replied yet.
    expect(stale).toEqual({
      key: 'caller',
      outcome: 'found',
      contact: contact('c-1', 'Dana'),
      cache: 'stale',
      plugins: [],
      ms: expect.any(Number),
    })
    expect(fake.calls).toEqual(['+1', '+1'])
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toBeInstanceOf(Promise)

    refresh.resolve(contact('c-1', 'Dana Cohen'))
    await tasks[0]
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', outcome: 'found', contact: { name: 'Dana Cohen' } })
    expect(fake.calls).toHaveLength(2)
  })

  it('stale lookups while a refresh is running share that refresh', async () => {
    const { fake, lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    advance(1_500)
    const refresh = deferred<Contact | null>()
    answer(() => refresh.promise)
    const { tasks, background } = backgroundTasks()
    const results = await Promise.all([1, 2, 3].map(() => lookups.lookup('caller', '+1', 500, { background })))
    expect(results.map((result) => result.cache)).toEqual(['stale', 'stale', 'stale'])
    expect(fake.calls).toHaveLength(2)
    refresh.resolve(contact('c-1', 'Dana Cohen'))
    await Promise.all(tasks)
    expect((await lookups.lookup('caller', '+1', 500)).contact?.name).toBe('Dana Cohen')
  })

  it('without a background option the stale refresh still runs', async () => {
    const { fake, lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    advance(1_500)
    answer(finds(contact('c-1', 'Dana Cohen')))
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'stale', contact: { name: 'Dana' } })
    await sleep(0)
    expect(fake.calls).toHaveLength(2)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', contact: { name: 'Dana Cohen' } })
  })

  it('a miss is believed for missTtlMs only; then the lookup waits for the CRM (a miss is never served stale)', async () => {
    const { fake, lookups, advance, answer } = cached(misses)
    expect((await lookups.lookup('caller', '+1', 500)).outcome).toBe('not_found')
    advance(99)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'not_found', cache: 'fresh', plugins: [] })
    expect(fake.calls).toHaveLength(1)

    // missTtlMs is far below hitTtlMs and staleMs: a contact created since then is found by the very next call.
    advance(1)
    answer(finds(contact('c-new', 'New Customer')))
    const { tasks, background } = backgroundTasks()
    const expired = await lookups.lookup('caller', '+1', 500, { background })
    expect(expired).toMatchObject({ outcome: 'found', contact: { name: 'New Customer' } })
    expect(expired.cache).toBeUndefined()
    expect(outcomes(expired)).toEqual(['crm-1:found'])
    expect(tasks).toEqual([])
    expect(fake.calls).toHaveLength(2)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'found', cache: 'fresh', contact: { name: 'New Customer' } })
  })

  it('an expired miss stays unserved however long ago it was stored, up to staleMs and beyond', async () => {
    const { fake, lookups, advance } = cached(misses)
    await lookups.lookup('caller', '+1', 500)
    for (const step of [100, 3_600, 5_000]) {
      advance(step)
      const again = await lookups.lookup('caller', '+1', 500)
      expect(again).toMatchObject({ outcome: 'not_found' })
      expect(again.cache).toBeUndefined()
    }
    expect(fake.calls).toHaveLength(4)
  })

  it('an error is remembered for errorTtlMs without asking, then the CRM is asked again', async () => {
    const { fake, lookups, advance, answer } = cached(fails('HubSpot 503'))
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'error', reason: 'crm-1: HubSpot 503' })
    expect(fake.calls).toHaveLength(1)

    advance(49)
    expect(await lookups.lookup('caller', '+1', 500)).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: 'crm-1: HubSpot 503',
      cache: 'fresh',
      plugins: [],
      ms: expect.any(Number),
    })
    expect(fake.calls).toHaveLength(1)

    advance(1)
    answer(finds(contact('c-1', 'Dana')))
    const { tasks, background } = backgroundTasks()
    // A remembered failure is not served stale: the lookup waits for the CRM.
    const again = await lookups.lookup('caller', '+1', 500, { background })
    expect(again).toMatchObject({ outcome: 'found', contact: { name: 'Dana' } })
    expect(again.cache).toBeUndefined()
    expect(outcomes(again)).toEqual(['crm-1:found'])
    expect(tasks).toEqual([])
    expect(fake.calls).toHaveLength(2)
  })

  it('a failed refresh keeps the good entry, and the CRM is not asked again until errorTtlMs', async () => {
    const { fake, lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    advance(1_500)
    answer(fails('HubSpot 503'))
    const { tasks, background } = backgroundTasks()
    expect(await lookups.lookup('caller', '+1', 500, { background })).toMatchObject({ cache: 'stale', contact: { name: 'Dana' } })
    await Promise.all(tasks)
    expect(fake.calls).toHaveLength(2)

    // Within errorTtlMs: the good contact, without asking the failing CRM.
    advance(49)
    const kept = await lookups.lookup('caller', '+1', 500)
    expect(kept).toMatchObject({ outcome: 'found', contact: { name: 'Dana' }, plugins: [] })
    expect(kept.reason).toBeUndefined()
    expect(fake.calls).toHaveLength(2)

    // After errorTtlMs: served stale again and refreshed.
    advance(1)
    answer(finds(contact('c-1', 'Dana Cohen')))
    const retry = backgroundTasks()
    expect(await lookups.lookup('caller', '+1', 500, { background: retry.background })).toMatchObject({
      outcome: 'found',
      cache: 'stale',
      contact: { name: 'Dana' },
    })
    expect(fake.calls).toHaveLength(3)
    await Promise.all(retry.tasks)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', contact: { name: 'Dana Cohen' } })
  })

  it('a failure after a miss expired is an error (the CRM may hold the caller by now), remembered for errorTtlMs', async () => {
    const { fake, lookups, advance, answer } = cached(misses)
    await lookups.lookup('caller', '+1', 500)
    advance(150)
    answer(fails('HubSpot 503'))
    const { tasks, background } = backgroundTasks()
    const failed = await lookups.lookup('caller', '+1', 500, { background })
    expect(failed).toMatchObject({ outcome: 'error', reason: 'crm-1: HubSpot 503' })
    expect(failed.cache).toBeUndefined()
    expect(tasks).toEqual([])
    expect(fake.calls).toHaveLength(2)

    // The failure is remembered, not the old miss: the outage is not asked again on every call.
    advance(49)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'error', cache: 'fresh', plugins: [] })
    expect(fake.calls).toHaveLength(2)
    advance(1)
    answer(misses)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'not_found' })
    expect(fake.calls).toHaveLength(3)
  })

  it('an entry is served stale up to staleMs after it was stored, and forgotten from then on', async () => {
    const { fake, lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    await lookups.lookup('caller', '+2', 500)
    advance(9_999)
    answer(finds(contact('c-1', 'Dana Cohen')))
    const { tasks, background } = backgroundTasks()
    expect(await lookups.lookup('caller', '+1', 500, { background })).toMatchObject({ cache: 'stale', contact: { name: 'Dana' } })
    await Promise.all(tasks)

    advance(1) // +2 is now staleMs old
    const gone = await lookups.lookup('caller', '+2', 500, { background })
    expect(gone).toMatchObject({ outcome: 'found', contact: { name: 'Dana Cohen' } })
    expect(gone.cache).toBeUndefined()
    expect(outcomes(gone)).toEqual(['crm-1:found'])
    expect(tasks).toHaveLength(1)
    expect(fake.calls).toEqual(['+1', '+2', '+1', '+2'])
  })

  it('past staleMs the lookup waits for the CRM', async () => {
    const { lookups, advance, answer } = cached(finds(contact('c-1', 'Dana')))
    await lookups.lookup('caller', '+1', 500)
    advance(20_000)
    const refresh = deferred<Contact | null>()
    answer(() => refresh.promise)
    let settled = false
    const pending = lookups.lookup('caller', '+1', 500).then((result) => {
      settled = true
      return result
    })
    await sleep(20)
    expect(settled).toBe(false)
    refresh.resolve(contact('c-1', 'Dana Cohen'))
    expect(await pending).toMatchObject({ outcome: 'found', contact: { name: 'Dana Cohen' } })
  })

  it('caller and pin lookups of the same digits are cached apart', async () => {
    const both = fakeCrm({ phone: finds(contact('by-phone')), pin: finds(contact('by-pin')) })
    const lookups = service([both.client], { now: () => 0, cache: settings })
    await lookups.lookup('caller', '1234', 500)
    expect(await lookups.lookup('pin', '1234', 500)).toMatchObject({ contact: { id: 'by-pin' } })
    expect(await lookups.lookup('caller', '1234', 500)).toMatchObject({ cache: 'fresh', contact: { id: 'by-phone' } })
    expect(await lookups.lookup('pin', '1234', 500)).toMatchObject({ cache: 'fresh', contact: { id: 'by-pin' } })
    expect([both.phoneCalls, both.pinCalls]).toEqual([['1234'], ['1234']])
  })

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const fake = crm(async (value) => contact(value))
    const lookups = service([fake.client], { now: () => 0, cache: { ...settings, maxEntries: 2 } })
    for (const value of ['+1', '+2', '+3']) await lookups.lookup('caller', value, 500)
    expect((await lookups.lookup('caller', '+3', 500)).cache).toBe('fresh')
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBeUndefined()
    expect(fake.calls).toEqual(['+1', '+2', '+3', '+1'])
  })

  it('a chain of only cache: false plugins asks the plugin every time', async () => {
    const local = crm(finds(contact('c-1')), { cache: false })
    const lookups = service([local.client], { cache: settings })
    const results = [await lookups.lookup('caller', '+1', 500), await lookups.lookup('caller', '+1', 500)]
    expect(results.map((result) => result.cache)).toEqual([undefined, undefined])
    expect(results.map(outcomes)).toEqual([['crm-1:found'], ['crm-1:found']])
    expect(local.calls).toEqual(['+1', '+1'])
  })

  it('the cache is on when any plugin of the chain allows it', async () => {
    const local = crm(misses, { cache: false })
    const remote = crm(finds(contact('c-1')))
    const lookups = service([local.client, remote.client], { cache: settings })
    await lookups.lookup('caller', '+1', 500)
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ cache: 'fresh', contact: { id: 'c-1' } })
    expect([local.calls, remote.calls]).toEqual([['+1'], ['+1']])
  })

  it('a contact found by a cache: false plugin behind a caching one is not cached: its edits show on the next call', async () => {
    const remote = crm(misses)
    const local = crm(finds(contact('c-1', 'Dana')), { cache: false })
    const lookups = service([remote.client, local.client], { cache: settings })
    await lookups.lookup('caller', '+1', 500)
    local.calls.length = 0
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ contact: { name: 'Dana' } })
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBeUndefined()
    expect(local.calls).toEqual(['+1', '+1'])
  })

  it('cache: false in the options turns it off for caching plugins too', async () => {
    const remote = crm(finds(contact('c-1')))
    const lookups = service([remote.client], { cache: false })
    await lookups.lookup('caller', '+1', 500)
    expect((await lookups.lookup('caller', '+1', 500)).cache).toBeUndefined()
    expect(remote.calls).toEqual(['+1', '+1'])
  })

  it('an unusable key is not cached and asks nobody even with the cache on', async () => {
    const remote = crm(finds(contact('c-1')))
    const lookups = service([remote.client], { cache: settings })
    await lookups.lookup('caller', undefined, 500)
    expect(await lookups.lookup('caller', undefined, 500)).toMatchObject({
      outcome: 'not_found',
      reason: 'caller id withheld or not a number',
    })
    expect((await lookups.lookup('caller', undefined, 500)).cache).toBeUndefined()
    expect(remote.calls).toEqual([])
  })
})

describe('lookup service: singleflight', () => {
  it('20 concurrent lookups of one number make one CRM call and all get the contact', async () => {
    const answer = deferred<Contact | null>()
    const fake = crm(() => answer.promise)
    const lookups = service([fake.client])
    const pending = Array.from({ length: 20 }, () => lookups.lookup('caller', '+1', 500))
    await sleep(5)
    expect(fake.calls).toEqual(['+1'])
    const dana = contact('c-1', 'Dana')
    answer.resolve(dana)
    const results = await Promise.all(pending)
    expect(results).toHaveLength(20)
    for (const result of results) {
      expect(result.outcome).toBe('found')
      expect(result.contact).toBe(dana)
    }
    expect(fake.calls).toEqual(['+1'])
  })

  it('shares the call with the cache off too, and asks again once it settled', async () => {
    const fake = crm(answersAfter(20, contact('c-1')))
    const lookups = service([fake.client], { cache: false })
    const results = await Promise.all(Array.from({ length: 5 }, () => lookups.lookup('caller', '+1', 500)))
    expect(results.map((result) => result.outcome)).toEqual(['found', 'found', 'found', 'found', 'found'])
    expect(fake.calls).toEqual(['+1'])
    await lookups.lookup('caller', '+1', 500)
    expect(fake.calls).toEqual(['+1', '+1'])
  })

  it('different numbers make separate calls', async () => {
    const fake = crm(async (value) => {
      await sleep(20)
      return contact(`id${value}`)
    })
    const lookups = service([fake.client])
    const values = ['+1', '+2', '+3']
    const results = await Promise.all(values.flatMap((value) => [1, 2, 3, 4].map(() => lookups.lookup('caller', value, 500))))
    expect([...fake.calls].sort()).toEqual(values)
    expect(results.map((result) => result.contact?.id)).toEqual(values.flatMap((value) => Array(4).fill(`id${value}`)))
  })

  it('a failing shared call fails every lookup that joined it, with one CRM call', async () => {
    const answer = deferred<Contact | null>()
    const fake = crm(() => answer.promise)
    const lookups = service([fake.client])
    const pending = Array.from({ length: 10 }, () => lookups.lookup('caller', '+1', 500))
    answer.reject(new Error('HubSpot 503'))
    const results = await Promise.all(pending)
    expect(new Set(results.map((result) => `${result.outcome} ${result.reason}`))).toEqual(new Set(['error crm-1: HubSpot 503']))
    expect(fake.calls).toEqual(['+1'])
  })
})

describe('lookup service: rate limit', () => {
  const limit = "over 2 lookups/s, the CRM's limit"

  it('over the token bucket the plugin is skipped at once, and tokens come back with time', async () => {
    const clock = manualClock(0)
    const fake = crm(misses, { rateLimit: { perSecond: 2, burst: 2 } })
    const lookups = service([fake.client], { cache: false, clock: clock.read })

    const burst = await Promise.all(['+1', '+2', '+3', '+4', '+5'].map((value) => lookups.lookup('caller', value, 500)))
    expect(fake.calls).toEqual(['+1', '+2'])
    expect(burst.map((result) => result.outcome)).toEqual(['not_found', 'not_found', 'error', 'error', 'error'])
    expect(burst[4]).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: `crm-1: ${limit}`,
      plugins: [{ plugin: 'crm-1', outcome: 'skipped', ms: 0, reason: limit, kind: 'rate_limited' }],
      ms: 0,
    })

    clock.advance(499)
    expect((await lookups.lookup('caller', '+6', 500)).plugins[0]?.outcome).toBe('skipped')
    clock.advance(1) // half a second: one token at 2/s
    expect(outcomes(await lookups.lookup('caller', '+7', 500))).toEqual(['crm-1:not_found'])
    expect(outcomes(await lookups.lookup('caller', '+8', 500))).toEqual(['crm-1:skipped'])
    expect(fake.calls).toEqual(['+1', '+2', '+7'])

    clock.advance(10_000) // refills to the burst, no further
    for (const value of ['+9', '+10', '+11']) await lookups.lookup('caller', value, 500)
    expect(fake.calls).toEqual(['+1', '+2', '+7', '+9', '+10'])
  })

  it('the burst defaults to perSecond', async () => {
    const clock = manualClock(0)
    const fake = crm(misses, { rateLimit: { perSecond: 3 } })
    const lookups = service([fake.client], { cache: false, clock: clock.read })
    await Promise.all(['+1', '+2', '+3', '+4', '+5'].map((value) => lookups.lookup('caller', value, 500)))
    expect(fake.calls).toEqual(['+1', '+2', '+3'])
  })

  it('a rate-limited plugin is passed over for the next one in the chain', async () => {
    const clock = manualClock(0)
    const limited = crm(misses, { rateLimit: { perSecond: 1, burst: 1 } })
    const backup = crm(finds(contact('b-1')))
    const lookups = service([limited.client, backup.client], { cache: false, clock: clock.read })
    await lookups.lookup('caller', '+1', 500)
    const result = await lookups.lookup('caller', '+2', 500)
    expect(result).toMatchObject({ outcome: 'found', contact: { id: 'b-1' } })
    expect(result.plugins).toEqual([
      { plugin: 'crm-1', outcome: 'skipped', ms: 0, reason: "over 1 lookups/s, the CRM's limit", kind: 'rate_limited' },
      { plugin: 'crm-2', outcome: 'found', ms: 0 },
    ])
    expect(limited.calls).toEqual(['+1'])
  })

  it('with real time, more calls are let through after a pause', async () => {
    const fake = crm(misses, { rateLimit: { perSecond: 5, burst: 2 } })
    const lookups = service([fake.client], { cache: false })
    await Promise.all(['+1', '+2', '+3', '+4', '+5'].map((value) => lookups.lookup('caller', value, 500)))
    expect(fake.calls).toHaveLength(2)
    await sleep(450) // > 2 tokens at 5/s
    await Promise.all(['+6', '+7', '+8'].map((value) => lookups.lookup('caller', value, 500)))
    expect(fake.calls).toEqual(['+1', '+2', '+6', '+7'])
  })
})

describe('lookup service: 429 from the CRM', () => {
  it('the plugin is left alone for retryAfterMs (wall clock), then asked again', async () => {
    const wall = manualClock(1_700_000_000_000)
    let answer: Answer = rateLimited(1_000)
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, now: wall.read })

    expect(await lookups.lookup('caller', '+1', 500)).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: 'crm-1: 429',
      plugins: [{ plugin: 'crm-1', outcome: 'error', ms: expect.any(Number), reason: '429', kind: 'rate_limited' }],
      ms: expect.any(Number),
    })
    answer = finds(contact('c-1'))

    const paused = await lookups.lookup('caller', '+2', 500)
    expect(paused).toMatchObject({ outcome: 'error', reason: 'crm-1: rate limited by the CRM, retrying in 1 s' })
    expect(paused.plugins).toMatchObject([
      { plugin: 'crm-1', outcome: 'skipped', reason: 'rate limited by the CRM, retrying in 1 s', kind: 'rate_limited' },
    ])
    wall.advance(999)
    expect((await lookups.lookup('caller', '+3', 500)).plugins[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'rate limited by the CRM, retrying in 1 s',
      kind: 'rate_limited',
    })
    expect(fake.calls).toEqual(['+1'])

    wall.advance(1)
    expect(await lookups.lookup('caller', '+4', 500)).toMatchObject({ outcome: 'found', contact: { id: 'c-1' } })
    expect(fake.calls).toEqual(['+1', '+4'])
  })

  it('says how many whole seconds are left', async () => {
    const wall = manualClock(0)
    const fake = crm(rateLimited(2_500))
    const lookups = service([fake.client], { cache: false, now: wall.read })
    await lookups.lookup('caller', '+1', 500)
    expect((await lookups.lookup('caller', '+2', 500)).plugins[0]?.reason).toBe('rate limited by the CRM, retrying in 3 s')
    wall.advance(600)
    expect((await lookups.lookup('caller', '+3', 500)).plugins[0]?.reason).toBe('rate limited by the CRM, retrying in 2 s')
    expect(fake.calls).toEqual(['+1'])
  })

  it('the next plugin in the chain is asked while one is paused', async () => {
    const wall = manualClock(0)
    const limited = crm(rateLimited(1_000))
    const backup = crm(finds(contact('b-1')))
    const lookups = service([limited.client, backup.client], { cache: false, now: wall.read })
    expect(await lookups.lookup('caller', '+1', 500)).toMatchObject({ outcome: 'found', contact: { id: 'b-1' } })
    const second = await lookups.lookup('caller', '+2', 500)
    expect(outcomes(second)).toEqual(['crm-1:skipped', 'crm-2:found'])
    expect(limited.calls).toEqual(['+1'])
    expect(backup.calls).toEqual(['+1', '+2'])
  })

  it('429s do not open the circuit', async () => {
    const wall = manualClock(0)
    let answer: Answer = rateLimited(100)
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, now: wall.read, breaker: { failures: 2, openMs: 60_000 } })
    for (const value of ['+1', '+2', '+3']) {
      expect((await lookups.lookup('caller', value, 500)).plugins[0]).toMatchObject({
        outcome: 'error',
        reason: '429',
        kind: 'rate_limited',
      })
      wall.advance(100)
    }
    answer = finds(contact('c-1'))
    expect(await lookups.lookup('caller', '+4', 500)).toMatchObject({ outcome: 'found' })
    expect(fake.calls).toEqual(['+1', '+2', '+3', '+4'])
  })
})

describe('lookup service: circuit breaker', () => {
  const open = 'circuit open after repeated failures'

  it('opens after consecutive failures and skips the plugin without calling it', async () => {
    const fake = crm(fails('HubSpot 500'))
    const lookups = service([fake.client], { cache: false, breaker: { failures: 3, openMs: 200 } })
    for (const value of ['+1', '+2', '+3']) {
      expect((await lookups.lookup('caller', value, 500)).plugins[0]).toMatchObject({
        outcome: 'error',
        reason: 'HubSpot 500',
        kind: 'error',
      })
    }
    const skipped = await lookups.lookup('caller', '+4', 500)
    expect(skipped).toEqual({
      key: 'caller',
      outcome: 'error',
      reason: `crm-1: ${open}`,
      plugins: [{ plugin: 'crm-1', outcome: 'skipped', ms: expect.any(Number), reason: open, kind: 'circuit_open' }],
      ms: expect.any(Number),
    })
    expect((await lookups.lookup('caller', '+5', 500)).plugins[0]?.reason).toBe(open)
    expect(fake.calls).toEqual(['+1', '+2', '+3'])
  })

  it('after openMs one trial is let through, and its success closes the circuit', async () => {
    let answer: Answer = fails('HubSpot 500')
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, breaker: { failures: 3, openMs: 200 } })
    for (const value of ['+1', '+2', '+3']) await lookups.lookup('caller', value, 500)
    answer = finds(contact('c-1'))
    await sleep(100)
    expect((await lookups.lookup('caller', '+4', 500)).plugins[0]?.reason).toBe(open)
    await sleep(130)
    expect(await lookups.lookup('caller', '+5', 500)).toMatchObject({ outcome: 'found', contact: { id: 'c-1' } })
    expect(await lookups.lookup('caller', '+6', 500)).toMatchObject({ outcome: 'found' })
    expect(fake.calls).toEqual(['+1', '+2', '+3', '+5', '+6'])
  })

  it('a failed trial opens the circuit again for openMs', async () => {
    let answer: Answer = fails('HubSpot 500')
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, breaker: { failures: 2, openMs: 100 } })
    for (const value of ['+1', '+2']) await lookups.lookup('caller', value, 500)
    await sleep(120)
    expect((await lookups.lookup('caller', '+3', 500)).plugins[0]).toMatchObject({ outcome: 'error', reason: 'HubSpot 500', kind: 'error' })
    expect((await lookups.lookup('caller', '+4', 500)).plugins[0]).toMatchObject({ outcome: 'skipped', reason: open, kind: 'circuit_open' })
    expect(fake.calls).toEqual(['+1', '+2', '+3'])
    answer = finds(contact('c-1'))
    await sleep(120)
    expect((await lookups.lookup('caller', '+5', 500)).outcome).toBe('found')
    expect(fake.calls).toEqual(['+1', '+2', '+3', '+5'])
  })

  it('only one trial reaches the CRM while the circuit is half-open', async () => {
    let answer: Answer = fails('HubSpot 500')
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, breaker: { failures: 1, openMs: 50 } })
    await lookups.lookup('caller', '+1', 500)
    await sleep(70)
    answer = async () => {
      await sleep(30)
      throw new Error('still down')
    }
    const [trial, other] = await Promise.all([lookups.lookup('caller', '+2', 500), lookups.lookup('caller', '+3', 500)])
    expect(trial.plugins[0]).toMatchObject({ outcome: 'error', reason: 'still down', kind: 'error' })
    expect(other.plugins[0]).toMatchObject({ outcome: 'skipped', reason: open, kind: 'circuit_open' })
    expect(fake.calls).toEqual(['+1', '+2'])
  })

  it('a success resets the count of consecutive failures', async () => {
    let answer: Answer = fails()
    const fake = crm((value, signal) => answer(value, signal))
    const lookups = service([fake.client], { cache: false, breaker: { failures: 3, openMs: 60_000 } })
    await lookups.lookup('caller', '+1', 500)
    await lookups.lookup('caller', '+2', 500)
    answer = misses
    await lookups.lookup('caller', '+3', 500)
    answer = fails()
    await lookups.lookup('caller', '+4', 500)
    await lookups.lookup('caller', '+5', 500)
    expect((await lookups.lookup('caller', '+6', 500)).plugins[0]).toMatchObject({ outcome: 'error', reason: 'CRM down', kind: 'error' })
    expect((await lookups.lookup('caller', '+7', 500)).plugins[0]).toMatchObject({ outcome: 'skipped', reason: open, kind: 'circuit_open' })
    expect(fake.calls).toEqual(['+1', '+2', '+3', '+4', '+5', '+6'])
  })

  it('timeouts count as failures', async () => {
    const fake = crm(hangs, { timeoutMs: 20 })
    const lookups = service([fake.client], { cache: false, breaker: { failures: 2, openMs: 60_000 } })
    for (const value of ['+1', '+2']) {
      expect((await lookups.lookup('caller', value, 500)).plugins[0]).toMatchObject({
        outcome: 'error',
        reason: 'no answer within 20 ms',
        kind: 'timeout',
      })
    }
    expect((await lookups.lookup('caller', '+3', 500)).plugins[0]).toMatchObject({ outcome: 'skipped', reason: open, kind: 'circuit_open' })
    expect(fake.calls).toEqual(['+1', '+2'])
  })

  it("one plugin's open circuit leaves the others in the chain alone", async () => {
    const broken = crm(fails())
    const backup = crm(finds(contact('b-1')))
    const lookups = service([broken.client, backup.client], { cache: false, breaker: { failures: 1, openMs: 60_000 } })
    await lookups.lookup('caller', '+1', 500)
    const result = await lookups.lookup('caller', '+2', 500)
    expect(result).toMatchObject({ outcome: 'found', contact: { id: 'b-1' } })
    expect(result.plugins).toMatchObject([
      { plugin: 'crm-1', outcome: 'skipped', reason: open, kind: 'circuit_open' },
      { plugin: 'crm-2', outcome: 'found' },
    ])
    expect(broken.calls).toEqual(['+1'])
    expect(backup.calls).toEqual(['+1', '+2'])
  })

  it('an open circuit does not spend the rate limit', async () => {
    const clock = manualClock(0)
    let answer: Answer = fails()
    const fake = crm((value, signal) => answer(value, signal), { rateLimit: { perSecond: 1, burst: 2 } })
    const lookups = service([fake.client], { cache: false, clock: clock.read, breaker: { failures: 1, openMs: 150 } })
    await lookups.lookup('caller', '+1', 500) // 1 token left
    for (const value of ['+2', '+3', '+4']) {
      expect((await lookups.lookup('caller', value, 500)).plugins[0]?.reason).toBe(open)
    }
    expect(fake.calls).toEqual(['+1'])
    answer = finds(contact('c-1'))
    // openUntil is on the injected clock, cockatiel's half-open time on the real one: wait for both.
    await sleep(170)
    clock.advance(1_000) // + 1 token: 2, the burst
    for (const value of ['+5', '+6', '+7']) await lookups.lookup('caller', value, 500)
    expect(fake.calls).toEqual(['+1', '+5', '+6'])
  })
})

describe('lookup service: deadlines hold in corner cases', () => {
  it('a plugin that throws before returning a promise is an error, and no timer fires later', async () => {
    const unhandled: unknown[] = []
    const listener = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      const client: CrmClient = {
        findByPhone: () => {
          throw new Error('no token')
        },
      }
      const result = await createLookupService({ chain: [{ id: 'sync', client }], cache: false }).lookup('caller', '+1', 50)
      expect(result).toMatchObject({ outcome: 'error', reason: 'sync: no token' })
      await new Promise((resolve) => setTimeout(resolve, 120))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })

  it("waiting for a half-open breaker's trial counts toward the deadline", async () => {
    let failing = true
    const client: CrmClient = {
      findByPhone: async () => {
        if (failing) throw new Error('down')
        await new Promise((resolve) => setTimeout(resolve, 80))
        return null
      },
    }
    const lookups = createLookupService({ chain: [{ id: 'crm', client }], cache: false, breaker: { failures: 1, openMs: 50 } })
    await lookups.lookup('caller', '+1', 100)
    await new Promise((resolve) => setTimeout(resolve, 70))
    failing = false
    const started = performance.now()
    await Promise.all([lookups.lookup('caller', '+2', 100), lookups.lookup('caller', '+3', 100)])
    expect(performance.now() - started).toBeLessThan(140)
  })
})
