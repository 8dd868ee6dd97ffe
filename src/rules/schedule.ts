import type { HolidayRow, ScheduleRow } from '../db/schema.ts'
import { errorMessage } from '../lib/logger.ts'
import { type LocalTime, localClock } from '../lib/time-window.ts'
import { type HoursRange, parseDayHours, parseWeeklyHours, type WeeklyHours } from '../lib/weekly-hours.ts'

export interface CompiledHoliday {
  id: number
  name: string
  /** YYYY-MM-DD, first and last day (inclusive). */
  from: string
  to: string
  /** Special hours those days; none = closed all day. */
  hours: readonly HoursRange[]
}

export interface ScheduleState {
  open: boolean
  /** Why, as a trace reads it: `Office hours is open`, `outside Office hours`, `closed (holiday: Christmas)`. */
  reason: string
  /** The holiday that decided it, if one did. */
  holiday?: CompiledHoliday
}

export interface CompiledSchedule {
  id: number
  name: string
  timeZone: string
  week: WeeklyHours
  /** The holidays that apply to it (its own and those of every schedule), by first day. */
  holidays: readonly CompiledHoliday[]
  state(at: Date): ScheduleState
  /** When it next opens or closes, searched up to `withinDays` ahead; undefined when it does not. */
  nextChange(at: Date, withinDays?: number): Date | undefined
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; reason: string }

/** What a rule's `schedule` column asks: `open:<name>` or `closed:<name>`. */
export interface ScheduleCondition {
  when: 'open' | 'closed'
  name: string
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Whether the text is a real calendar day written YYYY-MM-DD. */
export const isCalendarDate = (text: string): boolean => {
  const match = DATE.exec(text)
  if (!match) return false
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === text
}

export const parseScheduleCondition = (text: string): ScheduleCondition => {
  const match = /^\s*(open|closed)\s*:\s*(.+?)\s*$/i.exec(text)
  if (!match) throw new Error(`"${text.trim()}" must be open:<schedule name> or closed:<schedule name> (e.g. closed:Office hours)`)
  return { when: (match[1] as string).toLowerCase() as ScheduleCondition['when'], name: match[2] as string }
}

export const compileHoliday = (row: HolidayRow): Compiled<CompiledHoliday> => {
  const issues: string[] = []
  if (!isCalendarDate(row.date)) issues.push(`date: "${row.date}" is not a date (use YYYY-MM-DD, e.g. 2026-12-25)`)
  const end = row.endDate?.trim() || row.date
  if (row.endDate?.trim() && !isCalendarDate(end)) issues.push(`end_date: "${end}" is not a date (use YYYY-MM-DD)`)
  else if (end < row.date) issues.push(`end_date: ${end} is before date ${row.date}`)
  let hours: HoursRange[] = []
  try {
    hours = parseDayHours(row.hours ?? '')
  } catch (error) {
    issues.push(`hours: ${errorMessage(error)}`)
  }
  if (issues.length > 0) return { ok: false, reason: issues.join('; ') }
  return { ok: true, value: { id: row.id, name: row.name.trim() || row.date, from: row.date, to: end, hours } }
}

const previousDay = (date: string): string => {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(year, month - 1, day - 1)).toISOString().slice(0, 10)
}

const within = (ranges: readonly HoursRange[], minutes: number) =>
  ranges.some((range) => (range.from < range.to ? minutes >= range.from && minutes < range.to : minutes >= range.from))

/** Every real change of a zone's UTC offset happens on a quarter hour (UTC). */
const QUARTER_HOUR_MS = 15 * 60_000
const DAY_MS = 24 * 3_600_000

/** Compiles a schedule with the holidays that apply to it; throws nothing, says what is wrong. */
export const compileSchedule = (
  row: ScheduleRow,
  holidays: readonly CompiledHoliday[],
  defaults: { timeZone: string },
): Compiled<CompiledSchedule> => {
  const timeZone = row.timeZone?.trim() || defaults.timeZone
  const issues: string[] = []
  let clock: ((at: Date) => LocalTime) | undefined
  try {
    clock = localClock(timeZone)
  } catch (error) {
    issues.push(`time_zone: ${errorMessage(error)}`)
  }
  let week: WeeklyHours = []
  try {
    week = parseWeeklyHours(row.hours)
  } catch (error) {
    issues.push(`hours: ${errorMessage(error)}`)
  }
  if (!clock || issues.length > 0) return { ok: false, reason: issues.join('; ') }
  const read = clock
  const name = row.name
  const sorted = [...holidays].sort((a, b) => a.from.localeCompare(b.from) || a.id - b.id)
  const holidayOn = (date: string) => sorted.find((holiday) => holiday.from <= date && date <= holiday.to)

  const stateAt = (local: LocalTime): ScheduleState => {
    const holiday = holidayOn(local.date)
    if (holiday) {
      return within(holiday.hours, local.minutes)
        ? { open: true, reason: `${name} is open (holiday hours: ${holiday.name})`, holiday }
        : { open: false, reason: `closed (holiday: ${holiday.name})`, holiday }
    }
    const today = week[local.weekday] ?? []
    // Yesterday's range past midnight (22:00-02:00) keeps it open until its end, unless yesterday was a holiday.
    const yesterday = week[(local.weekday + 6) % 7] ?? []
    const open =
      within(today, local.minutes) ||
      (yesterday.some((range) => range.to < range.from && local.minutes < range.to) && !holidayOn(previousDay(local.date)))
    return open ? { open, reason: `${name} is open` } : { open, reason: `outside ${name}` }
  }

  return {
    ok: true,
    value: {
      id: row.id,
      name,
      timeZone,
      week,
      holidays: sorted,
      state: (at) => stateAt(read(at)),
      nextChange(at, withinDays = 8) {
        const start = Math.floor(at.getTime() / 60_000) * 60_000
        const initial = stateAt(read(new Date(start))).open
        // Minute by minute on the wall clock, asking Intl for the zone's offset once a quarter hour only.
        let offset = 0
        for (let minute = start + 60_000; minute <= start + withinDays * DAY_MS; minute += 60_000) {
          if (minute === start + 60_000 || minute % QUARTER_HOUR_MS === 0) {
            const local = read(new Date(minute))
            offset = Date.parse(`${local.date}T00:00:00Z`) + local.minutes * 60_000 - minute
          }
          const wall = new Date(minute + offset)
          const local: LocalTime = {
            date: wall.toISOString().slice(0, 10),
            weekday: wall.getUTCDay(),
            minutes: wall.getUTCHours() * 60 + wall.getUTCMinutes(),
          }
          if (stateAt(local).open !== initial) return new Date(minute)
        }
        return undefined
      },
    },
  }
}

export interface InvalidScheduleRow {
  table: 'schedules' | 'holidays'
  id: number
  name: string
  reason: string
}

/** Every schedule by name, each with its holidays; rows that cannot be used are listed, not thrown. Pure. */
export const compileSchedules = (
  scheduleRows: readonly ScheduleRow[],
  holidayRows: readonly HolidayRow[],
  defaults: { timeZone: string },
): { byName: Map<string, CompiledSchedule>; invalid: InvalidScheduleRow[] } => {
  const invalid: InvalidScheduleRow[] = []
  const holidays: { scheduleId: number | null; holiday: CompiledHoliday }[] = []
  for (const row of holidayRows) {
    const compiled = compileHoliday(row)
    if (compiled.ok) holidays.push({ scheduleId: row.scheduleId, holiday: compiled.value })
    else invalid.push({ table: 'holidays', id: row.id, name: row.name || row.date, reason: compiled.reason })
  }
  const byName = new Map<string, CompiledSchedule>()
  for (const row of scheduleRows) {
    const own = holidays.filter((entry) => entry.scheduleId === null || entry.scheduleId === row.id).map((entry) => entry.holiday)
    const compiled = compileSchedule(row, own, defaults)
    if (compiled.ok) byName.set(row.name, compiled.value)
    else invalid.push({ table: 'schedules', id: row.id, name: row.name, reason: compiled.reason })
  }
  return { byName, invalid }
}
