import { and, asc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { CALL_LOG_KIND } from '../crm/call-log-outbox.ts'
import type { Database } from '../db/database.ts'
import { callState, decisions, outbox } from '../db/schema.ts'
import { type CallFilters, LOOKUP_OUTCOMES } from './calls-filters.ts'

/** Calls per page of the list. */
export const CALLS_PER_PAGE = 50
/**
 * Decisions one page looks through at most (by id, newest first). A rare filter (a rule that fired twice
 * this week) would otherwise read the whole period; past this the page shows what it found and offers to
 * search on from where it stopped. About 50 ms on SQLite for the rarest filter.
 */
export const SCAN_WINDOW = 50_000
/** Steps of one call shown at most (a call looping in an IVR menu can make hundreds). */
export const TIMELINE_STEPS = 300
/** CRM call logs of one call shown at most (one per CRM, and one more for each step after a delivery). */
const TIMELINE_CALL_LOGS = 50
/**
 * How far a decision's order by time may differ from its order by id: `at` is when the request came in, the
 * id when its row was written, so a slow lookup writes its row after a quicker, later one (by seconds: the
 * lookup deadline). The time range becomes an id range this much wider, and each row is still checked
 * against the range itself.
 */
const ID_TIME_SLACK_MS = 60_000

/** A status callback's action in the decision log (call-router's recordStatus). */
const STATUS = 'status:%'

export type DecisionRecord = typeof decisions.$inferSelect
export type CallLogRecord = typeof outbox.$inferSelect
export type CallStateRecord = typeof callState.$inferSelect

/** One row of the list: a call as its steps tell it. */
export interface CallSummary {
  provider: string
  /** Null for a request that could not be read far enough to name its call (one step, shown alone). */
  callId: string | null
  /** The id of the call's first step: the list's order and its page cursor. */
  firstId: number
  startedAt: string
  caller: string | null
  did: string | null
  /** Requests routed (call steps), and status callbacks received. */
  steps: number
  notices: number
  last?: Pick<DecisionRecord, 'ruleId' | 'ruleName' | 'action' | 'lookupOutcome'>
  /** The last status the provider reported (e.g. "completed"). */
  lastStatus?: string
  /** Steps answered without a rule, and why the last of them was. */
  fallbacks: number
  fallbackReason?: string | null
}

export interface CallPage {
  calls: CallSummary[]
  /** The cursor of the next (older) page, when there may be one. */
  older?: number
  /** Set when the page stopped at SCAN_WINDOW before the start of the period: the time it searched back to. */
  searchedBackTo?: string
}

interface FirstStep {
  id: number
  at: string
  provider: string
  call_id: string | null
  caller: string | null
  did: string | null
}

interface CallTotals {
  provider: string
  call_id: string
  steps: number
  notices: number
  fallbacks: number
  last_step_id: number | null
  last_status_id: number | null
  last_fallback_id: number | null
}

const rows = async <Row>(db: Database, query: SQL) => (await db.all<Row>(query)) as Row[]

/** What a step must have done for its call to be listed (rule and outcome filters), on the step aliased `step`. */
const stepCondition = (filters: CallFilters, step: 'd' | 's'): SQL | undefined => {
  const column = (name: string) => sql.raw(`${step}.${name}`)
  const parts: SQL[] = []
  if (filters.rule)
    parts.push('id' in filters.rule ? sql`${column('rule_id')} = ${filters.rule.id}` : sql`${column('rule_name')} = ${filters.rule.name}`)
  const { outcome } = filters
  if (outcome === 'fallback')
    parts.push(sql`${column('rule_id')} IS NULL AND (${column('action')} IS NULL OR ${column('action')} NOT LIKE ${STATUS})`)
  else if (outcome && LOOKUP_OUTCOMES.includes(outcome)) parts.push(sql`${column('lookup_outcome')} = ${outcome}`)
  else if (outcome) parts.push(sql`${column('action')} = ${outcome}`)
  return parts.length > 0 ? sql.join(parts, sql` AND `) : undefined
}

/**
 * A page of calls, newest first by when they started. A call is listed by its first step (the earliest
 * decision of its provider and call id, found through the decisions_call index): that step started in the
 * period, came from the number and provider asked for; the rule and outcome filters match any of its steps.
 * The period becomes an id range through the decisions_at index, and the page walks ids downwards from the
 * cursor: through the primary key, reading at most SCAN_WINDOW decisions, so no filter reads the whole table;
 * or, for a number, through decisions_caller, which reads that caller's decisions only. Then the listed
 * calls' steps are counted through decisions_call.
 */
export const listCalls = async (db: Database, filters: CallFilters): Promise<CallPage> => {
  const from = new Date(filters.from).toISOString()
  const to = filters.to === undefined ? undefined : new Date(filters.to).toISOString()
  // The period's ids: after the last decision that came in well before it, up to the first that came in
  // well after it (or the newest).
  const [beforePeriod] = await rows<{ id: number }>(
    db,
    sql`SELECT id FROM decisions WHERE at < ${new Date(filters.from - ID_TIME_SLACK_MS).toISOString()} ORDER BY at DESC LIMIT 1`,
  )
  const [afterPeriod] = await rows<{ id: number | null }>(
    db,
    to === undefined
      ? sql`SELECT max(id) + 1 AS id FROM decisions`
      : sql`SELECT coalesce(
          (SELECT id FROM decisions WHERE at > ${new Date((filters.to as number) + ID_TIME_SLACK_MS).toISOString()} ORDER BY at LIMIT 1),
          (SELECT max(id) + 1 FROM decisions)) AS id`,
  )
  if (!afterPeriod || afterPeriod.id === null) return { calls: [] }
  const periodStart = (beforePeriod?.id ?? 0) + 1
  const upper = Math.min(filters.before ?? Number.MAX_SAFE_INTEGER, afterPeriod.id)
  // A number's decisions come straight from decisions_caller, however long the period: no window needed.
  const lower = filters.callerForms ? periodStart : Math.max(periodStart, upper - SCAN_WINDOW)
  if (upper <= lower) return { calls: [] }

  const step = stepCondition(filters, 's')
  // `+d.at` and `+d.provider`: those terms are checked on the rows the id range gives, never used to pick
  // another index (the whole period through decisions_at, then sorted, would read far more).
  const found = await rows<{ id: number }>(
    db,
    sql`SELECT d.id AS id FROM decisions d
      WHERE d.id < ${upper} AND d.id >= ${lower} AND +d.at >= ${from}
        ${to === undefined ? sql`` : sql`AND +d.at <= ${to}`}
        ${filters.provider ? sql`AND +d.provider = ${filters.provider}` : sql``}
        ${
          filters.callerForms
            ? sql`AND d.caller IN (${sql.join(
                filters.callerForms.map((form) => sql`${form}`),
                sql`, `,
              )})`
            : sql``
        }
        AND (d.call_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM decisions e WHERE e.provider = d.provider AND e.call_id = d.call_id AND e.id < d.id))
        ${
          step
            ? sql`AND CASE WHEN d.call_id IS NULL THEN (${stepCondition(filters, 'd')}) ELSE EXISTS (
                SELECT 1 FROM decisions s WHERE s.provider = d.provider AND s.call_id = d.call_id AND ${step}) END`
            : sql``
        }
      ORDER BY d.id DESC LIMIT ${CALLS_PER_PAGE + 1}`,
  )
  const page = found.slice(0, CALLS_PER_PAGE)
  const calls = await summarise(
    db,
    page.map(({ id }) => id),
  )
  if (found.length > CALLS_PER_PAGE) return { calls, older: page[page.length - 1]?.id }
  if (lower > periodStart) {
    const [edge] = await rows<{ at: string }>(db, sql`SELECT at FROM decisions WHERE id >= ${lower} ORDER BY id LIMIT 1`)
    return { calls, older: lower, searchedBackTo: edge?.at }
  }
  return { calls }
}

/** The list's rows for calls given by their first steps' ids, in that order. */
const summarise = async (db: Database, firstIds: number[]): Promise<CallSummary[]> => {
  if (firstIds.length === 0) return []
  // One parameter holding the ids as JSON: D1 binds at most 100 parameters to a statement.
  const firsts = await rows<FirstStep>(
    db,
    sql`SELECT id, at, provider, call_id, caller, did FROM decisions WHERE id IN (SELECT value FROM json_each(${JSON.stringify(firstIds)}))`,
  )
  const named = firsts.filter((row) => row.call_id !== null)
  const totals =
    named.length === 0
      ? []
      : await rows<CallTotals>(
          db,
          sql`SELECT provider, call_id, count(*) - count(CASE WHEN action LIKE ${STATUS} THEN 1 END) AS steps,
              count(CASE WHEN action LIKE ${STATUS} THEN 1 END) AS notices,
              count(CASE WHEN rule_id IS NULL AND (action IS NULL OR action NOT LIKE ${STATUS}) THEN 1 END) AS fallbacks,
              max(CASE WHEN action IS NULL OR action NOT LIKE ${STATUS} THEN id END) AS last_step_id,
              max(CASE WHEN action LIKE ${STATUS} THEN id END) AS last_status_id,
              max(CASE WHEN rule_id IS NULL AND (action IS NULL OR action NOT LIKE ${STATUS}) THEN id END) AS last_fallback_id
            FROM decisions
            WHERE (provider, call_id) IN (
              SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${JSON.stringify(named.map((row) => [row.provider, row.call_id]))}))
            GROUP BY provider, call_id`,
        )
  const totalsOf = new Map(totals.map((total) => [`${total.provider}\u0000${total.call_id}`, total]))
  const detailIds = totals
    .flatMap((total) => [total.last_step_id, total.last_status_id, total.last_fallback_id])
    .filter((id) => id !== null)
  const lone = firsts.filter((row) => row.call_id === null).map((row) => row.id)
  const details =
    detailIds.length + lone.length === 0
      ? []
      : await db
          .select({
            id: decisions.id,
            ruleId: decisions.ruleId,
            ruleName: decisions.ruleName,
            action: decisions.action,
            lookupOutcome: decisions.lookupOutcome,
            reason: decisions.reason,
          })
          .from(decisions)
          .where(inArray(decisions.id, sql`(SELECT value FROM json_each(${JSON.stringify([...detailIds, ...lone])}))`))
          .all()
  const detail = new Map(details.map((row) => [row.id, row]))
  const byId = new Map(firsts.map((row) => [row.id, row]))
  return firstIds.flatMap((id) => {
    const first = byId.get(id)
    if (!first) return []
    const base = { provider: first.provider, callId: first.call_id, firstId: id, startedAt: first.at, caller: first.caller, did: first.did }
    if (first.call_id === null) {
      const only = detail.get(id)
      const notice = only?.action?.startsWith('status:') ?? false
      const fallback = !notice && only?.ruleId === null
      return [
        {
          ...base,
          steps: notice ? 0 : 1,
          notices: notice ? 1 : 0,
          last: notice ? undefined : only,
          fallbacks: fallback ? 1 : 0,
          fallbackReason: fallback ? only?.reason : undefined,
        },
      ]
    }
    const total = totalsOf.get(`${first.provider}\u0000${first.call_id}`)
    const lastStep = total?.last_step_id ? detail.get(total.last_step_id) : undefined
    const lastStatus = total?.last_status_id ? detail.get(total.last_status_id)?.action?.slice('status:'.length) : undefined
    return [
      {
        ...base,
        steps: Number(total?.steps ?? 0),
        notices: Number(total?.notices ?? 0),
        last: lastStep,
        lastStatus,
        fallbacks: Number(total?.fallbacks ?? 0),
        fallbackReason: total?.last_fallback_id ? detail.get(total.last_fallback_id)?.reason : undefined,
      },
    ]
  })
}

export interface CallRecord {
  steps: DecisionRecord[]
  /** More steps than TIMELINE_STEPS were recorded; the first ones are shown. */
  truncated: boolean
  state?: CallStateRecord
  logs: CallLogRecord[]
}

/**
 * One call: its steps in time order (requests routed and status callbacks, as the decision log has them),
 * its call state and its CRM call logs. The logs are looked up through outbox_call with the CRMs its
 * contacts came from: a call log is only ever queued for the CRM of a contact a step found.
 */
export const loadCall = async (db: Database, provider: string, callId: string): Promise<CallRecord | undefined> => {
  const steps = await db
    .select()
    .from(decisions)
    .where(and(eq(decisions.provider, provider), eq(decisions.callId, callId)))
    .orderBy(asc(decisions.at), asc(decisions.id))
    .limit(TIMELINE_STEPS + 1)
    .all()
  if (steps.length === 0) return undefined
  const crms = [
    ...new Set(steps.flatMap((row) => (row.contactId?.includes(':') ? [row.contactId.slice(0, row.contactId.indexOf(':'))] : []))),
  ]
  const [state] = await db
    .select()
    .from(callState)
    .where(and(eq(callState.provider, provider), eq(callState.callId, callId)))
    .all()
  const logs =
    crms.length === 0
      ? []
      : await db
          .select()
          .from(outbox)
          .where(
            and(inArray(outbox.plugin, crms), eq(outbox.kind, CALL_LOG_KIND), eq(outbox.provider, provider), eq(outbox.callId, callId)),
          )
          .orderBy(asc(outbox.id))
          .limit(TIMELINE_CALL_LOGS)
          .all()
  return { steps: steps.slice(0, TIMELINE_STEPS), truncated: steps.length > TIMELINE_STEPS, state, logs }
}

/** A step recorded without a call id (a request that could not be read far enough), shown alone. */
export const loadLoneStep = async (db: Database, id: number): Promise<CallRecord | undefined> => {
  const steps = await db
    .select()
    .from(decisions)
    .where(and(eq(decisions.id, id), isNull(decisions.callId)))
    .all()
  return steps.length === 0 ? undefined : { steps, truncated: false, logs: [] }
}
