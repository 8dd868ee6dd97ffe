import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm'
import { Hono } from 'hono'
import * as v from 'valibot'
import type { Database } from '../db/database.ts'
import { purgeDecisionsOlderThan } from '../db/retention.ts'
import { decisions } from '../db/schema.ts'
import { errorResponse } from '../lib/app-error.ts'
import type { Logger } from '../lib/logger.ts'
import { toE164 } from '../lib/phone.ts'
import { rowToColumns, safeJson } from './columns.ts'
import { jsonBody, queryParams } from './request-validators.ts'
import { routeDocs, TOO_LARGE } from './route-docs.ts'

export interface DecisionRoutesOptions {
  db: Database
  log: Logger
  /** Country of local numbers in the caller filter. */
  defaultCountry: string
  /** Rows per DELETE when purging. */
  batchSize: number
}

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

const Unmask = v.object({ unmask: v.optional(v.picklist(['true', 'false']), 'false') })

const Retention = v.object({ older_than_days: v.pipe(v.number(), v.integer(), v.minValue(1)) })

/** One decision as the API shows it: the stored row, with the caller masked and the request hidden unless asked. */
const DecisionView = v.looseObject({
  id: v.number(),
  at: v.string(),
  provider: v.string(),
  call_id: v.nullable(v.string()),
  caller: v.nullable(v.pipe(v.string(), v.description('Masked as +972•••••••67 unless unmask=true'))),
  request: v.optional(v.pipe(v.unknown(), v.description('The request as received (secrets redacted); only with unmask=true'))),
  lookups: v.unknown(),
  answer: v.unknown(),
})

/** Phone numbers keep their country code and last two digits: enough to tell calls apart in a log. */
export const maskPhone = (value: string | null): string | null =>
  value
    ? value.replace(
        /^(\+?\d{1,3})(\d*)(\d{2})$/,
        (_, head: string, middle: string, tail: string) => `${head}${'•'.repeat(middle.length)}${tail}`,
      )
    : value

const decisionView = (row: typeof decisions.$inferSelect, unmask: boolean) => ({
  ...rowToColumns(row),
  caller: unmask ? row.caller : maskPhone(row.caller),
  request: unmask ? (safeJson(row.request) ?? row.request) : undefined,
  lookups: safeJson(row.lookups),
  answer: safeJson(row.answer) ?? row.answer,
})

/** The decision log: recent calls with filters, one call's trace, and purging old rows. */
export const decisionRoutes = ({ db, log, defaultCountry, batchSize }: DecisionRoutesOptions) =>
  new Hono()
    .get(
      '/decisions',
      routeDocs({
        tag: 'decisions',
        summary: 'List recent decisions',
        description: 'Newest first, filtered by the query fields; phone numbers are masked unless unmask=true.',
        answer: { status: 200, description: 'The decisions', schema: v.array(DecisionView) },
        errors: { 400: 'A filter is not valid' },
      }),
      queryParams(DecisionQuery),
      async (c) => {
        const filters = c.req.valid('query') as v.InferOutput<typeof DecisionQuery>
        const conditions: SQL[] = []
        if (filters.caller) conditions.push(eq(decisions.caller, toE164(filters.caller, defaultCountry) ?? filters.caller))
        if (filters.did) conditions.push(eq(decisions.did, filters.did))
        if (filters.call) conditions.push(eq(decisions.callId, filters.call))
        if (filters.rule)
          conditions.push(/^\d+$/.test(filters.rule) ? eq(decisions.ruleId, Number(filters.rule)) : eq(decisions.ruleName, filters.rule))
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
      },
    )
    .get(
      '/calls/:provider/:callId',
      routeDocs({
        tag: 'decisions',
        summary: "Get one call's decisions",
        description: 'In the order they were made; phone numbers are masked unless unmask=true.',
        answer: { status: 200, description: "The call's decisions", schema: v.array(DecisionView) },
        errors: { 400: 'unmask is not true or false', 404: 'No decisions for that call' },
      }),
      queryParams(Unmask),
      async (c) => {
        const rows = await db
          .select()
          .from(decisions)
          .where(and(eq(decisions.provider, c.req.param('provider')), eq(decisions.callId, c.req.param('callId'))))
          .orderBy(decisions.id)
          .all()
        if (rows.length === 0) return errorResponse(c, 'NOT_FOUND', 'no decisions for that call')
        const { unmask } = c.req.valid('query') as v.InferOutput<typeof Unmask>
        return c.json(rows.map((row) => decisionView(row, unmask === 'true')))
      },
    )
    .post(
      '/decisions/purge',
      routeDocs({
        tag: 'decisions',
        summary: 'Delete decisions older than N days',
        body: Retention,
        answer: { status: 200, description: 'How many were deleted', schema: v.object({ deleted: v.number() }) },
        errors: { 400: 'Invalid input; nothing deleted', 413: TOO_LARGE },
      }),
      jsonBody(Retention),
      async (c) => {
        const days = (c.req.valid('json') as v.InferOutput<typeof Retention>).older_than_days
        const deleted = await purgeDecisionsOlderThan(db, days, { batchSize })
        log.info('admin: decisions purged', { olderThanDays: days, deleted })
        return c.json({ deleted })
      },
    )
