import * as v from 'valibot'
import { type Contact, definePlugin, RateLimitedError } from '../../src/crm/plugin.ts'

/**
 * A CRM plugin that exists only here, to prove a new plugin is one definition and needs no edit in src/ or
 * plugins/: "Acme CRM" answers `GET /contacts?phone=` and `?account=` with `{contacts: [...]}`, and 429 with
 * Retry-After when it is asked too often.
 */
const AcmeContact = v.object({
  id: v.union([v.string(), v.number()]),
  fullName: v.string(),
  company: v.optional(v.string()),
  accountManager: v.optional(v.object({ name: v.string(), extension: v.optional(v.string()) })),
  balance: v.optional(v.number()),
})
const AcmeAnswer = v.object({ contacts: v.array(AcmeContact) })

export const acmeCrm = () =>
  definePlugin({
    id: 'acme-crm',
    version: '1.0.0',
    envPrefix: 'ACME_CRM_',
    config: v.object({
      url: v.pipe(v.string(), v.url('must be a URL')),
      apiKey: v.pipe(v.string(), v.minLength(8, 'must be at least 8 characters')),
    }),
    setup({ config, fetch }) {
      const find = async (query: string, signal: AbortSignal): Promise<Contact | null> => {
        const response = await fetch(`${config.url.replace(/\/+$/, '')}/contacts?${query}`, {
          headers: { 'x-api-key': config.apiKey },
          signal,
        })
        if (response.status === 429) {
          await response.body?.cancel()
          throw new RateLimitedError('Acme CRM: 429', Number(response.headers.get('retry-after') ?? '1') * 1000)
        }
        if (!response.ok) {
          await response.body?.cancel()
          throw new Error(`Acme CRM: HTTP ${response.status}`)
        }
        const parsed = v.safeParse(AcmeAnswer, await response.json())
        if (!parsed.success) throw new Error('Acme CRM: unexpected answer')
        const found = parsed.output.contacts[0]
        if (!found) return null
        return {
          id: String(found.id),
          source: 'acme-crm',
          name: found.fullName,
          company: found.company,
          owner: found.accountManager ? { name: found.accountManager.name, extension: found.accountManager.extension } : undefined,
          tags: [],
          fields: found.balance === undefined ? {} : { balance: String(found.balance) },
        }
      }
      return {
        timeoutMs: 800,
        findByPhone: (phone, { signal }) => find(`phone=${encodeURIComponent(phone)}`, signal),
        findByPin: (pin, { signal }) => find(`account=${encodeURIComponent(pin)}`, signal),
      }
    },
  })
