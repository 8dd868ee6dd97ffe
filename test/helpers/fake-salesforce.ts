import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import org from '../fixtures/salesforce/org.json' with { type: 'json' }
import { readBody } from './read-body.ts'

/**
 * A fake Salesforce org on 127.0.0.1: the OAuth token endpoint (client credentials and JWT bearer) and the
 * REST API resources the salesforce plugin uses (SOSL search, SOQL query with nextRecordsUrl paging, sObject
 * create for Task), answering in the shapes of Salesforce's REST API reference (test/fixtures/salesforce/,
 * sources in its README.md):
 * - errors are arrays of `{ message, errorCode }`: 401 INVALID_SESSION_ID for an unknown or revoked token,
 *   400 MALFORMED_SEARCH / MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE, 403 REQUEST_LIMIT_EXCEEDED (no
 *   Retry-After, as Salesforce sends none);
 * - SOSL: `FIND {term OR term} IN PHONE FIELDS RETURNING Object(fields), ... [LIMIT n]`; a reserved character
 *   not escaped with a backslash is a MALFORMED_SEARCH; phone fields match when their digits equal the
 *   term's (Salesforce keeps numbers as typed and ignores their punctuation when searching);
 * - SOQL: `SELECT fields FROM Object [WHERE Field = 'value'] [LIMIT n]`, the value's quote and backslash
 *   escaped; anything else is a MALFORMED_QUERY (so an injection attempt is refused as Salesforce would
 *   refuse the broken query);
 * - Task create checks field names, the restricted picklists (Status, TaskSubtype, CallType), sizes, and
 *   that WhoId / WhatId / OwnerId exist.
 * The grammar is the subset the plugin writes: anything outside it is answered with a loud 400, never guessed.
 */
export interface FakeSalesforceRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Parsed JSON, or the form fields of a token request, or undefined. */
  body: unknown
  authorization?: string
}

export interface FakeTask {
  id: string
  fields: Record<string, unknown>
}

type Misbehaviour =
  | { kind: 'rateLimit'; message: string }
  | { kind: 'fail'; status: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }

export interface FakeSalesforce {
  url: string
  clientId: string
  clientSecret: string
  /** The JWT bearer flow's integration user and the audience the fake expects in its JWTs. */
  username: string
  audience: string
  /** The private key (PKCS#8 PEM) whose public half the fake checks JWT signatures with. */
  privateKeyPem: string
  apiVersion: string
  /** Records per query batch (Salesforce: up to 2,000; smaller to test nextRecordsUrl). */
  pageSize: number
  records: { Contact: FakeRecord[]; Lead: FakeRecord[]; Account: FakeRecord[]; User: FakeRecord[]; Group: FakeRecord[] }
  tasks: FakeTask[]
  /** Every request received (control requests excepted), oldest first. */
  requests: FakeSalesforceRequest[]
  /** The grant types of token requests that were answered with a token. */
  grants: string[]
  /** Every access token issued so far stops working (as when a session times out or is revoked). */
  revokeTokens(): void
  /** Tokens issued while this is on never work (an app whose sessions are revoked as soon as they start). */
  issueRevokedTokens: boolean
  rateLimitNext(count: number, retryAfterSeconds?: number): void
  /** The next `count` API requests hit the concurrent long-running request limit. */
  concurrentLimitNext(count: number): void
  failNext(count: number, status: number): void
  dropNext(count: number): void
  delayNext(count: number, ms: number): void
  requestCount(): number
  /** Forgets requests, grants, tasks and pending misbehaviours; records and tokens stay. */
  reset(): void
  close(): Promise<void>
}

export type FakeRecord = Record<string, unknown> & { Id: string }

/** The fields each object has (beyond those in the records): what SOSL and SOQL may name. */
const STANDARD_FIELDS: Record<string, string[]> = {
  Contact: [
    'Id',
    'Name',
    'FirstName',
    'LastName',
    'AccountId',
    'Phone',
    'MobilePhone',
    'HomePhone',
    'OtherPhone',
    'AssistantPhone',
    'Fax',
    'Email',
    'Title',
    'OwnerId',
    'CreatedDate',
    'LastModifiedDate',
  ],
  Lead: [
    'Id',
    'Name',
    'FirstName',
    'LastName',
    'Company',
    'Phone',
    'MobilePhone',
    'Fax',
    'Email',
    'Status',
    'Rating',
    'OwnerId',
    'CreatedDate',
    'LastModifiedDate',
  ],
  Account: ['Id', 'Name', 'Phone', 'Fax', 'Type', 'Rating', 'OwnerId', 'CreatedDate', 'LastModifiedDate'],
  User: ['Id', 'Name', 'Email', 'Phone', 'Extension', 'MobilePhone', 'Username'],
  // The polymorphic owner of a lead (a User or a queue) is a Name: it has no Extension.
  Name: ['Id', 'Name', 'Email', 'Phone', 'Type', 'Alias', 'FirstName', 'LastName', 'Title', 'Username'],
}
const PHONE_FIELDS: Record<string, string[]> = {
  Contact: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone', 'Fax'],
  Lead: ['Phone', 'MobilePhone', 'Fax'],
  Account: ['Phone', 'Fax'],
}
/** Relationship name → [id field, the object it points at, the type its attributes say]. */
const RELATIONSHIPS: Record<string, Record<string, [string, string]>> = {
  Contact: { Account: ['AccountId', 'Account'], Owner: ['OwnerId', 'User'] },
  Lead: { Owner: ['OwnerId', 'Name'] },
  Account: { Owner: ['OwnerId', 'User'] },
}
const SEARCHABLE = ['Contact', 'Lead', 'Account']
const SOSL_RESERVED = new Set('?&|!{}[]()^~*:\\"\'+-')

const TASK_FIELDS = [
  'Subject',
  'Status',
  'TaskSubtype',
  'CallType',
  'CallDurationInSeconds',
  'CallDisposition',
  'CallObject',
  'Description',
  'ActivityDate',
  'WhoId',
  'WhatId',
  'OwnerId',
  'Priority',
]
/** The Task's restricted picklists (Object Reference, Task). */
const TASK_PICKLISTS: Record<string, string[]> = {
  Status: ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
  TaskSubtype: ['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn'],
  CallType: ['Internal', 'Inbound', 'Outbound'],
  Priority: ['High', 'Normal', 'Low'],
}
const TASK_SIZES: Record<string, number> = { Subject: 255, CallDisposition: 255, CallObject: 255, Description: 32_000 }

class ApiError extends Error {
  readonly status: number
  readonly errorCode: string
  readonly fields?: string[]
  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message)
    this.status = status
    this.errorCode = errorCode
    if (fields) this.fields = fields
  }
}

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim()}\n-----END ${label}-----\n`

export const startFakeSalesforce = async (
  options: { apiVersion?: string; pageSize?: number; clientId?: string; clientSecret?: string; username?: string; audience?: string } = {},
): Promise<FakeSalesforce> => {
  const keys = (await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const privateKeyPem = pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', keys.privateKey))
  const sockets = new Set<Socket>()
  const closing = new AbortController()
  const tokens = new Set<string>()
  const misbehaviours: Misbehaviour[] = []
  const cursors = new Map<string, Record<string, unknown>[]>()
  let nextId = 1
  let received = 0

  const fake: FakeSalesforce = {
    url: '',
    clientId: options.clientId ?? '3MVG9fakeConsumerKey.ivr',
    clientSecret: options.clientSecret ?? 'fake-consumer-secret-0123456789',
    username: options.username ?? 'ivr-integration@acme.example',
    audience: options.audience ?? 'https://login.salesforce.com',
    privateKeyPem,
    apiVersion: options.apiVersion ?? '62.0',
    pageSize: options.pageSize ?? 2000,
    records: {
      Contact: structuredClone(org.contacts) as FakeRecord[],
      Lead: structuredClone(org.leads) as FakeRecord[],
      Account: structuredClone(org.accounts) as FakeRecord[],
      User: structuredClone(org.users) as FakeRecord[],
      Group: structuredClone(org.queues) as FakeRecord[],
    },
    tasks: [],
    requests: [],
    grants: [],
    revokeTokens: () => tokens.clear(),
    issueRevokedTokens: false,
    rateLimitNext: (count) => queue(count, { kind: 'rateLimit', message: 'TotalRequests Limit exceeded.' }),
    concurrentLimitNext: (count) => queue(count, { kind: 'rateLimit', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' }),
    failNext: (count, status) => queue(count, { kind: 'fail', status }),
    dropNext: (count) => queue(count, { kind: 'drop' }),
    delayNext: (count, ms) => queue(count, { kind: 'delay', ms }),
    requestCount: () => received,
    reset() {
      fake.requests.length = 0
      fake.grants.length = 0
      fake.tasks.length = 0
      misbehaviours.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
  const queue = (count: number, misbehaviour: Misbehaviour) => {
    for (let index = 0; index < count; index++) misbehaviours.push(misbehaviour)
  }

  const newId = (prefix: string) => `${prefix}Dn0000${String(nextId++).padStart(7, '0')}AAA`.slice(0, 18)
  const apiPrefix = () => `/services/data/v${fake.apiVersion}`
  const urlOf = (type: string, id: string) => `${apiPrefix()}/sobjects/${type === 'Name' ? 'User' : type}/${id}`

  const findById = (id: unknown): { type: string; record: FakeRecord } | undefined => {
    for (const [type, records] of Object.entries(fake.records)) {
      const record = records.find((candidate) => candidate.Id === id)
      if (record) return { type, record }
    }
    return undefined
  }

  /** The field names an object accepts, canonical case, looked up case-insensitively as Salesforce does. */
  const fieldName = (object: string, name: string): string | undefined => {
    const known = new Set([...(STANDARD_FIELDS[object] ?? []), ...(fake.records[object as 'Contact']?.flatMap(Object.keys) ?? [])])
    return [...known].find((field) => field.toLowerCase() === name.toLowerCase())
  }

  /** The JSON of a record with the selected fields, relationships as nested records with attributes. */
  const project = (object: string, record: FakeRecord, fields: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = { attributes: { type: object, url: urlOf(object, record.Id) } }
    for (const path of fields) {
      const [head, ...rest] = path.split('.')
      if (rest.length === 0) {
        const name = fieldName(object, head as string) as string
        out[name] = record[name] ?? null
        continue
      }
      const relationship = Object.entries(RELATIONSHIPS[object] ?? {}).find(([name]) => name.toLowerCase() === head?.toLowerCase())
      if (!relationship) continue
      const [name, [idField, target]] = relationship
      const related = findById(record[idField])
      if (!related) {
        out[name] = null
        continue
      }
      const nested = (out[name] as Record<string, unknown> | null | undefined) ?? {
        attributes: { type: target, url: urlOf(target === 'Name' ? related.type : target, related.record.Id) },
      }
      const field = fieldName(target, rest.join('.')) as string
      nested[field] = related.record[field] ?? null
      out[name] = nested
    }
    return out
  }

  /** Checks a field list of an object; INVALID_FIELD names the first field it does not have. */
  const checkFields = (object: string, fields: string[], statement: string) => {
    for (const path of fields) {
      const [head, ...rest] = path.split('.')
      let ok = false
      let entity = object
      let column = path
      if (rest.length === 0) ok = Boolean(fieldName(object, head as string))
      else {
        const relationship = Object.entries(RELATIONSHIPS[object] ?? {}).find(([name]) => name.toLowerCase() === head?.toLowerCase())
        if (relationship && rest.length === 1) {
          entity = relationship[1][1]
          column = rest[0] as string
          ok = Boolean(fieldName(entity, column))
        }
      }
      if (!ok) {
        throw new ApiError(
          400,
          'INVALID_FIELD',
          `\n${statement}\n^\nERROR at Row:1:Column:1\nNo such column '${column}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
        )
      }
    }
  }

  const search = (statement: string) => {
    const parsed = parseSosl(statement)
    const limit = parsed.limit ?? 2000
    const results: Record<string, unknown>[] = []
    for (const { object, fields } of parsed.returning) {
      if (!SEARCHABLE.includes(object)) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${object}' is not supported.`)
      checkFields(object, fields, statement)
      for (const record of fake.records[object as 'Contact']) {
        const phones = (PHONE_FIELDS[object] ?? []).map((field) => digits(String(record[field] ?? ''))).filter(Boolean)
        if (parsed.terms.some((term) => phones.includes(digits(term))))
          results.push(project(object, record, fields.length ? fields : ['Id']))
      }
    }
    return { searchRecords: results.slice(0, limit) }
  }

  const query = (statement: string) => {
    const parsed = parseSoql(statement)
    if (!SEARCHABLE.includes(parsed.object) && parsed.object !== 'User') {
      throw new ApiError(400, 'INVALID_TYPE', `\n${statement}\nsObject type '${parsed.object}' is not supported.`)
    }
    checkFields(parsed.object, parsed.fields, statement)
    if (parsed.where) checkFields(parsed.object, [parsed.where.field], statement)
    const where = parsed.where
    const matching = fake.records[parsed.object as 'Contact']
      .filter((record) => {
        if (!where) return true
        const value = record[fieldName(parsed.object, where.field) as string]
        // SOQL's = on text ignores case.
        return value !== null && value !== undefined && String(value).toLowerCase() === where.value.toLowerCase()
      })
      .slice(0, parsed.limit ?? Number.POSITIVE_INFINITY)
      .map((record) => project(parsed.object, record, parsed.fields))
    return page(matching, 0)
  }

  const page = (records: Record<string, unknown>[], offset: number) => {
    const batch = records.slice(offset, offset + fake.pageSize)
    const end = offset + batch.length
    if (end >= records.length) return { totalSize: records.length, done: true, records: batch }
    const locator = `01gDn0000${String(nextId++).padStart(9, '0')}`
    cursors.set(locator, records)
    return { totalSize: records.length, done: false, nextRecordsUrl: `${apiPrefix()}/query/${locator}-${end}`, records: batch }
  }

  const createTask = (body: unknown) => {
    if (!isRecord(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body is not a JSON object')
    for (const [name, value] of Object.entries(body)) {
      if (!TASK_FIELDS.includes(name)) throw new ApiError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type Task`)
      const options = TASK_PICKLISTS[name]
      if (options && !options.includes(String(value))) {
        throw new ApiError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `bad value for restricted picklist field: ${String(value)}`, [
          name,
        ])
      }
      const size = TASK_SIZES[name]
      if (size && String(value).length > size) {
        throw new ApiError(400, 'STRING_TOO_LONG', `${name}: data value too large: ${String(value).slice(0, 20)}... (max length=${size})`, [
          name,
        ])
      }
    }
    const duration = body.CallDurationInSeconds
    if (duration !== undefined && !(Number.isInteger(duration) && (duration as number) >= 0)) {
      throw new ApiError(400, 'INVALID_TYPE_ON_FIELD_IN_RECORD', `Call Duration: value not of required type: ${String(duration)}`, [
        'CallDurationInSeconds',
      ])
    }
    if (body.ActivityDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(body.ActivityDate))) {
      throw new ApiError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of date from VALUE_STRING value ${String(body.ActivityDate)}`,
      )
    }
    const references: [string, string[]][] = [
      ['WhoId', ['Contact', 'Lead']],
      ['WhatId', ['Account']],
      ['OwnerId', ['User']],
    ]
    for (const [name, types] of references) {
      if (body[name] === undefined) continue
      const found = findById(body[name])
      if (!found || !types.includes(found.type)) {
        throw new ApiError(400, 'FIELD_INTEGRITY_EXCEPTION', `${name}: id value of incorrect type: ${String(body[name])}`, [name])
      }
    }
    const id = newId('00T')
    fake.tasks.push({ id, fields: body })
    return { id, success: true, errors: [] }
  }

  const token = async (form: URLSearchParams, authorization: string | undefined) => {
    const grant = form.get('grant_type')
    if (grant === 'client_credentials') {
      const basic = authorization?.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString().split(':') : []
      const id = form.get('client_id') ?? basic[0]
      const secret = form.get('client_secret') ?? basic[1]
      if (id !== fake.clientId || secret !== fake.clientSecret) return oauthError('invalid_client', 'invalid client credentials')
    } else if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const problem = await checkAssertion(form.get('assertion') ?? '')
      if (problem) return oauthError(...problem)
    } else {
      return oauthError('unsupported_grant_type', 'grant type not supported')
    }
    fake.grants.push(grant)
    const accessToken = `00DDn0000000ORG!AQ${crypto.randomUUID().replace(/-/g, '')}`
    if (!fake.issueRevokedTokens) tokens.add(accessToken)
    return {
      status: 200,
      body: {
        access_token: accessToken,
        ...(grant === 'client_credentials'
          ? { signature: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64') }
          : {}),
        scope: 'api',
        instance_url: fake.url,
        id: `${fake.url}/id/00DDn0000000ORGMAS/005Dn00000Intg01AA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
      },
    }
  }

  /** The JWT bearer flow's checks (Salesforce Help: OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration). */
  const checkAssertion = async (assertion: string): Promise<[string, string] | undefined> => {
    const [header, claims, signature] = assertion.split('.')
    if (!header || !claims || !signature) return ['invalid_grant', 'invalid assertion']
    const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>
    let parsedHeader: Record<string, unknown>
    let parsedClaims: Record<string, unknown>
    try {
      parsedHeader = decoded(header)
      parsedClaims = decoded(claims)
    } catch {
      return ['invalid_grant', 'invalid assertion']
    }
    if (parsedHeader.alg !== 'RS256') return ['invalid_grant', 'invalid assertion']
    const valid = await crypto.subtle.verify(
      'RSASSA-PKCS1-v1_5',
      keys.publicKey,
      Buffer.from(signature, 'base64url'),
      new TextEncoder().encode(`${header}.${claims}`),
    )
    if (!valid) return ['invalid_grant', 'invalid assertion']
    if (parsedClaims.iss !== fake.clientId) return ['invalid_client_id', 'client identifier invalid']
    if (parsedClaims.aud !== fake.audience) return ['invalid_grant', 'audience is invalid']
    if (parsedClaims.sub !== fake.username) return ['invalid_grant', "user hasn't approved this consumer"]
    const now = Math.floor(Date.now() / 1000)
    const exp = Number(parsedClaims.exp)
    // Salesforce takes a JWT whose exp is at most 3 minutes away (and not past).
    if (!Number.isFinite(exp) || exp < now || exp > now + 180 + 5) return ['invalid_grant', 'expired authorization code']
    return undefined
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const method = request.method ?? 'GET'
    const text = await readBody(request)
    if (url.pathname.startsWith('/__fake/')) return control(url, method, text, response)
    received++
    const isToken = url.pathname === '/services/oauth2/token'
    let body: unknown
    if (isToken) body = Object.fromEntries(new URLSearchParams(text))
    else {
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        body = text
      }
    }
    fake.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: request.headers.authorization,
    })

    if (isToken && method === 'POST') {
      const answer = await token(new URLSearchParams(text), request.headers.authorization)
      return send(response, answer.status, answer.body)
    }
    const misbehaviour = misbehaviours.shift()
    if (misbehaviour?.kind === 'drop') return request.socket.destroy()
    if (misbehaviour?.kind === 'delay') await sleep(misbehaviour.ms, undefined, { signal: closing.signal })
    if (!tokens.has(request.headers.authorization?.replace(/^Bearer /, '') ?? '')) {
      return send(response, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }])
    }
    if (misbehaviour?.kind === 'rateLimit')
      return send(response, 403, [{ message: misbehaviour.message, errorCode: 'REQUEST_LIMIT_EXCEEDED' }])
    if (misbehaviour?.kind === 'fail') {
      return send(
        response,
        misbehaviour.status,
        misbehaviour.status === 503
          ? [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }]
          : [
              {
                message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1146-61 (-1427651)',
                errorCode: 'UNKNOWN_EXCEPTION',
              },
            ],
      )
    }
    try {
      const prefix = apiPrefix()
      if (!url.pathname.startsWith(`${prefix}/`)) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist')
      const resource = url.pathname.slice(prefix.length)
      if (method === 'GET' && (resource === '/search/' || resource === '/search'))
        return send(response, 200, search(url.searchParams.get('q') ?? ''))
      if (method === 'GET' && (resource === '/query/' || resource === '/query'))
        return send(response, 200, query(url.searchParams.get('q') ?? ''))
      const more = /^\/query\/(01g\w+)-(\d+)$/.exec(resource)
      if (method === 'GET' && more) {
        const records = cursors.get(more[1] as string)
        if (!records) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator')
        return send(response, 200, page(records, Number(more[2])))
      }
      if (method === 'POST' && (resource === '/sobjects/Task' || resource === '/sobjects/Task/'))
        return send(response, 201, createTask(body))
      throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist')
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      return send(response, error.status, [
        { message: error.message, errorCode: error.errorCode, ...(error.fields ? { fields: error.fields } : {}) },
      ])
    }
  }

  /** The switches over HTTP, for tests inside workerd. */
  const control = (url: URL, method: string, text: string, response: ServerResponse) => {
    if (method === 'POST' && url.pathname === '/__fake/next') {
      const { kind, count, value } = JSON.parse(text) as { kind: string; count: number; value?: number }
      if (kind === 'rateLimit') fake.rateLimitNext(count)
      else if (kind === 'fail') fake.failNext(count, value ?? 503)
      else if (kind === 'drop') fake.dropNext(count)
      else if (kind === 'delay') fake.delayNext(count, value ?? 0)
      else return send(response, 400, { error: `unknown kind ${kind}` })
      return send(response, 200, { ok: true })
    }
    if (method === 'POST' && url.pathname === '/__fake/revoke') {
      fake.revokeTokens()
      return send(response, 200, { ok: true })
    }
    if (url.pathname === '/__fake/request-count') return send(response, 200, { count: received })
    if (url.pathname === '/__fake/tasks') return send(response, 200, fake.tasks)
    if (url.pathname === '/__fake/grants') return send(response, 200, fake.grants)
    return send(response, 404, { error: 'no such control' })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!closing.signal.aborted)
        send(response, 500, [{ message: `fake Salesforce failed: ${String(error)}`, errorCode: 'UNKNOWN_EXCEPTION' }])
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fake Salesforce: no TCP address')
  fake.url = `http://127.0.0.1:${address.port}`
  return fake
}

const oauthError = (error: string, description: string) => ({ status: 400, body: { error, error_description: description } })

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const digits = (value: string) => value.replace(/\D/g, '')

const send = (response: ServerResponse, status: number, body: unknown) => {
  if (response.headersSent || response.destroyed) return
  response.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' })
  response.end(JSON.stringify(body))
}

interface Sosl {
  terms: string[]
  returning: { object: string; fields: string[] }[]
  limit?: number
}

const malformedSearch = (statement: string, detail: string) =>
  new ApiError(400, 'MALFORMED_SEARCH', `\n${statement}\n^\nERROR at Row:1:Column:1\n${detail}`)

/** FIND {...} IN PHONE FIELDS RETURNING Object(fields), ... [LIMIT n]. */
export const parseSosl = (statement: string): Sosl => {
  const find = /^\s*FIND\s*\{/i.exec(statement)
  if (!find) throw malformedSearch(statement, "unexpected token: expecting 'FIND'")
  // The search text runs to the first closing brace that is not escaped.
  let index = find[0].length
  let current = ''
  const terms: string[] = []
  for (; index < statement.length; index++) {
    const char = statement[index] as string
    if (char === '\\') {
      const next = statement[index + 1]
      if (next === undefined) break
      current += next
      index++
      continue
    }
    if (char === '}') break
    if (char === ' ' || char === '\t') {
      if (current) terms.push(current)
      current = ''
      continue
    }
    if (SOSL_RESERVED.has(char)) throw malformedSearch(statement, `mismatched character '${char}'`)
    current += char
  }
  if (statement[index] !== '}') throw malformedSearch(statement, "missing '}' at end of search text")
  if (current) terms.push(current)
  // Words joined by OR: the only operator the fake takes; any other grouping is refused loudly.
  const words = terms.filter((term, position) => (position % 2 === 1 ? term.toUpperCase() !== 'OR' : true))
  if (words.length !== Math.ceil(terms.length / 2) || terms.length % 2 === 0) {
    throw malformedSearch(statement, 'the fake takes only terms joined by OR')
  }
  const rest = statement.slice(index + 1)
  const clauses = /^\s+IN\s+PHONE\s+FIELDS\s+RETURNING\s+(.+?)(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(rest)
  if (!clauses) throw malformedSearch(statement, "unexpected token: expecting 'IN PHONE FIELDS RETURNING' (the fake's subset)")
  const returning: Sosl['returning'] = []
  const objects = clauses[1] as string
  const pattern = /\s*(\w+)\s*(?:\(([^()]*)\))?\s*(,|$)/gy
  let consumed = 0
  while (consumed < objects.length) {
    const matched = pattern.exec(objects)
    if (!matched) break
    consumed = pattern.lastIndex
    returning.push({
      object: matched[1] as string,
      fields: (matched[2] ?? '')
        .split(',')
        .map((field) => field.trim())
        .filter(Boolean),
    })
    if (matched[3] === '') break
  }
  if (consumed < objects.length) throw malformedSearch(statement, 'unexpected token in RETURNING')
  return { terms: words, returning, limit: clauses[2] ? Number(clauses[2]) : undefined }
}

interface Soql {
  fields: string[]
  object: string
  where?: { field: string; value: string }
  limit?: number
}

/** SELECT fields FROM Object [WHERE Field = 'value'] [LIMIT n]; anything else is a MALFORMED_QUERY. */
export const parseSoql = (statement: string): Soql => {
  const parsed = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+([\w.]+)\s*=\s*'((?:[^'\\]|\\.)*)')?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(
    statement,
  )
  if (!parsed)
    throw new ApiError(400, 'MALFORMED_QUERY', `\n${statement}\n^\nERROR at Row:1:Column:1\nunexpected token (the fake's SOQL subset)`)
  const fields = (parsed[1] as string).split(',').map((field) => field.trim())
  let value: string | undefined
  if (parsed[4] !== undefined) {
    value = parsed[4].replace(/\\(.)/g, (_, char: string) => {
      const escaped: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' }
      const plain = escaped[char]
      if (plain === undefined)
        throw new ApiError(
          400,
          'MALFORMED_QUERY',
          `Invalid string literal '${parsed[4]}'. Illegal character sequence '\\${char}' in string literal.`,
        )
      return plain
    })
  }
  return {
    fields,
    object: parsed[2] as string,
    ...(value !== undefined ? { where: { field: parsed[3] as string, value } } : {}),
    ...(parsed[5] ? { limit: Number(parsed[5]) } : {}),
  }
}
