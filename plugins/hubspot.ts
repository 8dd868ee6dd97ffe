import { Client } from '@hubspot/api-client'
import { LRUCache } from 'lru-cache'
import * as v from 'valibot'
import {
  type CallLogEntry,
  type CallOutcome,
  type Contact,
  type ContactOwner,
  callOutcome,
  definePlugin,
  ownerMap,
  RateLimitedError,
} from '../src/crm/plugin.ts'
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
      phoneProperties: setting(
        v.pipe(
          envList('phone,mobilephone'),
          v.minLength(1, 'name at least one property'),
          v.maxLength(MAX_PHONE_PROPERTIES, `at most ${MAX_PHONE_PROPERTIES} properties (two searches of HubSpot's 5 filter groups)`),
        ),
        "Contact properties holding a caller's number, comma-separated (e.g. add hs_whatsapp_phone_number). A search takes 5 of them, phone and mobilephone counting twice (their national-number copy); beyond that a lookup takes two searches.",
      ),
      defaultCountry: setting(envCountry('IL'), 'Country of numbers stored without an international prefix.'),
      timeoutMs: setting(envInteger(1200, 50), 'The longest one lookup may take (ms), so the next plugin in the chain still gets a turn.'),
      searchesPerSecond: setting(
        envInteger(5, 1),
        'CRM searches per second for the whole HubSpot account: HubSpot allows 5, shared by every app and token of the account, so lower it when other integrations search the same account.',
      ),
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
          ...config.phoneProperties,
          ...config.phoneProperties.flatMap((name) => CALCULATED_E164[name] ?? []),
          'hubspot_owner_id',
          'lastmodifieddate',
          config.segmentProperty,
          ...(config.tagsProperty ? [config.tagsProperty] : []),
          ...(config.pinProperty ? [config.pinProperty] : []),
          ...config.properties,
        ]),
      ]
      const ownerMapRows = ownerMap(db)
      const ownerCache = new LRUCache<string, { owner: HubSpotOwner | null }>({
        max: 1000,
        ttl: Math.max(config.ownerCacheSeconds, 1) * 1000,
      })

      // The groups are the same for every number, so so is the number of searches a lookup costs.
      const searchesPerLookup = Math.ceil(searchablePhoneGroups(config.phoneProperties).length / SEARCH_LIMITS.filterGroups)

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
        let row = await ownerMapRows.find(ownerId)
        let crmOwner: HubSpotOwner | null = null
        if (!row?.name || !row.email) {
          try {
            crmOwner = await withDeadline(() => ownerById(ownerId), config.ownerTimeoutMs)
          } catch (error) {
            // The contact is still worth routing on without the owner's name.
            log.warn('HubSpot owner lookup failed', { plugin: 'hubspot', ownerId, error: (error as Error).message })
          }
          if (!row && crmOwner?.email) row = await ownerMapRows.find(ownerId, crmOwner.email)
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

      /** A number HubSpot normalised itself (in the contact's country) counts, then the typed one read in ours. */
      const isCaller = (found: HubSpotContact, phone: string) =>
        config.phoneProperties.some((name) => {
          const calculated = CALCULATED_E164[name]
          if (calculated && found.properties[calculated] === phone) return true
          const stored = found.properties[name]
          return Boolean(stored) && toE164(stored as string, config.defaultCountry) === phone
        })

      const newest = (contacts: HubSpotContact[]) => contacts.sort((a, b) => (updatedAtOf(b) ?? '').localeCompare(updatedAtOf(a) ?? ''))[0]

      return {
        timeoutMs: config.timeoutMs,
        // The lookup service counts lookups; HubSpot counts searches.
        rateLimit: { perSecond: config.searchesPerSecond / searchesPerLookup },

        async findByPhone(phone) {
          const forms = phoneForms(phone)
          if (!forms) return null
          // HubSpot keeps phone properties as typed and indexes a national-number copy of phone and
          // mobilephone; ask for every form, then keep only records whose numbers really are this caller.
          const searches = chunk(phoneFilterGroups(config.phoneProperties, forms), SEARCH_LIMITS.filterGroups)
          const results = (await Promise.all(searches.map(search))).flat()
          const matching = results.filter((found) => isCaller(found, phone))
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
  operator: 'EQ' | 'IN'
  value?: string
  values?: string[]
}

/**
 * HubSpot's search limits: filter groups (ORed), filters in a group (ANDed), filters in all. A search over
 * them is refused with a 400. https://developers.hubspot.com/docs/guides/api/crm/search#filter-search-results
 */
export const SEARCH_LIMITS = { filterGroups: 5, filtersPerGroup: 6, filters: 18 }
/** Every phone property is a filter group of one filter: two searches' worth, national copies included. */
const MAX_PHONE_PROPERTIES = 8
/** The phone properties HubSpot indexes a national-number copy of ("501234567" for "050-123-4567"). */
const NATIONAL_COPY: Record<string, string> = {
  phone: 'hs_searchable_calculated_phone_number',
  mobilephone: 'hs_searchable_calculated_mobile_number',
}
/** HubSpot's own E.164 form of phone and mobilephone, read in the contact's country. */
const CALCULATED_E164: Record<string, string> = { phone: 'hs_calculated_phone_number', mobilephone: 'hs_calculated_mobile_number' }

interface PhoneForms {
  national: string
  /** E.164, E.164 without the plus, the domestic form with its trunk prefix ("0501234567"), the national number. */
  typed: string[]
}

const phoneForms = (phone: string): PhoneForms | undefined => {
  const national = nationalNumber(phone)
  if (!national) return undefined
  const typed = [phone, phone.slice(1), nationalDialForm(phone), national].filter((form): form is string => Boolean(form))
  return { national, typed: [...new Set(typed)] }
}

/** One filter per group, so a group never holds more than one filter and the groups are the only limit. */
const phoneFilterGroups = (phoneProperties: string[], forms: PhoneForms): Filter[][] => [
  ...phoneProperties.flatMap((name) => {
    const copy = NATIONAL_COPY[name]
    return copy ? [[{ propertyName: copy, operator: 'EQ' as const, value: forms.national }]] : []
  }),
  ...phoneProperties.map((name) => [{ propertyName: name, operator: 'IN' as const, values: forms.typed }]),
]

/** The groups for any number: how many searches a phone lookup takes. */
const searchablePhoneGroups = (phoneProperties: string[]) => phoneFilterGroups(phoneProperties, { national: '', typed: [] })

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size))

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

/**
 * A provider's final call status in HubSpot's hs_call_status options (BUSY, CALLING_CRM_USER, CANCELED,
 * COMPLETED, CONNECTING, FAILED, IN_PROGRESS, NO_ANSWER, QUEUED, RINGING; HubSpot's calls guide). Providers
 * name them their own way (Routee "NoAnswer", VoipNow "NO ANSWER", Twilio-style "no-answer"), so they are
 * compared as letters only. A call with no final status yet, or one that ended normally, is COMPLETED: the
 * IVR answered it, and the engagement is written once, so a status that is not final would stay on it.
 */
/** HubSpot's hs_call_status for each outcome (it has no voicemail status: the call did complete). */
const CALL_STATUS: Record<CallOutcome, string> = {
  completed: 'COMPLETED',
  busy: 'BUSY',
  no_answer: 'NO_ANSWER',
  failed: 'FAILED',
  canceled: 'CANCELED',
  voicemail: 'COMPLETED',
}

export const hubspotCallStatus = (status: string | undefined): string => CALL_STATUS[callOutcome(status)]

const callProperties = (entry: CallLogEntry): Record<string, string> => ({
  hs_timestamp: entry.at.toISOString(),
  hs_call_title: `${entry.direction === 'inbound' ? 'Inbound' : 'Outbound'} call routed by the IVR`,
  hs_call_direction: entry.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
  hs_call_status: hubspotCallStatus(entry.status),
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

/** Search's limit is per second, and its 429 says nothing more: the window it hit is over within a second. */
const SEARCH_PAUSE_MS = 1000
/** The daily limit resets at midnight in the account's time zone, which we cannot see; ask again now and then. */
const DAILY_PAUSE_MS = 10 * 60_000

/**
 * How long to leave HubSpot alone after a 429. HubSpot sends no Retry-After (honoured if a proxy adds one).
 * Search's 429 carries no headers at all: one second, as HubSpot's own client waits. The other endpoints'
 * 429 names its window in X-HubSpot-RateLimit-Interval-Milliseconds (10 s for the rolling limit), and the
 * daily limit says DAILY.
 */
const rateLimitPauseMs = (error: unknown): number => {
  const headers = (error as { headers?: Record<string, string> }).headers ?? {}
  const body = (error as { body?: { policyName?: unknown } }).body
  const retryAfter = Number(headers['retry-after'])
  if (retryAfter > 0) return retryAfter * 1000
  if (body?.policyName === 'DAILY' || headers['x-hubspot-ratelimit-daily-remaining'] === '0') return DAILY_PAUSE_MS
  const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds'])
  return interval > 0 ? interval : SEARCH_PAUSE_MS
}

/** Turns the client's ApiException into an error that says what failed and never carries the token. */
const hubspotError = (what: string, error: unknown): Error => {
  const status = statusOf(error)
  if (status === 429) return new RateLimitedError(`HubSpot ${what}: rate limited (429)`, rateLimitPauseMs(error))
  if (status !== undefined) {
    const body = (error as { body?: { category?: string; message?: string } }).body
    return new Error(`HubSpot ${what}: HTTP ${status}${body?.category ? ` ${body.category}` : ''}`)
  }
  return new Error(`HubSpot ${what}: ${(error as Error)?.message ?? String(error)}`)
}
