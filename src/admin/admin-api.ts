import { Scalar } from '@scalar/hono-api-reference'
import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm'
import type { SQLiteTable } from 'drizzle-orm/sqlite-core'
import { Hono } from 'hono'
import type { Context, MiddlewareHandler } from 'hono'
import { describeRoute, openAPIRouteHandler, resolver, validator } from 'hono-openapi'
import { bodyLimit } from 'hono/body-limit'
import { timingSafeEqual } from 'hono/utils/buffer'
import * as v from 'valibot'
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import { purgeDecisionsOlderThan } from '../db/retention.ts'
import { contacts, decisions, fallbacks, menuKeys, owners, rules } from '../db/schema.ts'
import { describeIssues } from '../lib/issues.ts'
import { toE164 } from '../lib/phone.ts'
import type { Logger } from '../lib/logger.ts'
import type { ProviderAdapter } from '../providers/provider.ts'
import type { CallRouter } from '../routing/call-router.ts'
import { compileFallback, compileRule } from '../rules/compile-rule.ts'
import { menuKeyRule } from '../rules/menu-key.ts'
import {
  ContactBody,
  ContactPatch,
  FallbackBody,
  FallbackPatch,
  MenuKeyBody,
  MenuKeyPatch,
  OwnerBody,
  OwnerPatch,
  RuleBody,
  RulePatch,
} from './admin-schemas.ts'

export interface AdminApiOptions {
  db: Database
  config: Config
  log: Logger
  router: CallRouter
  adapters: Record<string, ProviderAdapter>
}

/** The only /admin pages served without the token: the API description and its reference page. */
const PUBLIC_PATHS = new Set(['/admin/openapi.json', '/admin/docs'])
const MAX_ADMIN_BODY = 256 * 1024

const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.string() }) })
const IdParam = v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/, 'must be a number'), v.transform(Number)) })

/**
 * /admin: rules, fallbacks, the owner map and the local directory over REST, a simulator, and the
 * decision log. Every route but the OpenAPI document and its reference page needs ADMIN_TOKEN.
 */
export const createAdminApi = ({ db, config, log, router, adapters }: AdminApiOptions) => {
  const admin = new Hono()

  const requireToken = adminToken(config)
  admin.use('*', async (c, next) => {
    // Exact paths: a suffix test would let /admin/calls/<provider>/docs through without a token.
    if (PUBLIC_PATHS.has(c.req.path)) return next()
    return requireToken(c, next)
  })
  // Before any body is read: a rule is a few hundred bytes, so a megabyte is a mistake or an attack.
  admin.use(
    '*',
    bodyLimit({
      maxSize: MAX_ADMIN_BODY,
      onError: (c) => c.json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the body is over ${MAX_ADMIN_BODY / 1024} KiB` } }, 413),
    }),
  )

  /** Valibot issues as a 400 with `field: problem` lines; nothing has been changed. */
  const json = <S extends v.GenericSchema>(schema: S) =>
    validator('json', schema, (result, c) => {
      if (!result.success) {
        const message = result.error
          .map((issue) => `${issue.path?.map((part) => (typeof part === 'object' ? String(part.key) : String(part))).join('.') || 'body'}: ${plainMessage(issue.message)}`)
          .join('; ')
        return c.json({ error: { code: 'BAD_REQUEST', message } }, 400)
      }
    })
  const idParam = validator('param', IdParam, (result, c) => {
    if (!result.success) return c.json({ error: { code: 'BAD_REQUEST', message: 'id: must be a number' } }, 400)
  })
  const badRequest = (c: Context, message: string) => c.json({ error: { code: 'BAD_REQUEST', message } }, 400)
  const notFound = (c: Context, what: string) => c.json({ error: { code: 'NOT_FOUND', message: `no ${what} with that id` } }, 404)
  const documented = (tag: string, summary: string, body?: v.GenericSchema) =>
    describeRoute({
      tags: [tag],
      summary,
      security: [{ bearer: [] }],
      ...(body ? { requestBody: { content: { 'application/json': { schema: resolver(body) } } } } : {}),
      responses: {
        200: { description: 'OK' },
        400: { description: 'Invalid input; nothing changed', content: { 'application/json': { schema: resolver(ErrorBody) } } },
        401: { description: 'Missing or wrong bearer token' },
      },
    })

  /**
   * Create / list / get / update / delete for one table. Bodies use the table's SQL column names, as people
   * see them in an SQLite tool; `check` refuses rows the service could not use (rules that do not compile).
   */
  const crud = <Row extends { id: number }>(options: {
    path: string
    tag: string
    table: SQLiteTable & { id: unknown }
    body: v.GenericSchema
    patch: v.GenericSchema
    toRow: (input: Record<string, unknown>) => Record<string, unknown>
    fromRow: (row: Row) => Record<string, unknown>
    check?: (row: Row) => string | undefined
  }) => {
    const { path, tag, table, toRow, fromRow, check } = options
    const idColumn = (table as unknown as { id: Parameters<typeof eq>[0] }).id
    const find = (id: number) => db.select().from(table).where(eq(idColumn, id)).get() as Promise<Row | undefined>

    admin.get(path, documented(tag, `List ${tag}`), async (c) => {
      const rows = (await db.select().from(table).all()) as Row[]
      return c.json(rows.map((row) => ({ ...fromRow(row), ...(check ? { problem: check(row) ?? null } : {}) })))
    })
    admin.get(`${path}/:id`, documented(tag, `Get one of ${tag}`), idParam, async (c) => {
      const row = await find(c.req.valid('param').id)
      return row ? c.json(fromRow(row)) : notFound(c, tag)
    })
    admin.post(path, documented(tag, `Create one of ${tag}`, options.body), json(options.body), async (c) => {
      const values = toRow(c.req.valid('json') as Record<string, unknown>)
      const problem = check?.({ id: 0, ...defaultsOf(table), ...values } as unknown as Row)
      if (problem) return badRequest(c, problem)
      const [created] = (await db.insert(table).values(values as never).returning().all()) as Row[]
      log.info('admin: created', { table: tag, id: created?.id })
      return c.json(fromRow(created as Row), 201)
    })
    admin.patch(`${path}/:id`, documented(tag, `Change one of ${tag}`, options.patch), idParam, json(options.patch), async (c) => {
      const id = c.req.valid('param').id
      const existing = await find(id)
      if (!existing) return notFound(c, tag)
      const changes = toRow(c.req.valid('json') as Record<string, unknown>)
      const problem = check?.({ ...existing, ...changes } as Row)
      if (problem) return badRequest(c, problem)
      if (Object.keys(changes).length > 0) await db.update(table).set(changes as never).where(eq(idColumn, id)).run()
      log.info('admin: changed', { table: tag, id })
      return c.json(fromRow((await find(id)) as Row))
    })
    admin.delete(`${path}/:id`, documented(tag, `Delete one of ${tag}`), idParam, async (c) => {
      const id = c.req.valid('param').id
      if (!(await find(id))) return notFound(c, tag)
      await db.delete(table).where(eq(idColumn, id)).run()
      log.info('admin: deleted', { table: tag, id })
      return c.body(null, 204)
    })
  }

  const timeZone = config.TIME_ZONE
  crud<typeof rules.$inferSelect>({
    path: '/rules',
    tag: 'rules',
    table: rules,
    body: RuleBody,
    patch: RulePatch,
    toRow: columnsToRow,
    fromRow: rowToColumns,
    check: (row) => {
      const compiled = compileRule(row, { timeZone })
      return compiled.ok ? undefined : compiled.reason
    },
  })
  crud<typeof fallbacks.$inferSelect>({
    path: '/fallbacks',
    tag: 'fallbacks',
    table: fallbacks,
    body: FallbackBody,
    patch: FallbackPatch,
    toRow: columnsToRow,
    fromRow: rowToColumns,
    check: (row) => {
      const compiled = compileFallback(row)
      return compiled.ok ? undefined : compiled.reason
    },
  })
  crud<typeof menuKeys.$inferSelect>({
    path: '/menu-keys',
    tag: 'menu keys',
    table: menuKeys,
    body: MenuKeyBody,
    patch: MenuKeyPatch,
    toRow: columnsToRow,
    fromRow: rowToColumns,
    check: (row) => {
      const rule = menuKeyRule(row)
      if ('reason' in rule) return rule.reason
      const compiled = compileRule(rule.row, { timeZone })
      return compiled.ok ? undefined : compiled.reason
    },
  })
  crud<typeof owners.$inferSelect>({
    path: '/owners',
    tag: 'owners',
    table: owners,
    body: OwnerBody,
    patch: OwnerPatch,
    toRow: columnsToRow,
    fromRow: rowToColumns,
    check: (row) => (row.crmOwnerId || row.email ? undefined : 'crm_owner_id or email: give at least one, to match the CRM owner'),
  })
  crud<typeof contacts.$inferSelect>({
    path: '/contacts',
    tag: 'contacts',
    table: contacts,
    body: ContactBody,
    patch: ContactPatch,
    toRow: (input) => {
      const row = columnsToRow(input)
      // Numbers are stored in E.164 so the directory finds them whatever format the caller ID comes in.
      for (const key of ['phone', 'mobile'] as const) {
        if (typeof row[key] === 'string') row[key] = toE164(row[key] as string, config.VOICENTER_DEFAULT_COUNTRY) ?? row[key]
      }
      if (Array.isArray(row.tags)) row.tags = row.tags.join(',')
      if (row.fields && typeof row.fields === 'object') row.fields = JSON.stringify(row.fields)
      if (Object.keys(row).length > 0) row.updatedAt = new Date().toISOString()
      return row
    },
    fromRow: (row) => ({
      ...rowToColumns(row),
      tags: row.tags ? row.tags.split(',').map((tag) => tag.trim()).filter(Boolean) : [],
      fields: safeJson(row.fields) ?? {},
    }),
    check: (row) => (row.phone && !row.phone.startsWith('+') ? `phone: "${row.phone}" is not a phone number` : undefined),
  })

  // The simulator: the live pipeline without side effects (no call state, no decision log, no CRM logging).
  admin.post('/simulate', documented('simulator', 'Run a call through the rules without side effects', Simulation), json(Simulation), async (c) =>
    c.json(await runSimulation(router, adapters, c.req.valid('json') as SimulationInput, new URL(c.req.url).origin)),
  )

  // Decision log: recent calls with filters, one call's trace, retention.
  const DecisionQuery = v.object({
    caller: v.optional(v.string()),
    did: v.optional(v.string()),
    call: v.optional(v.string()),
    rule: v.optional(v.string()),
    outcome: v.optional(v.picklist(['found', 'not_found', 'error'])),
    action: v.optional(v.string()),
    provider: v.optional(v.string()),
    from: v.optional(v.pipe(v.string(), v.isoTimestamp())),
    to: v.optional(v.pipe(v.string(), v.isoTimestamp())),
    limit: v.optional(v.pipe(v.string(), v.transform(Number), v.integer(), v.minValue(1), v.maxValue(1000)), '100'),
    unmask: v.optional(v.picklist(['true', 'false']), 'false'),
  })
  const query = validator('query', DecisionQuery, (result, c) => {
    if (!result.success) return badRequest(c, describeIssues(result.error as never))
  })
  admin.get('/decisions', documented('decisions', 'Recent decisions, newest first'), query, async (c) => {
    const filters = c.req.valid('query') as v.InferOutput<typeof DecisionQuery>
    const conditions: SQL[] = []
    if (filters.caller) conditions.push(eq(decisions.caller, toE164(filters.caller, config.VOICENTER_DEFAULT_COUNTRY) ?? filters.caller))
    if (filters.did) conditions.push(eq(decisions.did, filters.did))
    if (filters.call) conditions.push(eq(decisions.callId, filters.call))
    if (filters.rule) conditions.push(/^\d+$/.test(filters.rule) ? eq(decisions.ruleId, Number(filters.rule)) : eq(decisions.ruleName, filters.rule))
    if (filters.outcome) conditions.push(eq(decisions.lookupOutcome, filters.outcome))
    if (filters.action) conditions.push(eq(decisions.action, filters.action))
    if (filters.provider) conditions.push(eq(decisions.provider, filters.provider))
    if (filters.from) conditions.push(gte(decisions.at, new Date(filters.from).toISOString()))
    if (filters.to) conditions.push(lte(decisions.at, new Date(filters.to).toISOString()))
    const rows = await db
      .select()
      .from(decisions)
      .where(conditions.length > 0 ? and(...conditions) : undefined)
      .orderBy(desc(decisions.id))
      .limit(filters.limit)
      .all()
    return c.json(rows.map((row) => decisionView(row, filters.unmask === 'true')))
  })
  admin.get('/calls/:provider/:callId', documented('decisions', "One call's decisions in order"), async (c) => {
    const rows = await db
      .select()
      .from(decisions)
      .where(and(eq(decisions.provider, c.req.param('provider')), eq(decisions.callId, c.req.param('callId'))))
      .orderBy(decisions.id)
      .all()
    if (rows.length === 0) return c.json({ error: { code: 'NOT_FOUND', message: 'no decisions for that call' } }, 404)
    return c.json(rows.map((row) => decisionView(row, c.req.query('unmask') === 'true')))
  })
  const Retention = v.object({ older_than_days: v.pipe(v.number(), v.integer(), v.minValue(1)) })
  admin.post('/decisions/purge', documented('decisions', 'Delete decisions older than N days', Retention), json(Retention), async (c) => {
    const days = (c.req.valid('json') as v.InferOutput<typeof Retention>).older_than_days
    const deleted = await purgeDecisionsOlderThan(db, days, { batchSize: config.RETENTION_BATCH_SIZE })
    log.info('admin: decisions purged', { olderThanDays: days, deleted })
    return c.json({ deleted })
  })

  admin.get(
    '/openapi.json',
    openAPIRouteHandler(admin, {
      documentation: {
        info: { title: 'ivr-crm-router admin API', version: '1.0.0', description: 'Rules, fallbacks, owners, contacts, simulator and decision log.' },
        servers: [{ url: '/admin' }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    }),
  )
  admin.get('/docs', Scalar({ url: '/admin/openapi.json', pageTitle: 'ivr-crm-router admin API' }))

  return admin
}

export const Simulation = v.object({
  provider: v.picklist(['voicenter', 'routee'], 'must be voicenter or routee'),
  /** The provider's own request body; or the fields below, which become a request in its format. */
  request: v.optional(v.unknown()),
  did: v.optional(v.string()),
  caller: v.optional(v.string()),
  dtmf: v.optional(v.string()),
  layer: v.optional(v.string()),
  attempt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  at: v.optional(v.pipe(v.string(), v.isoTimestamp('must be an ISO time such as 2026-11-22T10:00:00Z'))),
})
export type SimulationInput = v.InferOutput<typeof Simulation>

/** Used by POST /admin/simulate and `npm run simulate`. */
export const runSimulation = async (
  router: CallRouter,
  adapters: Record<string, ProviderAdapter>,
  input: SimulationInput,
  origin = 'http://localhost',
) => {
  const adapter = adapters[input.provider] as ProviderAdapter
  const body =
    input.request ??
    (input.provider === 'voicenter'
      ? {
          METHOD: 'IVR_LAYER_INPUT',
          DATA: { DID: input.did ?? '', CALLER_ID: input.caller ?? '', IVR_UNIQUE_ID: 'simulated', DTMF: input.dtmf || '0', LAYER_ID: input.layer ?? '' },
        }
      : { messageId: 'simulated', conversationTrackingId: 'simulated', from: input.caller ?? '', to: input.did ?? '' })
  return router.simulate(adapter, { method: 'POST', query: {}, body, origin }, input.at ? new Date(input.at) : new Date(), input.attempt)
}

/**
 * Bearer ADMIN_TOKEN, compared in constant time; without a configured token the endpoint is off (404).
 * Guards /admin and /metrics.
 */
export const adminToken =
  (config: Pick<Config, 'ADMIN_TOKEN'>): MiddlewareHandler =>
  async (c, next) => {
    if (!config.ADMIN_TOKEN) return c.json({ error: { code: 'DISABLED', message: 'set ADMIN_TOKEN to use this endpoint' } }, 404)
    const given = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!given || !(await timingSafeEqual(given, config.ADMIN_TOKEN))) {
      return c.json({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } }, 401)
    }
    await next()
  }

/** Phone numbers keep their country code and last two digits: enough to tell calls apart in a log. */
export const maskPhone = (value: string | null): string | null =>
  value ? value.replace(/^(\+?\d{1,3})(\d*)(\d{2})$/, (_, head: string, middle: string, tail: string) => `${head}${'•'.repeat(middle.length)}${tail}`) : value

const decisionView = (row: typeof decisions.$inferSelect, unmask: boolean) => ({
  ...rowToColumns(row),
  caller: unmask ? row.caller : maskPhone(row.caller),
  request: unmask ? safeJson(row.request) ?? row.request : undefined,
  lookups: safeJson(row.lookups),
  answer: safeJson(row.answer) ?? row.answer,
})

/** Valibot's key messages, said the way a person fixing the request needs them. */
const plainMessage = (message: string) =>
  message.startsWith('Invalid key: Expected never') ? 'is not a field here' : /^Invalid key: Expected ".*" but received undefined$/.test(message) ? 'is required' : message

const safeJson = (text: string | null | undefined): unknown => {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const snake = (key: string) => key.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`)
const camel = (key: string) => key.replace(/_([a-z])/g, (_, char: string) => char.toUpperCase())

/** API bodies use the SQL column names; drizzle rows use camelCase. */
const columnsToRow = (input: Record<string, unknown>) => {
  const row: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    row[camel(key)] = key === 'options' && value !== null && typeof value === 'object' ? JSON.stringify(value) : value
  }
  return row
}

const rowToColumns = (row: Record<string, unknown>) => {
  const columns: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) columns[snake(key)] = key === 'options' ? (safeJson(value as string) ?? value) : value
  return columns
}

const defaultsOf = (table: SQLiteTable): Record<string, unknown> =>
  table === rules
    ? { name: '', priority: 100, enabled: 1, identifyBy: 'caller' }
    : table === fallbacks
      ? { name: '', enabled: 1 }
      : table === menuKeys
        ? { priority: 1000, enabled: 1, say: null }
        : {}
