import * as v from 'valibot'
import { type CallLogEntry, type Contact, type ContactOwner, type CrmClient, definePlugin, RateLimitedError } from '../src/crm/plugin.ts'
import { setting } from '../src/lib/env-schema.ts'
import { nationalDialForm, nationalNumber } from '../src/lib/phone.ts'
import {
  type CompiledMapping,
  type HttpCrmConfig,
  type LookupRequest,
  PREFIX,
  parseHttpCrmConfig,
  SETTING_DESCRIPTIONS,
  type ValueRule,
} from './http-config.ts'
import { type PathStep, readPath, valuesFrom } from './http-template.ts'

/**
 * Any CRM with an HTTP API that answers JSON (an in-house system, the long tail): lookups by phone and PIN
 * from URL templates, the answer mapped onto the contact by paths, calls logged by a templated request.
 * Configured by HTTP_CRM_* variables or one JSON object (docs/crm-plugins.md#generic-http).
 *
 * A plain fetch and no client library: there is no vendor to have one, and the Worker bundle has no room.
 */
const settingsSchema = v.pipe(
  // Loose: HTTP_CRM_* secrets that headers and URLs name (${HTTP_CRM_API_TOKEN}) arrive here too.
  v.looseObject(
    Object.fromEntries(
      Object.entries(SETTING_DESCRIPTIONS).map(([key, description]) => [key, setting(v.optional(v.string()), description)]),
    ) as Record<
      keyof typeof SETTING_DESCRIPTIONS,
      v.SchemaWithPipe<readonly [v.OptionalSchema<v.StringSchema<undefined>, undefined>, v.DescriptionAction<string | undefined, string>]>
    >,
  ),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const parsed = parseHttpCrmConfig(dataset.value)
    if (parsed.ok) return parsed.config
    // Whole messages, each naming its variable or key: the chain prints them as they are.
    for (const problem of parsed.problems) addIssue({ message: problem })
    return NEVER
  }),
)

export const httpCrm = () =>
  definePlugin({
    id: 'http',
    version: '1.0.0',
    envPrefix: PREFIX,
    config: settingsSchema,
    setup({ config, fetch }): CrmClient {
      const lookup = async (request: LookupRequest, values: Record<string, string>, what: string, signal: AbortSignal) => {
        const response = await fetch(
          request.url.render((name) => values[name], encodeURIComponent),
          {
            method: config.method,
            headers: { accept: 'application/json', ...(request.body ? { 'content-type': 'application/json' } : {}), ...config.headers },
            body: request.body ? JSON.stringify(request.body.render((name) => values[name])) : undefined,
            signal,
          },
        )
        if (config.notFoundStatus.includes(response.status)) {
          await response.body?.cancel()
          return null
        }
        await refuseFailure(response, what)
        let answer: unknown
        try {
          answer = await response.json()
        } catch {
          throw new Error(`HTTP CRM ${what}: the answer is not JSON`)
        }
        return toContact(answer, config.mapping, what)
      }
      return {
        timeoutMs: config.timeoutMs,
        rateLimit: config.rateLimit ? { perSecond: config.rateLimit } : undefined,
        cache: config.cache,
        ...(config.phone
          ? {
              findByPhone: (phone: string, { signal }: { signal: AbortSignal }) =>
                lookup(config.phone as LookupRequest, phoneValues(phone), 'phone lookup', signal),
            }
          : {}),
        ...(config.pin
          ? {
              findByPin: (pin: string, { signal }: { signal: AbortSignal }) =>
                lookup(config.pin as LookupRequest, { pin }, 'PIN lookup', signal),
            }
          : {}),
        ...(config.log ? { logCall: (entry: CallLogEntry) => logCall(config, fetch, entry) } : {}),
      }
    },
  })

const phoneValues = (phone: string): Record<string, string> => ({
  phone,
  phone_digits: phone.replace(/^\+/, ''),
  phone_national: nationalNumber(phone) ?? phone.replace(/^\+/, ''),
  phone_local: nationalDialForm(phone) ?? phone.replace(/^\+/, ''),
})

const logCall = async (config: HttpCrmConfig, fetchImpl: typeof fetch, entry: CallLogEntry) => {
  const log = config.log as NonNullable<HttpCrmConfig['log']>
  const values = valuesFrom({
    ...entry,
    at: entry.at.toISOString(),
    durationSeconds: entry.durationMs === undefined ? undefined : Math.round(entry.durationMs / 1000),
  })
  const response = await fetchImpl(log.url.render(values, encodeURIComponent), {
    method: log.method,
    headers: { accept: 'application/json', 'content-type': 'application/json', ...config.headers },
    body: JSON.stringify(log.body.render(values)),
    // The outbox retries a call log that failed; one that hangs would hold its turn.
    signal: AbortSignal.timeout(config.logTimeoutMs),
  })
  await refuseFailure(response, 'call logging')
  await response.body?.cancel()
}

/** Throws for a 429 (typed, with how long to wait) and for any other answer that is not a success. */
const refuseFailure = async (response: Response, what: string) => {
  if (response.ok) return
  await response.body?.cancel()
  if (response.status === 429) {
    throw new RateLimitedError(`HTTP CRM ${what}: rate limited (429)`, retryAfterMs(response.headers.get('retry-after')))
  }
  throw new Error(`HTTP CRM ${what}: HTTP ${response.status}`)
}

/** Without a Retry-After, a second: most limits are per second, and the lookup service retries no sooner. */
const DEFAULT_RETRY_AFTER_MS = 1000

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export const retryAfterMs = (header: string | null, now = Date.now()): number => {
  const value = header?.trim()
  if (!value) return DEFAULT_RETRY_AFTER_MS
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(at - now, 0)
}

const Scalar = v.nullish(v.union([v.string(), v.number(), v.boolean()]))

const describePath = (steps: readonly PathStep[]) =>
  steps.map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`)).join('')

/** A mapped value as text; an array gives its first element (`emails` → the first email). */
const readText = (record: unknown, rule: ValueRule | undefined, what: string, key: string): string | undefined => {
  if (!rule) return undefined
  const parts = rule.flatMap((steps) => {
    let value = readPath(record, steps)
    if (Array.isArray(value)) value = value[0]
    const parsed = v.safeParse(Scalar, value)
    if (!parsed.success) throw new Error(`HTTP CRM ${what}: mapping.${key} (${describePath(steps)}) is not text, a number or true/false`)
    return parsed.output === null || parsed.output === undefined || parsed.output === '' ? [] : [String(parsed.output)]
  })
  return parts.length ? parts.join(' ') : undefined
}

const readTags = (record: unknown, steps: readonly PathStep[] | undefined): string[] => {
  if (!steps) return []
  const value = readPath(record, steps)
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : []
  return items.flatMap((item) => (typeof item === 'string' || typeof item === 'number' ? [String(item).trim()] : [])).filter(Boolean)
}

/** The contact in a CRM answer, or null when the answer holds nobody (no root, null, an empty list). */
export const toContact = (answer: unknown, mapping: CompiledMapping, what = 'lookup'): Contact | null => {
  let record = mapping.root ? readPath(answer, mapping.root) : answer
  if (Array.isArray(record)) record = record[0]
  if (record === null || record === undefined) return null
  if (typeof record !== 'object') throw new Error(`HTTP CRM ${what}: the answer's contact is not an object`)
  const id = readText(record, mapping.id, what, 'id')
  // Found, but without the one thing every contact has: the mapping does not fit the answer.
  if (!id) throw new Error(`HTTP CRM ${what}: the contact has no id at mapping.id`)
  const owner: ContactOwner = {}
  for (const [key, rule] of Object.entries(mapping.owner)) {
    const value = readText(record, rule, what, `owner.${key}`)
    if (value !== undefined) owner[key as keyof ContactOwner] = value
  }
  const fields: Record<string, string> = {}
  for (const [name, rule] of mapping.fields) {
    const value = readText(record, rule, what, `fields.${name}`)
    if (value !== undefined) fields[name] = value
  }
  const contact: Contact = {
    id,
    source: 'http',
    name: readText(record, mapping.name, what, 'name') ?? '',
    tags: readTags(record, mapping.tags),
    fields,
  }
  const company = readText(record, mapping.company, what, 'company')
  const segment = readText(record, mapping.segment, what, 'segment')
  const updatedAt = readText(record, mapping.updatedAt, what, 'updatedAt')
  if (company !== undefined) contact.company = company
  if (segment !== undefined) contact.segment = segment
  if (updatedAt !== undefined) contact.updatedAt = updatedAt
  if (Object.keys(owner).length) contact.owner = owner
  return contact
}
