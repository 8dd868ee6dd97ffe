import { Client } from '@hubspot/api-client'
import { eq, or, sql } from 'drizzle-orm'
import { LRUCache } from 'lru-cache'
import * as v from 'valibot'
import { type CallLogEntry, type Contact, type ContactOwner, definePlugin, owners, RateLimitedError } from '../src/crm/plugin.ts'
import { withDeadline } from '../src/lib/deadline.ts'
import { envCountry, envFlag, envInteger, envList, envText, setting } from '../src/lib/env-schema.ts'
import { nationalDialForm, nationalNumber, toE164 } from '../src/lib/phone.ts'

/**
 * HubSpot CRM: finds callers by phone (the forms HubSpot actually stores) or by a PIN / account-number
 * property, resolves the contact owner, and logs calls as call engagements.
 *
 * Settings come from HUBSPOT_* environment variables; a private app needs the scopes
 * crm.objects.contacts.read, crm.objects.owners.read and (to log calls) crm.objects.contacts.write.
 */
export const hubspot = () =>
  definePlugin({
    id: 'hubspot',
    version: '1.0.0',
    envPrefix: 'HUBSPOT_',
    config: v.object({
      accessToken: setting(
        v.pipe(v.string('HUBSPOT_ACCESS_TOKEN is required (a private app token)'), v.trim(), v.nonEmpty()),
        'A private app token (required).',
      ),
      baseUrl: setting(v.pipe(envText('https://api.hubapi.com'), v.url('must be a URL')), "HubSpot's API (tests point it at a fake)."),
      properties: setting(
        envList('company,email,lifecyclestage'),
        "Extra contact properties to read, comma-separated; they become the contact's free fields.",
      ),
      pinProperty: setting(
        v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
        'The contact property holding the PIN / account number callers type; unset = no PIN lookups.',
      ),
      segmentProperty: setting(envText('hs_lead_status'), "The contact property that is the contact's segment."),
      tagsProperty: setting(
        v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
        'A multi-select property whose values (separated by ;) become tags.',
      ),
      defaultCountry: setting(envCountry('IL'), 'Country of numbers stored without an international prefix.'),
      timeoutMs: setting(envInteger(1200, 50), 'The longest one lookup may take (ms), so the next plugin in the chain still gets a turn.'),
      searchesPerSecond: setting(envInteger(4, 1), 'CRM searches per second (HubSpot allows 4 per token).'),
      ownerTimeoutMs: setting(envInteger(400, 50), "The longest reading a contact's owner may take (ms)."),
      ownerCacheSeconds: setting(envInteger(3600, 0), 'Seconds owners are kept in memory.'),
      logCalls: setting(envFlag(true), 'Log each call on the contact as a HubSpot call engagement.'),
    }),
    setup({ config, db, log }) {
      // No limiterOptions and no retries: the client's limiter queues, and its retry sleeps 10 s on a 429;
      // neither may run while a caller waits. Rate limits and retries are handled by the lookup service
      // and the outbox instead.
      const client = new Client({ accessToken: config.accessToken, basePath: config.baseUrl, numberOfApiCallRetries: 0 })
      const properties = [
        ...new Set([
          'firstname',
          'lastname',
          'phone',
          'mobilephone',
          'hubspot_owner_id',
          'lastmodifieddate',
          config.segmentProperty,
          ...(config.tagsProperty ? [config.tagsProperty] : []),
          ...(config.pinProperty ? [config.pinProperty] : []),
          ...config.properties,
        ]),
      ]
      const ownerMapRow = db
        .select()
        .from(owners)
        .where(or(eq(owners.crmOwnerId, sql.placeholder('id')), eq(owners.email, sql.placeholder('email'))))
        .limit(1)
        .prepare()
      const ownerCache = new LRUCache<string, { owner: HubSpotOwner | null }>({
        max: 1000,
        ttl: Math.max(config.ownerCacheSeconds, 1) * 1000,
      })

      const search = async (filterGroups: Filter[][]): Promise<HubSpotContact[]> => {
        try {
          const response = await client.crm.contacts.searchApi.doSearch({
            filterGroups: filterGroups.map((filters) => ({ filters })) as never,
            properties,
            limit: 10,
          })
          return response.results as HubSpotContact[]
        } catch (error) {
          throw hubspotError('contact search', error)
        }
      }

      const ownerById = async (id: string): Promise<HubSpotOwner | null> => {
        const cached = ownerCache.get(id)
        if (cached) return cached.owner
        try {
          const found = await client.crm.owners.ownersApi.getById(Number(id), 'id', false)
          const owner = { id: String(found.id), email: found.email, firstName: found.firstName, lastName: found.lastName }
          ownerCache.set(id, { owner })
          return owner
        } catch (error) {
          if (statusOf(error) === 404) {
            ownerCache.set(id, { owner: null })
            return null
          }
          throw hubspotError('owner lookup', error)
        }
      }

      /** HubSpot has no owner phone: the owner map in SQLite says how to reach them. */
      const ownerOf = async (ownerId: string | null | undefined): Promise<ContactOwner | undefined> => {
        if (!ownerId) return undefined
        let row = await ownerMapRow.get({ id: ownerId, email: null })
        let crmOwner: HubSpotOwner | null = null
        if (!row?.name || !row.email) {
          try {
            crmOwner = await withDeadline(() => ownerById(ownerId), config.ownerTimeoutMs)
          } catch (error) {
            // The contact is still worth routing on without the owner's name.
            log.warn('HubSpot owner lookup failed', { plugin: 'hubspot', ownerId, error: (error as Error).message })
          }
          if (!row && crmOwner?.email) row = await ownerMapRow.get({ id: ownerId, email: crmOwner.email })
        }
        const name = [crmOwner?.firstName, crmOwner?.lastName].filter(Boolean).join(' ')
        return {
          id: ownerId,
          name: row?.name || name || undefined,
          email: row?.email || crmOwner?.email || undefined,
          extension: row?.extension ?? undefined,
          phone: row?.phone ?? undefined,
          layer: row?.layer ?? undefined,
        }
      }

      const toContact = async (found: HubSpotContact): Promise<Contact> => {
        const props = found.properties
        const fields: Record<string, string> = {}
        for (const name of config.properties) {
          const value = props[name]
          if (value !== null && value !== undefined && value !== '') fields[name] = value
        }
        const name = [props.firstname, props.lastname].filter(Boolean).join(' ') || props.email || props.phone || ''
        return {
          id: found.id,
          source: 'hubspot',
          name,
          company: props.company || undefined,
          segment: props[config.segmentProperty] || undefined,
          tags: config.tagsProperty
            ? (props[config.tagsProperty] ?? '')
                .split(';')
                .map((tag) => tag.trim())
                .filter(Boolean)
            : [],
          fields,
          updatedAt: updatedAtOf(found),
          owner: await ownerOf(props.hubspot_owner_id),
        }
      }

      const newest = (contacts: HubSpotContact[]) => contacts.sort((a, b) => (updatedAtOf(b) ?? '').localeCompare(updatedAtOf(a) ?? ''))[0]

      return {
        timeoutMs: config.timeoutMs,
        rateLimit: { perSecond: config.searchesPerSecond },

        async findByPhone(phone) {
          const national = nationalNumber(phone)
          if (!national) return null
          // HubSpot keeps phone/mobilephone as typed and indexes a national-number copy; ask for every form,
          // then keep only records whose numbers really are this caller in E.164.
          // People also type domestic numbers with the trunk prefix ("0501234567").
          const dialled = nationalDialForm(phone)
          const results = await search([
            [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: national }],
            [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'EQ', value: national }],
            [{ propertyName: 'phone', operator: 'EQ', value: phone }],
            [{ propertyName: 'mobilephone', operator: 'EQ', value: phone }],
            ...(dialled && dialled !== national ? [[{ propertyName: 'phone', operator: 'EQ', value: dialled }]] : []),
          ])
          const matching = results.filter((found) =>
            [found.properties.phone, found.properties.mobilephone].some(
              (stored) => stored && toE164(stored, config.defaultCountry) === phone,
            ),
          )
          const best = newest(matching)
          return best ? toContact(best) : null
        },

        ...(config.pinProperty
          ? {
              async findByPin(pin: string) {
                const clean = pin.replace(/[^0-9A-Za-z-]/g, '')
                if (!clean) return null
                const results = await search([[{ propertyName: config.pinProperty as string, operator: 'EQ', value: clean }]])
                if (results.length > 1) {
                  log.warn('several HubSpot contacts share one PIN; the newest is used', { plugin: 'hubspot', count: results.length })
                }
                const best = newest(results)
                return best ? toContact(best) : null
              },
            }
          : {}),

        ...(config.logCalls
          ? {
              async logCall(entry: CallLogEntry) {
                try {
                  await client.crm.objects.calls.basicApi.create({
                    properties: callProperties(entry),
                    associations: [
                      {
                        to: { id: entry.contact.id },
                        // 194: call → contact, HubSpot-defined.
                        types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }],
                      },
                    ] as never,
                  })
                } catch (error) {
                  throw hubspotError('call logging', error)
                }
              },
            }
          : {}),
      }
    },
  })

interface Filter {
  propertyName: string
  operator: string
  value: string
}

interface HubSpotContact {
  id: string
  properties: Record<string, string | null | undefined>
  updatedAt?: Date | string
}

interface HubSpotOwner {
  id: string
  email?: string
  firstName?: string
  lastName?: string
}

const callProperties = (entry: CallLogEntry): Record<string, string> => ({
  hs_timestamp: entry.at.toISOString(),
  hs_call_title: `${entry.direction === 'inbound' ? 'Inbound' : 'Outbound'} call routed by the IVR`,
  hs_call_direction: entry.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
  hs_call_status: 'COMPLETED',
  hs_call_from_number: entry.from,
  hs_call_to_number: entry.to,
  hs_call_body: entry.summary,
  ...(entry.durationMs !== undefined ? { hs_call_duration: String(Math.round(entry.durationMs)) } : {}),
  ...(entry.contact.owner?.id ? { hubspot_owner_id: entry.contact.owner.id } : {}),
})

const updatedAtOf = (found: HubSpotContact): string | undefined => {
  const value = found.updatedAt ?? found.properties.lastmodifieddate
  if (!value) return undefined
  return value instanceof Date ? value.toISOString() : String(value)
}

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'number' ? code : undefined
}

/** Turns the client's ApiException into an error that says what failed and never carries the token. */
const hubspotError = (what: string, error: unknown): Error => {
  const status = statusOf(error)
  if (status === 429) {
    const headers = (error as { headers?: Record<string, string> }).headers ?? {}
    const retryAfter = Number(headers['retry-after'])
    const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds'])
    const retryAfterMs = retryAfter > 0 ? retryAfter * 1000 : interval > 0 ? interval : 1000
    return new RateLimitedError(`HubSpot ${what}: rate limited (429)`, retryAfterMs)
  }
  if (status !== undefined) {
    const body = (error as { body?: { category?: string; message?: string } }).body
    return new Error(`HubSpot ${what}: HTTP ${status}${body?.category ? ` ${body.category}` : ''}`)
  }
  return new Error(`HubSpot ${what}: ${(error as Error)?.message ?? String(error)}`)
}
