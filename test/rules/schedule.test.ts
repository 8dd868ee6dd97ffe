import { describe, expect, it } from 'vitest'
import type { HolidayRow, ScheduleRow } from '../../src/db/schema.ts'
import { compileRule } from '../../src/rules/compile-rule.ts'
import { type DecisionDefaults, evaluate, type RuleSnapshot } from '../../src/rules/engine.ts'
import { compileRoutingRows } from '../../src/rules/rule-cache.ts'
import { type CompiledSchedule, compileHoliday, compileSchedule, compileSchedules, isCalendarDate } from '../../src/rules/schedule.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { ruleRow } from './rows.ts'

const DECISION_DEFAULTS: DecisionDefaults = { language: 'EN', maxCallDuration: 3600, maxDialDuration: 45, record: false }

const scheduleRow = (overrides: Partial<ScheduleRow> = {}): ScheduleRow => ({
  id: 1,
  name: 'Office hours',
  timeZone: 'Asia/Jerusalem',
  hours: 'sun-thu 08:00-17:00; fri 08:00-13:00',
  note: null,
  ...overrides,
})

const holidayRow = (overrides: Partial<HolidayRow> = {}): HolidayRow => ({
  id: 1,
  scheduleId: null,
  date: '2026-12-25',
  endDate: null,
  name: 'Christmas',
  hours: null,
  ...overrides,
})

const compiled = (row: Partial<ScheduleRow> = {}, holidays: Partial<HolidayRow>[] = []): CompiledSchedule => {
  const book = compileSchedules(
    [scheduleRow(row)],
    holidays.map((holiday, index) => holidayRow({ id: index + 1, ...holiday })),
    {
      timeZone: 'UTC',
    },
  )
  expect(book.invalid).toEqual([])
  return book.byName.get(row.name ?? 'Office hours') as CompiledSchedule
}

const at = (iso: string) => new Date(iso)

describe('compiled schedules', () => {
  it('is open inside its hours and says why not outside them', () => {
    const office = compiled()
    // Monday 2026-11-23, Israel is UTC+2 in winter.
    expect(office.state(at('2026-11-23T06:00:00Z'))).toMatchObject({ open: true, reason: 'Office hours is open' })
    expect(office.state(at('2026-11-23T05:59:00Z'))).toMatchObject({ open: false, reason: 'outside Office hours' })
    expect(office.state(at('2026-11-23T15:00:00Z')).open).toBe(false)
    // Friday closes at 13:00, Saturday all day.
    expect(office.state(at('2026-11-27T10:59:00Z')).open).toBe(true)
    expect(office.state(at('2026-11-27T11:00:00Z')).open).toBe(false)
    expect(office.state(at('2026-11-28T09:00:00Z')).open).toBe(false)
  })

  it('is closed on a holiday, in the schedule’s own time zone, and keeps a holiday’s special hours', () => {
    const office = compiled({}, [
      { date: '2026-12-24', endDate: '2026-12-25' },
      { date: '2026-12-31', name: 'New Year’s Eve', hours: '08:00-12:00' },
    ])
    // Thursday 24 December 10:00 in Israel.
    expect(office.state(at('2026-12-24T08:00:00Z'))).toMatchObject({ open: false, reason: 'closed (holiday: Christmas)' })
    // 23:30 UTC on the 23rd is already the 24th in Israel.
    expect(office.state(at('2026-12-23T22:30:00Z')).reason).toBe('closed (holiday: Christmas)')
    expect(office.state(at('2026-12-23T14:00:00Z')).open).toBe(true)
    expect(office.state(at('2026-12-31T09:00:00Z'))).toMatchObject({
      open: true,
      reason: 'Office hours is open (holiday hours: New Year’s Eve)',
    })
    expect(office.state(at('2026-12-31T11:00:00Z'))).toMatchObject({ open: false, reason: 'closed (holiday: New Year’s Eve)' })
  })

  it('takes the holidays of every schedule and its own, not another schedule’s', () => {
    const book = compileSchedules(
      [scheduleRow(), scheduleRow({ id: 2, name: 'Sales' })],
      [holidayRow({ id: 1, scheduleId: 2, date: '2026-11-23', name: 'Sales offsite' }), holidayRow({ id: 2, scheduleId: null })],
      { timeZone: 'UTC' },
    )
    expect(book.byName.get('Office hours')?.holidays.map((holiday) => holiday.name)).toEqual(['Christmas'])
    expect(book.byName.get('Sales')?.holidays.map((holiday) => holiday.name)).toEqual(['Sales offsite', 'Christmas'])
    expect(book.byName.get('Sales')?.state(at('2026-11-23T08:00:00Z')).reason).toBe('closed (holiday: Sales offsite)')
    expect(book.byName.get('Office hours')?.state(at('2026-11-23T08:00:00Z')).open).toBe(true)
  })

  it('keeps a range past midnight open into the next day, unless that range began on a holiday', () => {
    const night = compiled({ name: 'Night line', timeZone: 'UTC', hours: 'fri 22:00-02:00' }, [{ date: '2026-12-25' }])
    expect(night.state(at('2026-11-28T01:30:00Z')).open).toBe(true)
    expect(night.state(at('2026-11-28T02:00:00Z')).open).toBe(false)
    // Friday 25 December is a holiday: the night does not open, nor carry into Saturday.
    expect(night.state(at('2026-12-25T23:00:00Z')).open).toBe(false)
    expect(night.state(at('2026-12-26T01:00:00Z')).open).toBe(false)
  })

  it('follows the wall clock across daylight saving time (Asia/Jerusalem, March and October)', () => {
    const office = compiled()
    // Israel moves to UTC+3 on Friday 27 March 2026: 08:00 is 06:00Z on Thursday, 05:00Z on Sunday.
    expect(office.state(at('2026-03-26T05:30:00Z')).open).toBe(false)
    expect(office.state(at('2026-03-26T06:00:00Z')).open).toBe(true)
    expect(office.state(at('2026-03-29T05:00:00Z')).open).toBe(true)
    expect(office.state(at('2026-03-29T04:59:00Z')).open).toBe(false)
    // And back to UTC+2 on Sunday 25 October 2026.
    expect(office.state(at('2026-10-22T05:00:00Z')).open).toBe(true)
    expect(office.state(at('2026-10-25T05:30:00Z')).open).toBe(false)
    expect(office.state(at('2026-10-25T06:00:00Z')).open).toBe(true)
  })

  it('follows Europe/London across its change of clocks', () => {
    const london = compiled({ name: 'London', timeZone: 'Europe/London', hours: 'mon-fri 09:00-17:00' })
    expect(london.state(at('2026-03-27T08:30:00Z')).open).toBe(false)
    expect(london.state(at('2026-03-30T08:30:00Z')).open).toBe(true)
    expect(london.state(at('2026-10-23T16:30:00Z')).open).toBe(false)
    expect(london.state(at('2026-10-26T16:30:00Z')).open).toBe(true)
  })

  it('says when it next opens or closes, across a change of clocks', () => {
    const office = compiled()
    // Friday 27 March 2026, 14:00 in Israel (UTC+3 since 02:00 that night): closed until Sunday 08:00 = 05:00Z.
    expect(office.nextChange(at('2026-03-27T11:00:00Z'))?.toISOString()).toBe('2026-03-29T05:00:00.000Z')
    expect(office.nextChange(at('2026-11-23T08:00:00Z'))?.toISOString()).toBe('2026-11-23T15:00:00.000Z')
    expect(compiled({ hours: '' }).nextChange(at('2026-11-23T08:00:00Z'))).toBeUndefined()
  })

  it('lists schedules and holidays it cannot use, with the reason', () => {
    const book = compileSchedules(
      [scheduleRow({ hours: 'mon 8-17' }), scheduleRow({ id: 2, name: 'Mars', timeZone: 'Mars/Olympus' })],
      [holidayRow({ date: '2026-02-30' })],
      { timeZone: 'UTC' },
    )
    expect(book.byName.size).toBe(0)
    expect(book.invalid).toEqual([
      { table: 'holidays', id: 1, name: 'Christmas', reason: 'date: "2026-02-30" is not a date (use YYYY-MM-DD, e.g. 2026-12-25)' },
      { table: 'schedules', id: 1, name: 'Office hours', reason: 'hours: "mon 8-17": "8" is not a time of day (use HH:MM, e.g. 08:00)' },
      {
        table: 'schedules',
        id: 2,
        name: 'Mars',
        reason: 'time_zone: "Mars/Olympus" is not a time zone (use an IANA name such as Asia/Jerusalem)',
      },
    ])
    expect(compileHoliday(holidayRow({ endDate: '2026-12-20' }))).toEqual({
      ok: false,
      reason: 'end_date: 2026-12-20 is before date 2026-12-25',
    })
    expect(compileSchedule(scheduleRow({ timeZone: null }), [], { timeZone: 'Europe/London' })).toMatchObject({
      ok: true,
      value: { timeZone: 'Europe/London' },
    })
    expect(isCalendarDate('2028-02-29')).toBe(true)
    expect(isCalendarDate('2026-2-3')).toBe(false)
  })
})

describe('rules naming a schedule', () => {
  const rows = (schedule: string, extra: Partial<HolidayRow>[] = []) => ({
    rules: [
      ruleRow({ id: 1, name: 'After hours', identifyBy: 'none', schedule, action: 'voicemail', toLayer: null }),
      ruleRow({ id: 2, name: 'Reception', identifyBy: 'none', toLayer: '12' }),
    ],
    fallbacks: [],
    menuKeys: [],
    schedules: [scheduleRow()],
    holidays: [holidayRow(), ...extra.map((holiday, index) => holidayRow({ id: index + 2, ...holiday }))],
  })
  const run = (snapshot: RuleSnapshot, when: string) =>
    evaluate(snapshot, { event: sampleCall(), at: at(when), attempt: 1, lookups: {} }, DECISION_DEFAULTS, () => undefined)

  it('answers while its schedule is closed, and the trace and the decision say why', () => {
    const snapshot = compileRoutingRows(rows('closed:Office hours'), 7, { timeZone: 'UTC' })
    expect(snapshot.invalid).toEqual([])
    const christmas = run(snapshot, '2026-12-25T08:00:00Z')
    expect(christmas).toMatchObject({ rule: { id: 1 }, decision: { action: 'voicemail' }, reason: 'schedule: closed (holiday: Christmas)' })
    expect(christmas.trace).toEqual([{ ruleId: 1, name: 'After hours', matched: true, reason: 'schedule: closed (holiday: Christmas)' }])
    expect(run(snapshot, '2026-11-28T08:00:00Z')).toMatchObject({ rule: { id: 1 }, reason: 'schedule: outside Office hours' })
    const open = run(snapshot, '2026-11-23T08:00:00Z')
    expect(open.rule).toEqual({ id: 2, name: 'Reception' })
    expect(open.trace[0]).toEqual({ ruleId: 1, name: 'After hours', matched: false, reason: 'schedule: Office hours is open' })
  })

  it('with open: answers only inside the hours', () => {
    const snapshot = compileRoutingRows(rows('open:Office hours'), 7, { timeZone: 'UTC' })
    expect(run(snapshot, '2026-11-23T08:00:00Z').rule?.id).toBe(1)
    expect(run(snapshot, '2026-12-25T08:00:00Z').trace[0]?.reason).toBe('schedule: closed (holiday: Christmas)')
  })

  it('skips, with the reason, a rule naming no schedule or one that cannot be used; checks the form alone without schedules', () => {
    const unknown = compileRoutingRows(rows('closed:Ofice hours'), 7, { timeZone: 'UTC' })
    expect(unknown.rules.map((compiled) => compiled.id)).toEqual([2])
    expect(unknown.invalid).toEqual([{ table: 'rules', id: 1, name: 'After hours', reason: 'schedule: no schedule named "Ofice hours"' }])
    const broken = compileRoutingRows({ ...rows('closed:Office hours'), schedules: [scheduleRow({ hours: 'sun 9' })] }, 7, {
      timeZone: 'UTC',
    })
    expect(broken.invalid.map((row) => row.reason)).toEqual([
      'hours: "sun 9": "9" is not a time range (use HH:MM-HH:MM, e.g. 08:00-17:00)',
      'schedule: schedule "Office hours" cannot be used (hours: "sun 9": "9" is not a time range (use HH:MM-HH:MM, e.g. 08:00-17:00))',
    ])
    expect(compileRule(ruleRow({ schedule: 'closed:Anything' }), { timeZone: 'UTC' }).ok).toBe(true)
    expect(compileRule(ruleRow({ schedule: 'Office hours' }), { timeZone: 'UTC' })).toEqual({
      ok: false,
      reason: 'schedule: "Office hours" must be open:<schedule name> or closed:<schedule name> (e.g. closed:Office hours)',
    })
  })

  it('keeps the schedules of a revision compiled from rows without them (publications made before schedules)', () => {
    const old = compileRoutingRows({ rules: [ruleRow()], fallbacks: [], menuKeys: [] }, 3, { timeZone: 'UTC' })
    expect(old.rules).toHaveLength(1)
    expect(old.schedules?.size).toBe(0)
  })
})
