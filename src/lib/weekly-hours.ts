import { DAY_NAMES, parseDays, parseTimeOfDay } from './time-window.ts'

/**
 * One opening range of a day, in minutes since local midnight. `to` below `from` runs past midnight
 * (22:00-02:00): the range belongs to the day it starts on.
 */
export interface HoursRange {
  from: number
  to: number
}

/** Opening ranges per weekday, Sunday first (0 = Sunday, as Date#getDay). */
export type WeeklyHours = readonly (readonly HoursRange[])[]

export const HOURS_EXAMPLE = 'sun-thu 08:00-17:00; fri 08:00-13:00'

/**
 * Weekly opening hours: entries separated by `;` (or new lines), each `<days> <ranges>`. Days as a rule's
 * `days` column (`mon-fri`, `sat,sun`); ranges `HH:MM-HH:MM` separated by commas (`08:00-12:00, 13:00-17:00`),
 * or `closed`. A later entry that names a day replaces what an earlier one said of it, so
 * `mon-fri 08:00-17:00; fri 08:00-13:00` closes Friday at 13:00. Days no entry names are closed; empty text
 * is closed all week. Throws with a readable reason.
 */
export const parseWeeklyHours = (text: string): WeeklyHours => {
  const week: HoursRange[][] = DAY_NAMES.map(() => [])
  for (const entry of text.split(/[;\n]/)) {
    const trimmed = entry.trim()
    if (trimmed === '') continue
    const match = /^(\S+)\s+(.+)$/.exec(trimmed)
    if (!match || (match[1] as string).includes(':')) {
      throw new Error(`"${trimmed}" needs its days, then its hours (e.g. ${HOURS_EXAMPLE})`)
    }
    let days: Set<number>
    try {
      days = parseDays(match[1] as string)
    } catch (error) {
      throw new Error(`"${trimmed}": ${(error as Error).message}`)
    }
    const ranges = parseRanges(match[2] as string, { overMidnight: true, entry: trimmed })
    for (const day of days) week[day] = ranges
  }
  return week
}

/** One day's hours (a holiday's special hours): `10:00-14:00`, commas between ranges; empty = closed. */
export const parseDayHours = (text: string): HoursRange[] =>
  text.trim() === '' ? [] : parseRanges(text, { overMidnight: false, entry: text.trim() })

const parseRanges = (text: string, { overMidnight, entry }: { overMidnight: boolean; entry: string }): HoursRange[] => {
  if (/^closed$/i.test(text.trim())) return []
  const ranges = text.split(',').map((part) => {
    const range = part.trim()
    const match = /^(\S+)\s*[-–]\s*(\S+)$/.exec(range)
    if (!match) throw new Error(`"${entry}": "${range}" is not a time range (use HH:MM-HH:MM, e.g. 08:00-17:00)`)
    const from = readTime(match[1] as string, entry)
    const to = readTime(match[2] as string, entry)
    if (from === to) throw new Error(`"${entry}": "${range}" is empty (it starts when it ends)`)
    if (to < from && !overMidnight) throw new Error(`"${entry}": "${range}" ends before it starts`)
    return { from, to: to === 0 && overMidnight ? 24 * 60 : to }
  })
  return ranges.sort((a, b) => a.from - b.from)
}

const readTime = (text: string, entry: string): number => {
  try {
    return parseTimeOfDay(text, 'time')
  } catch {
    throw new Error(`"${entry}": "${text}" is not a time of day (use HH:MM, e.g. 08:00)`)
  }
}

/** Minutes since midnight as `HH:MM`. */
export const formatMinutes = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

/** A day's ranges as people read them: `08:00–12:00, 13:00–17:00`, or `closed`. */
export const formatRanges = (ranges: readonly HoursRange[]): string =>
  ranges.length === 0 ? 'closed' : ranges.map((range) => `${formatMinutes(range.from)}–${formatMinutes(range.to)}`).join(', ')
