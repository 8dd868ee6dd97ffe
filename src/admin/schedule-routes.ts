import { eq, isNotNull } from 'drizzle-orm'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import * as v from 'valibot'
import type { Database } from '../db/database.ts'
import { draftRules, type HolidayRow, holidays, type RuleRow, rules, type ScheduleRow, schedules } from '../db/schema.ts'
import { errorResponse } from '../lib/app-error.ts'
import { compileHoliday, compileSchedule, parseScheduleCondition } from '../rules/schedule.ts'
import { HolidayBody, HolidayPatch, HolidayView, RuleBody, RulePatch, ScheduleBody, SchedulePatch, ScheduleView } from './admin-schemas.ts'
import { columnsToRow, rowToColumns } from './columns.ts'
import { crudRoutes, type RowCheck } from './crud-routes.ts'
import type { RowRulesOptions } from './rules-routes.ts'

/** Column defaults the database fills in, so a new row is checked as it will be stored. */
export const SCHEDULE_DEFAULTS = { timeZone: null, note: null }
export const HOLIDAY_DEFAULTS = { scheduleId: null, endDate: null, name: '', hours: null }

/** A schedule the service could use: its hours parse and its zone exists (the API and the console). */
export const checkSchedule = (row: ScheduleRow, timeZone: string): RowCheck => {
  const compiled = compileSchedule(row, [], { timeZone })
  return compiled.ok ? {} : { problem: compiled.reason }
}

export const checkHoliday = (row: HolidayRow): RowCheck => {
  const compiled = compileHoliday(row)
  return compiled.ok ? {} : { problem: compiled.reason }
}

/** The schedule a rule's column names, or undefined (none, or not of the open:/closed: form). */
const namedSchedule = (text: string | null | undefined): string | undefined => {
  if (!text?.trim()) return undefined
  try {
    return parseScheduleCondition(text).name
  } catch {
    return undefined
  }
}

/** The live and draft rules that name a schedule, as people know them (`“Night line” (rule 4)`). */
export const rulesNaming = async (db: Database, name: string): Promise<string[]> => {
  const [live, draft] = await Promise.all([
    db.select({ id: rules.id, name: rules.name, schedule: rules.schedule }).from(rules).where(isNotNull(rules.schedule)).all(),
    db
      .select({ id: draftRules.id, name: draftRules.name, schedule: draftRules.schedule })
      .from(draftRules)
      .where(isNotNull(draftRules.schedule))
      .all(),
  ])
  const label = (kind: string) => (row: { id: number; name: string }) => `“${row.name || `${kind} ${row.id}`}” (${kind} ${row.id})`
  return [
    ...live.filter((row) => namedSchedule(row.schedule) === name).map(label('rule')),
    ...draft.filter((row) => namedSchedule(row.schedule) === name).map(label('draft rule')),
  ]
}

/** Why a rule's `schedule` names no schedule there is, or undefined. */
export const unknownScheduleProblem = async (db: Database, text: string | null | undefined): Promise<string | undefined> => {
  const name = namedSchedule(text)
  if (name === undefined) return undefined
  const found = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.name, name)).get()
  return found ? undefined : `schedule: no schedule named "${name}"`
}

/** Why a schedule may not take this name: another has it, or rules name it by its old one. */
export const renameProblem = async (db: Database, name: string, existing?: ScheduleRow): Promise<string | undefined> => {
  const other = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.name, name)).get()
  if (other && other.id !== existing?.id) return `name: a schedule named "${name}" already exists`
  if (existing && existing.name !== name) {
    const users = await rulesNaming(db, existing.name)
    if (users.length > 0) return `name: rules name this schedule "${existing.name}" (${users.join(', ')}): change them first`
  }
  return undefined
}

/** Why a schedule may not be deleted: rules still name it. */
export const deleteProblem = async (db: Database, existing: ScheduleRow): Promise<string | undefined> => {
  const users = await rulesNaming(db, existing.name)
  return users.length > 0 ? `schedule "${existing.name}" is used by ${users.join(', ')}: change those rules first` : undefined
}

export const scheduleIdProblem = async (db: Database, id: number | null | undefined): Promise<string | undefined> => {
  if (id === null || id === undefined) return undefined
  const found = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, id)).get()
  return found ? undefined : `schedule_id: no schedule with id ${id}`
}

const bodyOf = async <S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S> | undefined> => {
  const parsed = v.safeParse(schema, await c.req.json().catch(() => undefined))
  return parsed.success ? parsed.output : undefined
}

const pathId = (c: Context) => (c.req.param('id') === undefined ? undefined : Number(c.req.param('id')))

/**
 * /schedules and /holidays: shared opening hours and the days they do not hold, named by rules in their
 * `schedule` column. A schedule rules name cannot be deleted or renamed; a rule naming no schedule is refused
 * (these guards run before the rule tables' own routes). Bodies that do not validate go on to the table's
 * own route, which answers their 400.
 */
export const scheduleRoutes = ({ db, log, timeZone, changes }: RowRulesOptions) => {
  const findSchedule = (id: number) => db.select().from(schedules).where(eq(schedules.id, id)).get()

  const guardRule = (table: typeof rules | typeof draftRules, schema: typeof RuleBody | typeof RulePatch) =>
    createMiddleware(async (c, next) => {
      const body = await bodyOf(c, schema)
      if (!body) return next()
      const id = pathId(c)
      const existing = id === undefined ? undefined : ((await db.select().from(table).where(eq(table.id, id)).get()) as RuleRow | undefined)
      if (id !== undefined && !existing) return next()
      // Switching a rule off is always allowed, as the rule tables' own check allows it.
      const onlyDisabling = Object.keys(body).length === 1 && 'enabled' in body && !body.enabled
      const schedule = body.schedule !== undefined ? body.schedule : existing?.schedule
      const problem = onlyDisabling ? undefined : await unknownScheduleProblem(db, schedule)
      return problem ? errorResponse(c, 'BAD_REQUEST', problem) : next()
    })

  const guardSchedule = (schema: typeof ScheduleBody | typeof SchedulePatch) =>
    createMiddleware(async (c, next) => {
      const body = await bodyOf(c, schema)
      if (!body || body.name === undefined) return next()
      const id = pathId(c)
      const existing = id === undefined ? undefined : await findSchedule(id)
      if (id !== undefined && !existing) return next()
      const problem = await renameProblem(db, body.name, existing)
      return problem ? errorResponse(c, 'BAD_REQUEST', problem) : next()
    })

  const guardHoliday = (schema: typeof HolidayBody | typeof HolidayPatch) =>
    createMiddleware(async (c, next) => {
      const body = await bodyOf(c, schema)
      const problem = body && (await scheduleIdProblem(db, body.schedule_id))
      return problem ? errorResponse(c, 'BAD_REQUEST', problem) : next()
    })

  return new Hono()
    .post('/rules', guardRule(rules, RuleBody))
    .patch('/rules/:id', guardRule(rules, RulePatch))
    .post('/draft/rules', guardRule(draftRules, RuleBody))
    .patch('/draft/rules/:id', guardRule(draftRules, RulePatch))
    .post('/schedules', guardSchedule(ScheduleBody))
    .patch('/schedules/:id', guardSchedule(SchedulePatch))
    .delete('/schedules/:id', async (c, next) => {
      const id = pathId(c)
      const existing = id === undefined || Number.isNaN(id) ? undefined : await findSchedule(id)
      if (!existing) return next()
      const problem = await deleteProblem(db, existing)
      if (problem) return errorResponse(c, 'BAD_REQUEST', problem)
      await next()
      if (c.res.status !== 204) return
      // Its own holidays go with it (those of every schedule stay).
      const gone = await db.delete(holidays).where(eq(holidays.scheduleId, existing.id)).returning().all()
      for (const holiday of gone) {
        await changes?.record({
          role: 'admin',
          via: 'api',
          entity: 'holidays',
          entityId: holiday.id,
          action: 'delete',
          before: rowToColumns(holiday),
        })
      }
    })
    .post('/holidays', guardHoliday(HolidayBody))
    .patch('/holidays/:id', guardHoliday(HolidayPatch))
    .route(
      '/schedules',
      crudRoutes<ScheduleRow>({
        db,
        log,
        tag: 'schedules',
        names: { one: 'schedule', many: 'schedules', article: 'a' },
        table: schedules,
        body: ScheduleBody,
        patch: SchedulePatch,
        view: ScheduleView,
        defaults: SCHEDULE_DEFAULTS,
        toRow: columnsToRow,
        fromRow: rowToColumns,
        check: (row) => checkSchedule(row, timeZone),
        history: changes && { entity: 'schedules', changes },
      }),
    )
    .route(
      '/holidays',
      crudRoutes<HolidayRow>({
        db,
        log,
        tag: 'holidays',
        names: { one: 'holiday', many: 'holidays', article: 'a' },
        table: holidays,
        body: HolidayBody,
        patch: HolidayPatch,
        view: HolidayView,
        defaults: HOLIDAY_DEFAULTS,
        toRow: (input) => columnsToRow({ ...input, ...(input.end_date === '' ? { end_date: null } : {}) }),
        fromRow: rowToColumns,
        check: checkHoliday,
        history: changes && { entity: 'holidays', changes },
      }),
    )
}
