import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CrmClient } from '../../src/crm/plugin.ts'

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

export interface PluginContract {
  pluginId: string
  /** A client over a CRM that holds `known` and not `unknown`. */
  setup(): Promise<{ client: CrmClient; close(): Promise<void> }>
  known: { phone: string; pin: string; name: string }
  unknown: { phone: string; pin: string }
}

/** What every CRM plugin must do: the normalised contact shape, hits, misses, and PIN lookups. */
export const testCrmPluginContract = (contract: PluginContract) => {
  describe(`${contract.pluginId}: CRM plugin contract`, () => {
    let client: CrmClient
    let close: () => Promise<void>
    const options = () => ({ signal: new AbortController().signal })
    beforeAll(async () => {
      ;({ client, close } = await contract.setup())
    })
    afterAll(() => close())

    it('finds a known caller by E.164 number, in the normalised shape', async () => {
      const contact = await client.findByPhone?.(contract.known.phone, options())
      expect(v.safeParse(ContactSchema, contact).issues).toBeUndefined()
      expect(contact).toMatchObject({ source: contract.pluginId, name: contract.known.name })
    })

    it('answers null for an unknown number', async () => {
      expect(await client.findByPhone?.(contract.unknown.phone, options())).toBeNull()
    })

    it('finds the same contact by PIN', async () => {
      const byPhone = await client.findByPhone?.(contract.known.phone, options())
      const byPin = await client.findByPin?.(contract.known.pin, options())
      expect(v.safeParse(ContactSchema, byPin).issues).toBeUndefined()
      expect(byPin?.id).toBe(byPhone?.id)
    })

    it('answers null for an unknown PIN', async () => {
      expect(await client.findByPin?.(contract.unknown.pin, options())).toBeNull()
    })
  })
}
