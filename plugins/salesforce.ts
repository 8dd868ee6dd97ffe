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
import { envCountry, envFlag, envInteger, envList, envSecret, envText, setting } from '../src/lib/env-schema.ts'
import { describeIssues } from '../src/lib/issues.ts'
import { nationalDialForm, toE164 } from '../src/lib/phone.ts'
import { importPrivateKey, requestSession, type SalesforceLogin, type SalesforceSession, type SigningKey } from './salesforce-auth.ts'
import { isFieldName, phoneSearch, selectWhereEquals } from './salesforce-query.ts'

/**
 * Salesforce: finds callers among Contacts (and, when configured, Leads and Accounts) by phone through SOSL
 * over phone fields, or by a PIN / account number field through SOQL; the owner comes from the record's
 * owner (a User, with its Extension) or the service's owner map; calls are logged as completed call Tasks.
 *
 * A small fetch client rather than jsforce or another SDK: they bring Node's http/stream stack and far more
 * than the four endpoints used here (token, search, query, create), which the Worker bundle budget cannot
 * hold. Every answer is checked with valibot instead.
 */
export const salesforce = () =>
  definePlugin({
    id: 'salesforce',
    version: '1.0.0',
    envPrefix: 'SALESFORCE_',
    config: v.pipe(
      v.object({
        loginUrl: setting(
          v.pipe(envText('https://login.salesforce.com'), v.url('must be a URL')),
          'Where tokens are asked for: https://login.salesforce.com, https://test.salesforce.com (sandboxes) or your My Domain (needed for client credentials); tests point it at a fake.',
        ),
        clientId: setting(
          v.pipe(v.string('SALESFORCE_CLIENT_ID is required (the connected app consumer key)'), v.trim(), v.nonEmpty()),
          "The connected app's consumer key (required).",
        ),
        clientSecret: setting(envSecret(), "The connected app's consumer secret: client credentials flow (the app's run-as user)."),
        privateKey: setting(
          envSecret(),
          'JWT bearer flow: the PKCS#8 PEM private key whose certificate is uploaded to the connected app (\\n for line breaks is fine).',
        ),
        username: setting(
          v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
          'JWT bearer flow: the username of the integration user (pre-authorised for the app).',
        ),
        audience: setting(
          v.optional(v.pipe(v.string(), v.trim(), v.url('must be a URL'))),
          "JWT bearer flow: the JWT's aud, https://login.salesforce.com or https://test.salesforce.com; default the login URL.",
        ),
        apiVersion: setting(
          v.pipe(envText('62.0'), v.regex(/^\d{2,3}\.0$/, 'must be an API version like 62.0')),
          'The REST API version used.',
        ),
        objects: setting(
          v.pipe(
            envList('Contact'),
            v.minLength(1, 'name at least one object'),
            v.check((list) => list.every((object) => (SEARCHABLE as readonly string[]).includes(object)), 'use Contact, Lead, Account'),
            v.transform((list) => [...new Set(list)] as SearchableObject[]),
          ),
          'Objects searched by phone, in order of preference: Contact, Lead, Account (comma-separated).',
        ),
        fields: setting(
          fieldList(),
          "Extra fields read into the contact's free fields, comma-separated API names; `Lead:Rating` reads a field of one object only.",
        ),
        segmentField: setting(
          fieldList(),
          "The field that is the contact's segment (e.g. Customer_Tier__c); add `Lead:Rating` to read another field on one object.",
        ),
        tagsField: setting(
          fieldList(),
          'A multi-select picklist field whose values (separated by ;) become tags; same form as the segment field.',
        ),
        pinField: setting(
          v.optional(v.pipe(v.string(), v.trim(), v.check(isFieldName, 'must be a field API name like Account_Number__c'))),
          'The field holding the PIN / account number callers type (e.g. Account_Number__c); unset = no PIN lookups.',
        ),
        pinObject: setting(
          v.pipe(envText('Contact'), v.picklist([...SEARCHABLE], 'use Contact, Lead or Account')),
          'The object the PIN field is on.',
        ),
        defaultCountry: setting(
          envCountry('IL'),
          'Country of numbers stored without an international prefix (Salesforce keeps phones as typed).',
        ),
        timeoutMs: setting(
          envInteger(1500, 50),
          'The longest one lookup may take (ms), so the next plugin in the chain still gets a turn.',
        ),
        lookupsPerSecond: setting(
          envInteger(3, 1),
          "Lookups a second: each is one API request, counted against the org's rolling 24-hour API request allocation that every integration shares.",
        ),
        logCalls: setting(envFlag(true), 'Log each call as a completed call Task on the contact, lead or account.'),
      }),
      v.check(
        (config) => Boolean(config.clientSecret) !== Boolean(config.privateKey),
        'set SALESFORCE_CLIENT_SECRET (client credentials flow) or SALESFORCE_PRIVATE_KEY with SALESFORCE_USERNAME (JWT bearer flow), not both',
      ),
      v.check((config) => !config.privateKey || Boolean(config.username), 'the JWT bearer flow needs SALESFORCE_USERNAME'),
    ),
    async setup({ config, db, log, fetch: fetchImpl }) {
      const loginUrl = config.loginUrl.replace(/\/+$/, '')
      let login: SalesforceLogin
      if (config.privateKey) {
        let privateKey: SigningKey
        try {
          privateKey = await importPrivateKey(config.privateKey)
        } catch (error) {
          throw new Error(`SALESFORCE_PRIVATE_KEY ${(error as Error).message}`)
        }
        const audience = config.audience ?? loginUrl
        login = { flow: 'jwt-bearer', loginUrl, clientId: config.clientId, username: config.username as string, audience, privateKey }
      } else {
        login = { flow: 'client-credentials', loginUrl, clientId: config.clientId, clientSecret: config.clientSecret as string }
      }

      let session: SalesforceSession | undefined
      let loggingIn: Promise<SalesforceSession> | undefined
      /** One login at a time, shared by concurrent lookups, and not cut short by one caller's deadline. */
      const currentSession = (signal: AbortSignal): Promise<SalesforceSession> => {
        if (session) return Promise.resolve(session)
        loggingIn ??= requestSession(login, fetchImpl, AbortSignal.timeout(LOGIN_TIMEOUT_MS))
          .then((fresh) => {
            session = fresh
            return fresh
          })
          .finally(() => {
            loggingIn = undefined
          })
        return untilAborted(loggingIn, signal)
      }

      const api = async <Schema extends v.GenericSchema>(
        what: string,
        schema: Schema,
        path: string,
        init: { method?: 'GET' | 'POST'; body?: unknown; signal: AbortSignal },
      ): Promise<v.InferOutput<Schema>> => {
        init.signal.throwIfAborted()
        for (let attempt = 0; ; attempt++) {
          const used = await currentSession(init.signal)
          const url = `${used.instanceUrl.replace(/\/+$/, '')}${path.startsWith('/services/') ? path : `/services/data/v${config.apiVersion}${path}`}`
          const response = await fetchImpl(url, {
            method: init.method ?? 'GET',
            headers: {
              authorization: `Bearer ${used.accessToken}`,
              accept: 'application/json',
              ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: init.body === undefined ? undefined : JSON.stringify(init.body),
            signal: init.signal,
          })
          const body = await readJson(response)
          if (response.status === 401 && attempt === 0) {
            // The token expired or was revoked: log in again once (unless another request already did).
            if (session === used) session = undefined
            log.info('Salesforce session expired; logging in again', { plugin: 'salesforce', errorCode: errorOf(body)?.errorCode })
            continue
          }
          if (!response.ok) throw salesforceError(what, response, body)
          const parsed = v.safeParse(schema, body)
          if (!parsed.success) throw new Error(`Salesforce ${what}: unexpected answer (${describeIssues(parsed.issues.slice(0, 1))})`)
          return parsed.output
        }
      }

      const ownerMapRows = ownerMap(db)

      /** The owner map says how the service reaches someone; the User record fills in what it does not say. */
      const ownerOf = async (record: SalesforceRecord): Promise<ContactOwner | undefined> => {
        const id = text(record.OwnerId)
        if (!id) return undefined
        const user = v.is(OwnerFields, record.Owner) ? record.Owner : undefined
        const email = text(user?.Email)
        const row = await ownerMapRows.find(id, email)
        const phone = text(user?.Phone)
        return dropEmpty({
          id,
          name: row?.name || text(user?.Name),
          email: row?.email || email,
          extension: row?.extension || text(user?.Extension),
          phone: row?.phone || (phone ? toE164(phone, config.defaultCountry) : undefined),
          layer: row?.layer || undefined,
        })
      }

      const toContact = async (record: SalesforceRecord): Promise<Contact> => {
        const object = record.attributes.type as SearchableObject
        const fields: Record<string, string> = {}
        for (const name of fieldsOf(config.fields, object)) {
          const value = text(valueAt(record, name))
          if (value) fields[name] = value
        }
        const segmentField = fieldOf(config.segmentField, object)
        const tagsField = fieldOf(config.tagsField, object)
        const contact: Contact = {
          id: record.Id,
          source: 'salesforce',
          name: text(record.Name) ?? '',
          tags: tagsField
            ? (text(valueAt(record, tagsField)) ?? '')
                .split(';')
                .map((tag) => tag.trim())
                .filter(Boolean)
            : [],
          fields,
        }
        const company = text(valueAt(record, COMPANY_FIELD[object]))
        if (company) contact.company = company
        const segment = segmentField ? text(valueAt(record, segmentField)) : undefined
        if (segment) contact.segment = segment
        const updatedAt = isoTime(text(record.LastModifiedDate))
        if (updatedAt) contact.updatedAt = updatedAt
        const owner = await ownerOf(record)
        if (owner) contact.owner = owner
        return contact
      }

      const selectedFields = (object: SearchableObject) => [
        ...new Set([
          ...BASE_FIELDS[object],
          ...PHONE_FIELDS[object],
          ...fieldsOf(config.fields, object),
          ...[fieldOf(config.segmentField, object), fieldOf(config.tagsField, object)].filter((field): field is string => Boolean(field)),
        ]),
      ]
      const returning = config.objects.map((object) => ({ object, fields: selectedFields(object) }))

      /** Salesforce keeps numbers as typed: a record is the caller when one of its numbers, read in our country, is. */
      const isCaller = (record: SalesforceRecord, phone: string) =>
        (PHONE_FIELDS[record.attributes.type as SearchableObject] ?? []).some((field) => {
          const stored = text(record[field])
          return Boolean(stored) && toE164(stored as string, config.defaultCountry) === phone
        })

      const preference = (record: SalesforceRecord) => config.objects.indexOf(record.attributes.type as SearchableObject)

      return {
        timeoutMs: config.timeoutMs,
        // Salesforce has no per-second limit, only the org's 24-hour allocation shared with every integration
        // (and 25 long-running requests at once): a steady trickle keeps an IVR from eating it.
        rateLimit: { perSecond: config.lookupsPerSecond },

        async findByPhone(phone, { signal }) {
          const forms = [...new Set([phone, nationalDialForm(phone)].filter((form): form is string => Boolean(form)))]
          const search = phoneSearch(forms, returning, SEARCH_LIMIT)
          const answer = await api('phone search', SearchAnswer, `/search/?q=${encodeURIComponent(search)}`, { signal })
          const callers = answer.searchRecords
            .filter((record) => preference(record) >= 0 && isCaller(record, phone))
            .sort((a, b) => preference(a) - preference(b) || (text(b.LastModifiedDate) ?? '').localeCompare(text(a.LastModifiedDate) ?? ''))
          const best = callers[0]
          if (!best) return null
          const sameKind = callers.filter((record) => record.attributes.type === best.attributes.type).length
          if (sameKind > 1) {
            log.warn('several Salesforce records have this number; the most recently modified is used', {
              plugin: 'salesforce',
              object: best.attributes.type,
              count: sameKind,
            })
          }
          return toContact(best)
        },

        ...(config.pinField
          ? {
              async findByPin(pin: string, { signal }: { signal: AbortSignal }) {
                // Callers end a PIN with # or *; anything but letters, digits and dashes is refused, not cleaned:
                // a value that is not a PIN never reaches a query.
                const clean = pin.replace(/[\s#*]/g, '')
                if (!clean) return null
                if (!PIN.test(clean)) {
                  log.warn('Salesforce PIN lookup refused: a PIN is letters, digits and dashes only', {
                    plugin: 'salesforce',
                    length: clean.length,
                  })
                  return null
                }
                const object = config.pinObject as SearchableObject
                const query = selectWhereEquals(object, selectedFields(object), config.pinField as string, clean, 2)
                const answer = await api('PIN query', QueryAnswer, `/query?q=${encodeURIComponent(query)}`, { signal })
                // totalSize counts every match, also those Salesforce would send in a later batch.
                if (answer.totalSize > 1 || answer.records.length > 1) {
                  log.warn('several Salesforce records share this PIN; none is used', { plugin: 'salesforce', object })
                  return null
                }
                const record = answer.records[0]
                return record ? toContact(record) : null
              },
            }
          : {}),

        ...(config.logCalls
          ? {
              async logCall(entry: CallLogEntry) {
                await api('call logging', CreateAnswer, '/sobjects/Task', {
                  method: 'POST',
                  body: callTask(entry),
                  // The outbox gives up at its own deadline; this ends the request too.
                  signal: AbortSignal.timeout(CALL_LOG_TIMEOUT_MS),
                })
              },
            }
          : {}),
      }
    },
  })

const SEARCHABLE = ['Contact', 'Lead', 'Account'] as const
type SearchableObject = (typeof SEARCHABLE)[number]

/**
 * What every lookup reads. A Lead's owner may be a queue (a polymorphic Name), which has no Extension: the
 * owner map gives a lead owner's extension.
 */
const BASE_FIELDS: Record<SearchableObject, readonly string[]> = {
  Contact: ['Id', 'Name', 'Account.Name', 'LastModifiedDate', 'OwnerId', 'Owner.Name', 'Owner.Email', 'Owner.Phone', 'Owner.Extension'],
  Lead: ['Id', 'Name', 'Company', 'LastModifiedDate', 'OwnerId', 'Owner.Name', 'Owner.Email', 'Owner.Phone'],
  Account: ['Id', 'Name', 'LastModifiedDate', 'OwnerId', 'Owner.Name', 'Owner.Email', 'Owner.Phone', 'Owner.Extension'],
}
/** The standard phone fields of each object, read back to check the match. */
const PHONE_FIELDS: Record<SearchableObject, readonly string[]> = {
  Contact: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone'],
  Lead: ['Phone', 'MobilePhone'],
  Account: ['Phone'],
}
const COMPANY_FIELD: Record<SearchableObject, string> = { Contact: 'Account.Name', Lead: 'Company', Account: 'Name' }

/** Records a phone search returns: more than a handful for one number is a data problem, not a caller. */
const SEARCH_LIMIT = 20
const PIN = /^[0-9A-Za-z-]{1,64}$/
const LOGIN_TIMEOUT_MS = 5000
const CALL_LOG_TIMEOUT_MS = 10_000
/**
 * REQUEST_LIMIT_EXCEEDED carries no Retry-After. "TotalRequests" is the org's rolling 24-hour allocation:
 * requests free up only as those of a day ago age out, so asking again every few minutes is enough (the
 * chain's next plugin answers meanwhile). "ConcurrentPerOrgLongTxn" is the limit on long-running requests at
 * once, which frees as soon as they finish.
 */
export const DAILY_LIMIT_PAUSE_MS = 5 * 60_000
export const CONCURRENT_LIMIT_PAUSE_MS = 10_000

/** `Field` (every object that is searched) or `Object:Field` (that object only). */
const fieldList = () =>
  v.pipe(
    envList(''),
    v.check(
      (entries) =>
        entries.every(
          (entry) => /^((Contact|Lead|Account):)?[A-Za-z][A-Za-z0-9_.]*$/.test(entry) && isFieldName(entry.replace(/^\w+:/, '')),
        ),
      'write each as a field API name (Tier__c) or Object:Field (Lead:Rating)',
    ),
  )

/** The one field of a setting for an object: its own `Object:Field` entry, else the first plain one. */
const fieldOf = (entries: readonly string[], object: SearchableObject): string | undefined =>
  entries.find((entry) => entry.startsWith(`${object}:`))?.slice(object.length + 1) ?? entries.find((entry) => !entry.includes(':'))

const fieldsOf = (entries: readonly string[], object: SearchableObject): string[] =>
  entries.flatMap((entry) => {
    const [scope, field] = entry.includes(':') ? entry.split(':') : [undefined, entry]
    return !scope || scope === object ? [field as string] : []
  })

const Attributes = v.object({ type: v.string(), url: v.optional(v.string()) })
const SalesforceRecord = v.looseObject({ attributes: Attributes, Id: v.pipe(v.string(), v.nonEmpty()) })
type SalesforceRecord = v.InferOutput<typeof SalesforceRecord> & Record<string, unknown>
const SearchAnswer = v.object({ searchRecords: v.array(SalesforceRecord) })
const QueryAnswer = v.object({
  totalSize: v.number(),
  done: v.boolean(),
  nextRecordsUrl: v.optional(v.string()),
  records: v.array(SalesforceRecord),
})
const CreateAnswer = v.object({ id: v.string(), success: v.literal(true), errors: v.array(v.unknown()) })
const Scalar = v.optional(v.nullable(v.union([v.string(), v.number(), v.boolean()])))
const OwnerFields = v.looseObject({ Name: Scalar, Email: Scalar, Phone: Scalar, Extension: Scalar })
const ErrorArray = v.array(v.object({ message: v.optional(v.string()), errorCode: v.optional(v.string()) }))

const errorOf = (body: unknown) => (v.is(ErrorArray, body) ? body[0] : undefined)

const readJson = async (response: Response): Promise<unknown> => {
  const body = await response.text()
  try {
    return body ? JSON.parse(body) : undefined
  } catch {
    return body
  }
}

const text = (value: unknown): string | undefined => {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined
  const trimmed = String(value).trim()
  return trimmed || undefined
}

/** A field through its relationships: `Account.Name` is `{ Account: { Name } }` in the answer. */
const valueAt = (record: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), record)

/** Salesforce writes times as 2026-10-01T10:00:00.000+0000. */
const isoTime = (value: string | undefined): string | undefined => {
  if (!value) return undefined
  const date = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

const dropEmpty = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined && field !== '')) as T

/** The lookup waits for a shared login only until its own deadline; the login itself goes on for the next caller. */
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Salesforce's error messages can quote the query, and with it the caller's number: long digit runs are cut. */
const withoutNumbers = (message: string) => message.replace(/\d{5,}/g, (digits) => `…${digits.slice(-2)}`)

const salesforceError = (what: string, response: Response, body: unknown): Error => {
  const error = errorOf(body)
  if (response.status === 403 && error?.errorCode === 'REQUEST_LIMIT_EXCEEDED') {
    const concurrent = /concurrent/i.test(error.message ?? '')
    const pause = Math.max(retryAfterMs(response.headers), concurrent ? CONCURRENT_LIMIT_PAUSE_MS : DAILY_LIMIT_PAUSE_MS)
    return new RateLimitedError(`Salesforce ${what}: API request limit exceeded (REQUEST_LIMIT_EXCEEDED)`, pause)
  }
  if (response.status === 429) {
    // Not an answer Salesforce documents, but one a proxy in front of it may give.
    return new RateLimitedError(`Salesforce ${what}: rate limited (429)`, retryAfterMs(response.headers) || CONCURRENT_LIMIT_PAUSE_MS)
  }
  const detail = error ? ` ${error.errorCode ?? ''}${error.message ? `: ${withoutNumbers(error.message)}` : ''}` : ''
  return new Error(`Salesforce ${what}: HTTP ${response.status}${detail.trimEnd()}`)
}

const retryAfterMs = (headers: Headers) => {
  const seconds = Number(headers.get('retry-after'))
  return seconds > 0 ? seconds * 1000 : 0
}

/**
 * A provider's final call status as the Task's Call Result (CallDisposition, free text). Providers spell
 * them their own way, so they are compared as letters only; a call with no final status, or one that ended
 * normally, was answered by the IVR: Completed.
 */
/** The Task's CallDisposition for each outcome. */
const CALL_RESULTS: Record<CallOutcome, string> = {
  completed: 'Completed',
  busy: 'Busy',
  no_answer: 'No answer',
  failed: 'Failed',
  canceled: 'Canceled',
  voicemail: 'Completed',
}

export const salesforceCallResult = (status: string | undefined): string => CALL_RESULTS[callOutcome(status)]

/** Salesforce's fixed key prefixes: who a Task is about (Contact, Lead) or what (Account). */
const WHO_PREFIXES = ['003', '00Q']
const USER_PREFIX = '005'

/** The completed call Task for a call; field sizes are the Task object's. */
export const callTask = (entry: CallLogEntry): Record<string, string | number> => {
  const inbound = entry.direction === 'inbound'
  const recordId = entry.contact.id
  const ownerId = entry.contact.owner?.id
  return {
    Subject: `${inbound ? 'Inbound' : 'Outbound'} call routed by the IVR`,
    Status: 'Completed',
    TaskSubtype: 'Call',
    CallType: inbound ? 'Inbound' : 'Outbound',
    CallDisposition: salesforceCallResult(entry.status),
    CallObject: `${entry.provider}:${entry.callId}`.slice(0, 255),
    Description: `${entry.summary}\nFrom ${entry.from} to ${entry.to}`.slice(0, 32_000),
    ActivityDate: entry.at.toISOString().slice(0, 10),
    ...(entry.durationMs !== undefined ? { CallDurationInSeconds: Math.max(0, Math.round(entry.durationMs / 1000)) } : {}),
    ...(WHO_PREFIXES.includes(recordId.slice(0, 3)) ? { WhoId: recordId } : { WhatId: recordId }),
    // A lead's owner can be a queue, which cannot own a Task: then the API user does.
    ...(ownerId?.startsWith(USER_PREFIX) ? { OwnerId: ownerId } : {}),
  }
}
