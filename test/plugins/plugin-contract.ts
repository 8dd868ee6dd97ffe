import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CallLogEntry, type Contact, type CrmClient, RateLimitedError } from '../../src/crm/plugin.ts'

const Text = v.pipe(v.string(), v.nonEmpty())
const ContactSchema = v.strictObject({
  id: Text,
  source: Text,
  name: v.string(),
  company: v.optional(v.string()),
  segment: v.optional(v.string()),
  tags: v.array(v.string()),
  fields: v.record(v.string(), v.string()),
  updatedAt: v.optional(v.string()),
  owner: v.optional(
    v.strictObject({
      id: v.optional(v.string()),
      name: v.optional(v.string()),
      email: v.optional(v.string()),
      extension: v.optional(v.string()),
      phone: v.optional(v.string()),
      layer: v.optional(v.string()),
    }),
  ),
})

/**
 * The switches of the fake CRM the plugin talks to; each check that needs one runs only when it is given.
 * A fake from test/helpers/fake-crm-server.ts (Node) or fakeCrmControl(url) (workerd) has them all but
 * `loggedCalls`, which only the test knows how to read from its fake.
 */
export interface ContractFake {
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext?(count: number, retryAfterSeconds: number): unknown
  /** The next `count` requests answer `status`. */
  failNext?(count: number, status: number): unknown
  /** The next `count` connections are cut before any answer. */
  dropNext?(count: number): unknown
  /** The next `count` requests are answered after `ms`. */
  delayNext?(count: number, ms: number): unknown
  /** How many requests the fake has received so far (to abort a lookup once its request is out). */
  requestCount?(): number | Promise<number>
  /** The calls the fake CRM holds as logged, so far. */
  loggedCalls?(): readonly unknown[] | Promise<readonly unknown[]>
}

export interface PluginContract {
  pluginId: string
  /** A client over a CRM that holds `known` (when given) and not `unknown`. */
  setup(): Promise<{ client: CrmClient; close(): Promise<void> }>
  /** A caller the CRM holds; leave it out for a plugin that finds nobody yet (a new one from `npm run plugin:new`). */
  known?: { phone: string; pin?: string; name: string }
  unknown: { phone: string; pin?: string }
  fake?: ContractFake
}

/** Long enough that a plugin ignoring its abort signal is caught still waiting for it. */
const SLOW_ANSWER_MS = 3_000

const expectRejection = async (promise: Promise<unknown> | undefined): Promise<unknown> => {
  const outcome = await Promise.resolve(promise).then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  )
  if (!outcome.rejected) return expect.unreachable(`expected a rejection, got ${JSON.stringify(outcome.value)}`)
  return outcome.error
}

/**
 * What every CRM plugin must do: the normalised contact shape, hits, misses (null, never a throw), PIN
 * lookups, and, against a fake with switches, the abort signal, 429s, server and network errors, and call
 * logging. Runs on Node and inside workerd (test/workers/*-plugin.test.ts).
 */
export const testCrmPluginContract = (contract: PluginContract) => {
  const { known, unknown, fake = {} } = contract
  describe(`${contract.pluginId}: CRM plugin contract`, () => {
    let client: CrmClient
    let close: () => Promise<void>
    const options = () => ({ signal: new AbortController().signal })
    /** The lookup the failure checks make: the known caller when there is one (so a fetch surely happens). */
    const aLookup = (signal: AbortSignal = new AbortController().signal) =>
      client.findByPhone?.(known?.phone ?? unknown.phone, { signal }) ?? Promise.resolve(null)
    beforeAll(async () => {
      ;({ client, close } = await contract.setup())
    })
    afterAll(() => close?.())

    it('looks callers up by phone', () => {
      expect(typeof client.findByPhone).toBe('function')
    })

    it.skipIf(!known)('finds a known caller by E.164 number, in the normalised shape', async () => {
      const contact = await client.findByPhone?.(known?.phone as string, options())
      expect(v.safeParse(ContactSchema, contact).issues).toBeUndefined()
      expect(contact).toMatchObject({ source: contract.pluginId, name: known?.name })
    })

    it('answers null for an unknown number, never a throw', async () => {
      expect(await client.findByPhone?.(unknown.phone, options())).toBeNull()
    })

    it.skipIf(!known?.pin)('finds the same contact by PIN', async () => {
      const byPhone = await client.findByPhone?.(known?.phone as string, options())
      const byPin = await client.findByPin?.(known?.pin as string, options())
      expect(v.safeParse(ContactSchema, byPin).issues).toBeUndefined()
      expect(byPin?.id).toBe(byPhone?.id)
    })

    it.skipIf(!unknown.pin)('answers null for an unknown PIN (when it looks PINs up)', async () => {
      if (!client.findByPin) return
      expect(await client.findByPin(unknown.pin as string, options())).toBeNull()
    })

    it.skipIf(!fake.delayNext)('stops, with a rejection, when the lookup signal is aborted', async () => {
      // The answer would come (with the contact) long after the abort: a plugin that resolves at all did not
      // pass the signal to its fetch.
      await fake.delayNext?.(1, SLOW_ANSWER_MS)
      const before = (await fake.requestCount?.()) ?? 0
      const controller = new AbortController()
      const lookup = aLookup(controller.signal)
      // Aborted once the request is at the fake (so the delay is used up), as a deadline passing would.
      for (let waited = 0; waited < SLOW_ANSWER_MS && fake.requestCount && (await fake.requestCount()) === before; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      controller.abort(new DOMException('the provider deadline passed', 'TimeoutError'))
      expect(await expectRejection(lookup)).toBeDefined()
    })

    // Gated on a fake: a plugin over the service's own database (local-directory) has nothing to abort.
    it.skipIf(!fake.delayNext)('does not start a lookup whose signal is already aborted', async () => {
      const aborted = new AbortController()
      aborted.abort(new DOMException('the provider deadline passed', 'TimeoutError'))
      expect(await expectRejection(aLookup(aborted.signal))).toBeDefined()
    })

    it.skipIf(!fake.rateLimitNext)('turns a 429 into RateLimitedError with at least the Retry-After', async () => {
      await fake.rateLimitNext?.(1, 7)
      const error = await expectRejection(aLookup())
      expect(error).toBeInstanceOf(RateLimitedError)
      expect((error as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(7_000)
    })

    it.skipIf(!fake.failNext)('throws an Error on a 5xx (not null: the answer is unknown, not "nobody")', async () => {
      await fake.failNext?.(1, 503)
      const error = await expectRejection(aLookup())
      expect(error).toBeInstanceOf(Error)
      expect(error).not.toBeInstanceOf(RateLimitedError)
    })

    it.skipIf(!fake.dropNext)('throws an Error when the connection fails', async () => {
      await fake.dropNext?.(1)
      expect(await expectRejection(aLookup())).toBeInstanceOf(Error)
    })

    it.skipIf(!fake.loggedCalls)('logCall delivers the entry to the CRM (when the plugin logs calls)', async () => {
      // A fake that records call logs is given only for a plugin that logs calls.
      expect(client.logCall, 'logCall').toBeTypeOf('function')
      if (!client.logCall) return
      const before = (await fake.loggedCalls?.())?.length ?? 0
      await client.logCall(await contractCallLog(client, known?.phone, contract.pluginId))
      expect((await fake.loggedCalls?.())?.length).toBe(before + 1)
    })

    it.skipIf(!fake.loggedCalls || !fake.rateLimitNext)('logCall turns a 429 into RateLimitedError, for the outbox to wait', async () => {
      // A fake that records call logs is given only for a plugin that logs calls.
      expect(client.logCall, 'logCall').toBeTypeOf('function')
      if (!client.logCall) return
      const entry = await contractCallLog(client, known?.phone, contract.pluginId)
      await fake.rateLimitNext?.(1, 7)
      const error = await expectRejection(client.logCall(entry))
      expect(error).toBeInstanceOf(RateLimitedError)
      expect((error as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(7_000)
    })

    it.skipIf(!fake.loggedCalls || !fake.failNext)('logCall throws on a 5xx, for the outbox to retry', async () => {
      // A fake that records call logs is given only for a plugin that logs calls.
      expect(client.logCall, 'logCall').toBeTypeOf('function')
      if (!client.logCall) return
      const entry = await contractCallLog(client, known?.phone, contract.pluginId)
      const before = (await fake.loggedCalls?.())?.length ?? 0
      await fake.failNext?.(1, 503)
      expect(await expectRejection(client.logCall(entry))).toBeInstanceOf(Error)
      expect((await fake.loggedCalls?.())?.length).toBe(before)
    })
  })
}

/** A finished inbound call from the known caller (as the plugin found them), or from a made-up contact. */
const contractCallLog = async (client: CrmClient, knownPhone: string | undefined, pluginId: string): Promise<CallLogEntry> => {
  const found = knownPhone ? await client.findByPhone?.(knownPhone, { signal: new AbortController().signal }) : null
  const contact: Contact = found ?? { id: 'contract-contact-1', source: pluginId, name: 'Contract Caller', tags: [], fields: {} }
  return {
    provider: 'voicenter',
    callId: `contract-call-${Math.random().toString(36).slice(2)}`,
    contact,
    direction: 'inbound',
    from: knownPhone ?? '+972501234567',
    to: '+972722776772',
    at: new Date('2026-11-23T08:00:00Z'),
    summary: 'Rule "VIP to owner" dialled extension 101',
    durationMs: 42_000,
    status: 'completed',
  }
}
