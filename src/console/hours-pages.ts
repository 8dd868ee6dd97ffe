import { asc, eq } from 'drizzle-orm'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { HolidayBody, ScheduleBody } from '../admin/admin-schemas.ts'
import { type ChangeEntry, createChangeLog } from '../admin/change-log.ts'
import { columnsToRow, rowToColumns } from '../admin/columns.ts'
import {
  checkHoliday,
  checkSchedule,
  deleteProblem,
  HOLIDAY_DEFAULTS,
  renameProblem,
  rulesNaming,
  SCHEDULE_DEFAULTS,
  scheduleIdProblem,
} from '../admin/schedule-routes.ts'
import { type HolidayRow, holidays, type ScheduleRow, schedules } from '../db/schema.ts'
import { DAY_NAMES, localClock } from '../lib/time-window.ts'
import { formatRanges, HOURS_EXAMPLE } from '../lib/weekly-hours.ts'
import { type CompiledSchedule, compileSchedules } from '../rules/schedule.ts'
import { historyTable, revertChange } from './change-history.ts'
import {
  adminOnly,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
  canEdit,
  consolePage,
  csrfField,
  type Html,
} from './console-layout.ts'
import { type FieldErrors, fieldErrorSink, formField } from './form-field.ts'
import { zonedFormat } from './wall-time.ts'

type Columns = Record<string, unknown>
type Notice = { kind: 'ok' | 'error'; text: string }
type Entity = 'schedules' | 'holidays'

const SCHEDULE_FIELDS = ['name', 'time_zone', 'hours', 'note'] as const
const HOLIDAY_FIELDS = ['schedule_id', 'date', 'end_date', 'name', 'hours'] as const
const DAY_LABELS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

/** A row's id, a change's id: whole numbers, else the page says which part of the address is wrong. */
const Id = v.pipe(v.string(), v.regex(/^[1-9]\d{0,14}$/, 'must be a whole number'), v.transform(Number))
const PageQuery = v.object({
  done: v.optional(v.pipe(v.string(), v.maxLength(500))),
  schedule: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'must be a schedule id'))),
})

/** A form's text as the admin API's JSON body: empty fields are "not set", the schedule id a number. */
const formToBody = (form: Record<string, unknown>, fields: readonly string[]): Columns => {
  const body: Columns = {}
  for (const key of fields) {
    const text = typeof form[key] === 'string' ? (form[key] as string).trim() : ''
    if (key === 'schedule_id') body.schedule_id = text === '' ? null : /^\d+$/.test(text) ? Number(text) : text
    else if (key === 'name' || key === 'date' || (key === 'hours' && fields === SCHEDULE_FIELDS)) body[key] = text
    else body[key] = text === '' ? null : text
  }
  return body
}

const scheduleErrors = fieldErrorSink(new Set(SCHEDULE_FIELDS))
const holidayErrors = fieldErrorSink(new Set(HOLIDAY_FIELDS))

/** One day or a range, as people write it: `2026-12-24 – 2026-12-26`. */
const holidayDates = (row: { date: string; endDate?: string | null }) =>
  row.endDate && row.endDate !== row.date ? `${row.date} – ${row.endDate}` : row.date

const scheduleLabel = (row: Columns | undefined, id: number) => (row?.name ? `schedule “${String(row.name)}”` : `schedule ${id}`)
const holidayLabel = (row: Columns | undefined, id: number) =>
  row
    ? `holiday ${String(row.name || row.date)} (${holidayDates({ date: String(row.date), endDate: row.end_date as string | null })})`
    : `holiday ${id}`

/** When a schedule next opens or closes, on its own clock: `Sun 29 Mar 08:00`. */
const moment = (at: Date, timeZone: string) =>
  zonedFormat('en-GB', timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
    .format(at)
    .replace(',', '')

/**
 * /console/hours: shared opening hours (schedules) and holidays that rules name in their `schedule` column,
 * with what each says now; forms checked as the admin API checks them, and their history with revert.
 */
export const hoursPages = ({ db, service, log, now = Date.now }: ConsoleDeps) => {
  const changes = createChangeLog(db, () => new Date(now()))
  const timeZone = service.config.TIME_ZONE
  const allSchedules = () => db.select().from(schedules).orderBy(asc(schedules.name)).all()
  const allHolidays = () => db.select().from(holidays).orderBy(asc(holidays.date), asc(holidays.id)).all()
  const findSchedule = async (id: number): Promise<ScheduleRow | undefined> => db.select().from(schedules).where(eq(schedules.id, id)).get()
  const findHoliday = async (id: number): Promise<HolidayRow | undefined> => db.select().from(holidays).where(eq(holidays.id, id)).get()
  const record = <Row extends Record<string, unknown>>(
    entity: Entity,
    entityId: number,
    action: ChangeEntry['action'],
    before?: Row,
    after?: Row,
  ) =>
    changes.record({
      role: 'admin',
      via: 'console',
      entity,
      entityId,
      action,
      before: before && rowToColumns(before),
      after: after && rowToColumns(after),
    })

  /** A schedule as the API checks it: the columns to store, or the errors beside their fields. */
  const validateSchedule = async (body: Columns, existing?: ScheduleRow) => {
    const errors: FieldErrors = {}
    const parsed = v.safeParse(ScheduleBody, body)
    if (!parsed.success) {
      scheduleErrors.issues(parsed.issues, errors)
      return { errors }
    }
    const values = columnsToRow(parsed.output as Columns)
    const problem =
      (await renameProblem(db, parsed.output.name, existing)) ??
      checkSchedule({ ...SCHEDULE_DEFAULTS, ...(existing ?? { id: 0 }), ...values } as ScheduleRow, timeZone).problem
    if (problem) {
      scheduleErrors.problems(problem, errors)
      return { errors }
    }
    return { values }
  }

  const validateHoliday = async (body: Columns, existing?: HolidayRow) => {
    const errors: FieldErrors = {}
    const parsed = v.safeParse(HolidayBody, body)
    if (!parsed.success) {
      holidayErrors.issues(parsed.issues, errors)
      return { errors }
    }
    const values = columnsToRow(parsed.output as Columns)
    const problem =
      (await scheduleIdProblem(db, parsed.output.schedule_id)) ??
      checkHoliday({ ...HOLIDAY_DEFAULTS, ...(existing ?? { id: 0 }), ...values } as HolidayRow).problem
    if (problem) {
      holidayErrors.problems(problem, errors)
      return { errors }
    }
    return { values }
  }

  const field = (
    key: string,
    label: string,
    hint: string,
    value: unknown,
    errors: FieldErrors,
    control?: (id: string, attributes: Html) => Html,
  ) => formField({ id: `f-${key}`, name: key, label, hint, value, problems: errors[key], control })

  const formErrors = (errors: FieldErrors) => (errors._ ? html`<p class="notice error" role="alert">${errors._.join('; ')}</p>` : '')

  const scheduleForm = (
    c: ConsoleContext,
    { action, values, errors, submit }: { action: string; values: Columns; errors: FieldErrors; submit: string },
  ) => {
    const hours = values.hours === null || values.hours === undefined ? '' : String(values.hours)
    return html`<form method="post" action="${action}" novalidate>
      ${csrfField(c)}
      ${formErrors(errors)}
      <fieldset>
        <legend>Schedule</legend>
        <div class="fields">
          ${field('name', 'Name', 'Rules name it: closed:<name> or open:<name>', values.name, errors)}
          ${field('time_zone', 'Time zone', `IANA name, e.g. Asia/Jerusalem; empty: the service’s (${timeZone})`, values.time_zone, errors)}
        </div>
        ${field(
          'hours',
          'Weekly hours',
          `Entries separated by ; — days then ranges, e.g. ${HOURS_EXAMPLE}; several ranges a day with commas (08:00-12:00, 13:00-17:00); a later entry replaces a day; days not named are closed`,
          hours,
          errors,
          (id, attributes) => html`<textarea id="${id}" name="hours"${attributes}>${hours}</textarea>`,
        )}
        ${field('note', 'Note', '', values.note, errors)}
      </fieldset>
      <p class="toolbar"><button>${submit}</button> <a href="/console/hours">Cancel</a></p>
    </form>`
  }

  const holidayForm = (
    c: ConsoleContext,
    {
      action,
      values,
      errors,
      submit,
      choices,
    }: { action: string; values: Columns; errors: FieldErrors; submit: string; choices: ScheduleRow[] },
  ) => {
    const chosen = values.schedule_id === null || values.schedule_id === undefined ? '' : String(values.schedule_id)
    const options = [['', 'every schedule'], ...choices.map((row) => [String(row.id), row.name] as const)] as const
    return html`<form method="post" action="${action}" novalidate>
      ${csrfField(c)}
      ${formErrors(errors)}
      <fieldset>
        <legend>Holiday</legend>
        <div class="fields">
          ${field('name', 'Name', 'e.g. Christmas', values.name, errors)}
          ${field(
            'schedule_id',
            'Schedule',
            '',
            chosen,
            errors,
            (id, attributes) =>
              html`<select id="${id}" name="schedule_id"${attributes}>${options.map(
                ([value, label]) => html`<option value="${value}"${chosen === value ? raw(' selected') : ''}>${label}</option>`,
              )}</select>`,
          )}
          ${field('date', 'Date', 'YYYY-MM-DD, in the schedule’s time zone', values.date, errors)}
          ${field('end_date', 'Last day', 'YYYY-MM-DD for a range of days; empty: the one day', values.end_date, errors)}
          ${field('hours', 'Special hours', 'e.g. 10:00-14:00; empty: closed all day', values.hours, errors)}
        </div>
      </fieldset>
      <p class="toolbar"><button>${submit}</button> <a href="/console/hours">Cancel</a></p>
    </form>`
  }

  const stateLine = (schedule: CompiledSchedule, at: Date) => {
    const state = schedule.state(at)
    const next = schedule.nextChange(at)
    const until = next ? ` (until ${moment(next, schedule.timeZone)})` : ''
    return state.open
      ? html`<span class="badge on">open now</span> <span class="muted">${state.holiday ? `${state.holiday.name}: special hours` : ''}${until}</span>`
      : html`<span class="badge bad">closed now</span> <span class="muted">${state.holiday ? `holiday: ${state.holiday.name}` : ''}${until}</span>`
  }

  const weekTable = (schedule: CompiledSchedule) =>
    html`<table class="week">
      <thead><tr><th>Day</th><th>Hours</th></tr></thead>
      <tbody>${DAY_NAMES.map((_, day) => {
        const ranges = schedule.week[day] ?? []
        return html`<tr${ranges.length === 0 ? raw(' class="off"') : ''}><td>${DAY_LABELS[day]}</td><td>${formatRanges(ranges)}</td></tr>`
      })}</tbody>
    </table>`

  const holidayRows = (c: ConsoleContext, rows: readonly HolidayRow[], today: string, byId: Map<number, string>) => {
    if (rows.length === 0) return html`<p class="muted">No holidays.</p>`
    // Upcoming (and current) first, soonest first; then past ones, latest first.
    const upcoming = rows.filter((row) => (row.endDate || row.date) >= today)
    const past = rows.filter((row) => (row.endDate || row.date) < today).reverse()
    return html`<table class="holidays">
      <thead><tr><th>Dates</th><th>Name</th><th>Hours</th><th>Schedule</th>${canEdit(c) ? html`<th></th>` : ''}</tr></thead>
      <tbody>${[...upcoming, ...past].map(
        (row) => html`<tr id="holiday-${row.id}"${(row.endDate || row.date) < today ? raw(' class="off"') : ''}>
          <td class="mono">${holidayDates(row)}</td>
          <td>${row.name || '—'}</td>
          <td>${row.hours?.trim() ? row.hours : 'closed all day'}</td>
          <td>${row.scheduleId === null ? 'every schedule' : (byId.get(row.scheduleId) ?? `schedule ${row.scheduleId} (gone)`)}</td>
          ${
            canEdit(c)
              ? html`<td class="actions"><a href="/console/hours/holidays/${row.id}/edit">Edit</a>
                  <form method="post" action="/console/hours/holidays/${row.id}/delete" class="inline">${csrfField(c)}<button class="link" aria-label="Delete holiday ${row.name || row.date}">Delete</button></form></td>`
              : ''
          }
        </tr>`,
      )}</tbody>
    </table>`
  }

  const listPage = async (c: ConsoleContext, notice?: Notice, code: 200 | 400 | 409 = 200) => {
    const [scheduleRows, holidayRowsAll] = await Promise.all([allSchedules(), allHolidays()])
    const book = compileSchedules(scheduleRows, holidayRowsAll, { timeZone })
    const at = new Date(now())
    const editable = canEdit(c)
    const byId = new Map(scheduleRows.map((row) => [row.id, row.name]))
    const section = async (row: ScheduleRow) => {
      const compiled = book.byName.get(row.name)
      const problem = book.invalid.find((entry) => entry.table === 'schedules' && entry.id === row.id)?.reason
      const users = await rulesNaming(db, row.name)
      const own = holidayRowsAll.filter((holiday) => holiday.scheduleId === null || holiday.scheduleId === row.id)
      const today = localClock(compiled?.timeZone ?? timeZone)(at).date
      return html`<section class="card" id="schedule-${row.id}">
        <h2>${row.name}</h2>
        <p>${compiled ? stateLine(compiled, at) : html`<span class="problem">Cannot be used: ${problem}</span>`}
          <span class="muted"> · ${row.timeZone ?? `${timeZone} (the service’s)`}</span></p>
        ${compiled ? weekTable(compiled) : html`<p class="mono">${row.hours}</p>`}
        <p class="muted">Written as <span class="mono">${row.hours || '(closed all week)'}</span>${row.note ? html` · ${row.note}` : ''}</p>
        <p>${users.length > 0 ? html`Used by ${users.join(', ')}` : html`<span class="muted">No rule names it yet: give a rule <span class="mono">closed:${row.name}</span> or <span class="mono">open:${row.name}</span>.</span>`}</p>
        <h3>Holidays</h3>
        ${holidayRows(c, own, today, byId)}
        ${
          editable
            ? html`<p class="toolbar"><a class="button secondary" href="/console/hours/holidays/new?schedule=${row.id}">Add a holiday</a>
                <a href="/console/hours/${row.id}/edit">Edit hours</a>
                <form method="post" action="/console/hours/${row.id}/delete" class="inline">${csrfField(c)}<button class="link" aria-label="Delete schedule ${row.name}">Delete</button></form></p>`
            : ''
        }
      </section>`
    }
    const orphans = holidayRowsAll.filter((row) => row.scheduleId !== null && !byId.has(row.scheduleId))
    const body = html`
      <div class="toolbar">
        ${editable ? html`<a class="button" href="/console/hours/new">New schedule</a> <a class="button secondary" href="/console/hours/holidays/new">New holiday</a>` : ''}
        <a href="/console/hours/history">History</a>
        <span class="muted">Times are each schedule’s own; changes reach calls within ${service.config.RULES_REFRESH_MS} ms.</span>
      </div>
      ${scheduleRows.length === 0 ? html`<p class="muted">No schedules yet.</p>` : await Promise.all(scheduleRows.map(section))}
      ${orphans.length > 0 ? html`<section class="card"><h2>Holidays of no schedule</h2>${holidayRows(c, orphans, localClock(timeZone)(at).date, byId)}</section>` : ''}`
    return consolePage(c, { title: 'Hours', body, notice, status: code })
  }

  const saved = (c: ConsoleContext, text: string) => c.redirect(`/console/hours?done=${encodeURIComponent(text)}`, 303)
  const badAddress = (c: ConsoleContext, name: string, message: string) =>
    consolePage(c, {
      title: 'Not a page',
      status: 400,
      notice: { kind: 'error', text: `${name}: ${message}` },
      body: html`<p><a href="/console/hours">All schedules</a></p>`,
    })
  const notFound = (c: ConsoleContext, what: string) =>
    consolePage(c, {
      title: `No such ${what}`,
      status: 404,
      body: html`<p>It may have been deleted; the history can restore it. <a href="/console/hours">All schedules</a></p>`,
    })
  const idOf = (c: ConsoleContext, name = 'id') => v.safeParse(Id, c.req.param(name))
  const invalidForm = (c: ConsoleContext, title: string, what: string, form: Html) =>
    consolePage(c, {
      title,
      status: 400,
      notice: { kind: 'error', text: `The ${what} was not saved: fix the fields marked below. Nothing was changed.` },
      body: form,
    })

  const history = (c: ConsoleContext, entries: ChangeEntry[]) =>
    historyTable(c, entries, {
      noun: 'Schedule or holiday',
      link: (entry) =>
        entry.entity === 'holidays' ? `/console/hours/holidays/${entry.entityId}/edit` : `/console/hours#schedule-${entry.entityId}`,
      label: (entry) =>
        entry.entity === 'holidays'
          ? holidayLabel(entry.after ?? entry.before, entry.entityId)
          : scheduleLabel(entry.after ?? entry.before, entry.entityId),
      revertPath: (entry) => `/console/hours/history/${entry.id}/revert`,
      describeCreated: (row) => (row.hours ? `hours ${String(row.hours)}` : 'closed all day'),
    })
  const historyPage = async (c: ConsoleContext, notice?: Notice) => {
    const [scheduleChanges, holidayChanges] = await Promise.all([
      changes.list({ entity: 'schedules', limit: 100 }),
      changes.list({ entity: 'holidays', limit: 100 }),
    ])
    const entries = [...scheduleChanges, ...holidayChanges].sort((a, b) => b.id - a.id).slice(0, 100)
    return consolePage(c, {
      title: 'Hours history',
      status: notice?.kind === 'error' ? 409 : 200,
      notice,
      body: html`<p><a href="/console/hours">All schedules</a></p>${history(c, entries)}`,
    })
  }

  /** Puts a schedule or holiday back as it was before a change; one that rules would lose is refused. */
  const revert = async (change: ChangeEntry) => {
    if (change.entity === 'holidays') {
      return revertChange<HolidayRow>({
        db,
        table: holidays,
        change,
        current: await findHoliday(change.entityId),
        defaults: HOLIDAY_DEFAULTS,
        label: holidayLabel(change.before ?? change.after, change.entityId),
        find: findHoliday,
        refuse: async (restored) => (await scheduleIdProblem(db, restored.scheduleId)) ?? checkHoliday(restored).problem,
        record: (before, after) => record('holidays', change.entityId, 'revert', before, after),
      })
    }
    const current = await findSchedule(change.entityId)
    const label = scheduleLabel(change.before ?? change.after, change.entityId)
    // Reverting a create deletes the schedule: not while rules name it.
    if (!change.before && current) {
      const problem = await deleteProblem(db, current)
      if (problem) return { error: `${label} cannot be deleted: ${problem}. Nothing was changed.` }
    }
    return revertChange<ScheduleRow>({
      db,
      table: schedules,
      change,
      current,
      defaults: SCHEDULE_DEFAULTS,
      label,
      find: findSchedule,
      refuse: async (restored) =>
        (await renameProblem(db, restored.name, current))?.replace(/^name: /, '') ?? checkSchedule(restored, timeZone).problem,
      record: (before, after) => record('schedules', change.entityId, 'revert', before, after),
    })
  }

  return new Hono<ConsoleEnv>()
    .get('/hours', (c) => {
      const query = v.safeParse(PageQuery, c.req.query())
      const done = query.success ? query.output.done : undefined
      return listPage(c, done ? { kind: 'ok', text: done } : undefined)
    })
    .get('/hours/new', adminOnly, (c) =>
      consolePage(c, {
        title: 'New schedule',
        body: scheduleForm(c, { action: '/console/hours', values: {}, errors: {}, submit: 'Create schedule' }),
      }),
    )
    .post('/hours', adminOnly, async (c) => {
      const body = formToBody(await c.req.parseBody(), SCHEDULE_FIELDS)
      const result = await validateSchedule(body)
      if (!result.values) {
        return invalidForm(
          c,
          'New schedule',
          'schedule',
          scheduleForm(c, { action: '/console/hours', values: body, errors: result.errors, submit: 'Create schedule' }),
        )
      }
      const [created] = await db
        .insert(schedules)
        .values(result.values as never)
        .returning()
        .all()
      const row = created as ScheduleRow
      await record('schedules', row.id, 'create', undefined, row)
      log.info('console: schedule created', { id: row.id })
      return saved(c, `Schedule “${row.name}” created.`)
    })
    .get('/hours/history', (c) => historyPage(c))
    .post('/hours/history/:change/revert', adminOnly, async (c) => {
      const id = idOf(c, 'change')
      if (!id.success) return badAddress(c, 'change', id.issues[0].message)
      const change = await changes.get(id.output)
      if (change?.entity !== 'schedules' && change?.entity !== 'holidays') return notFound(c, 'change')
      const outcome = await revert(change)
      return outcome.error === undefined ? saved(c, outcome.done) : historyPage(c, { kind: 'error', text: outcome.error })
    })
    .get('/hours/holidays/new', adminOnly, async (c) => {
      const query = v.safeParse(PageQuery, c.req.query())
      if (!query.success) return badAddress(c, 'schedule', 'must be a schedule id')
      return consolePage(c, {
        title: 'New holiday',
        body: holidayForm(c, {
          action: '/console/hours/holidays',
          values: { schedule_id: query.output.schedule ?? null },
          errors: {},
          submit: 'Add holiday',
          choices: await allSchedules(),
        }),
      })
    })
    .post('/hours/holidays', adminOnly, async (c) => {
      const body = formToBody(await c.req.parseBody(), HOLIDAY_FIELDS)
      const result = await validateHoliday(body)
      if (!result.values) {
        const form = holidayForm(c, {
          action: '/console/hours/holidays',
          values: body,
          errors: result.errors,
          submit: 'Add holiday',
          choices: await allSchedules(),
        })
        return invalidForm(c, 'New holiday', 'holiday', form)
      }
      const [created] = await db
        .insert(holidays)
        .values(result.values as never)
        .returning()
        .all()
      const row = created as HolidayRow
      await record('holidays', row.id, 'create', undefined, row)
      log.info('console: holiday created', { id: row.id })
      return saved(c, `Holiday ${row.name || row.date} added.`)
    })
    .get('/hours/holidays/:id/edit', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const row = await findHoliday(id.output)
      if (!row) return notFound(c, 'holiday')
      return consolePage(c, {
        title: `Edit holiday ${row.name || row.date}`,
        body: holidayForm(c, {
          action: `/console/hours/holidays/${row.id}`,
          values: rowToColumns(row),
          errors: {},
          submit: 'Save',
          choices: await allSchedules(),
        }),
      })
    })
    .post('/hours/holidays/:id', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const existing = await findHoliday(id.output)
      if (!existing) return notFound(c, 'holiday')
      const body = formToBody(await c.req.parseBody(), HOLIDAY_FIELDS)
      const result = await validateHoliday(body, existing)
      if (!result.values) {
        const form = holidayForm(c, {
          action: `/console/hours/holidays/${existing.id}`,
          values: body,
          errors: result.errors,
          submit: 'Save',
          choices: await allSchedules(),
        })
        return invalidForm(c, `Edit holiday ${existing.name || existing.date}`, 'holiday', form)
      }
      await db
        .update(holidays)
        .set(result.values as never)
        .where(eq(holidays.id, existing.id))
        .run()
      const after = (await findHoliday(existing.id)) as HolidayRow
      await record('holidays', existing.id, 'update', existing, after)
      return saved(c, `Holiday ${after.name || after.date} saved.`)
    })
    .post('/hours/holidays/:id/delete', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const existing = await findHoliday(id.output)
      if (!existing) return notFound(c, 'holiday')
      await db.delete(holidays).where(eq(holidays.id, existing.id)).run()
      await record('holidays', existing.id, 'delete', existing)
      return saved(c, `Holiday ${existing.name || existing.date} deleted; its history can restore it.`)
    })
    .get('/hours/:id/edit', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const row = await findSchedule(id.output)
      if (!row) return notFound(c, 'schedule')
      return consolePage(c, {
        title: `Edit ${row.name}`,
        body: scheduleForm(c, { action: `/console/hours/${row.id}`, values: rowToColumns(row), errors: {}, submit: 'Save' }),
      })
    })
    .post('/hours/:id', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const existing = await findSchedule(id.output)
      if (!existing) return notFound(c, 'schedule')
      const body = formToBody(await c.req.parseBody(), SCHEDULE_FIELDS)
      const result = await validateSchedule(body, existing)
      if (!result.values) {
        return invalidForm(
          c,
          `Edit ${existing.name}`,
          'schedule',
          scheduleForm(c, { action: `/console/hours/${existing.id}`, values: body, errors: result.errors, submit: 'Save' }),
        )
      }
      await db
        .update(schedules)
        .set(result.values as never)
        .where(eq(schedules.id, existing.id))
        .run()
      const after = (await findSchedule(existing.id)) as ScheduleRow
      await record('schedules', existing.id, 'update', existing, after)
      log.info('console: schedule changed', { id: existing.id })
      return saved(c, `Schedule “${after.name}” saved.`)
    })
    .post('/hours/:id/delete', adminOnly, async (c) => {
      const id = idOf(c)
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const existing = await findSchedule(id.output)
      if (!existing) return notFound(c, 'schedule')
      const problem = await deleteProblem(db, existing)
      if (problem) return listPage(c, { kind: 'error', text: `Not deleted: ${problem}.` }, 400)
      const own = await db.select().from(holidays).where(eq(holidays.scheduleId, existing.id)).all()
      await db.delete(holidays).where(eq(holidays.scheduleId, existing.id)).run()
      await db.delete(schedules).where(eq(schedules.id, existing.id)).run()
      await record('schedules', existing.id, 'delete', existing)
      for (const holiday of own) await record('holidays', holiday.id, 'delete', holiday)
      return saved(c, `Schedule “${existing.name}” deleted, with its ${own.length} holiday(s); its history can restore them.`)
    })
}
