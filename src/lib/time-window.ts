/** Business hours: days of the week and a time of day range, in a time zone. */
export interface TimeWindow {
  test(at: Date): boolean
}

export const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

export interface TimeWindowSpec {
  days?: string | null
  from?: string | null
  to?: string | null
  timeZone: string
}

/** Undefined when the spec puts no limit on time. Throws with a readable reason when it is malformed. */
export const compileTimeWindow = (spec: TimeWindowSpec): TimeWindow | undefined => {
  // Check the zone even when no window uses it, so a typo shows up in rules:check.
  const clock = localClock(spec.timeZone)
  const days = spec.days?.trim() ? parseDays(spec.days) : undefined
  const hasFrom = Boolean(spec.from?.trim())
  const hasTo = Boolean(spec.to?.trim())
  if (hasFrom !== hasTo) throw new Error('time_from and time_to go together')
  if (!days && !hasFrom) return undefined
  const from = hasFrom ? parseTimeOfDay(spec.from as string, 'time_from') : 0
  const to = hasTo ? parseTimeOfDay(spec.to as string, 'time_to') : 24 * 60
  return {
    test(at) {
      const { weekday, minutes } = clock(at)
      // A window such as 22:00-06:00 runs over midnight; it belongs to the day it starts on.
      if (from <= to) return (!days || days.has(weekday)) && minutes >= from && minutes < to
      if (minutes >= from) return !days || days.has(weekday)
      return minutes < to && (!days || days.has((weekday + 6) % 7))
    },
  }
}

/** `mon-fri`, `sat,sun`, `fri-sun` as weekday numbers (0 = Sunday). Throws with a readable reason. */
export const parseDays = (text: string): Set<number> => {
  const days = new Set<number>()
  for (const part of text.toLowerCase().split(',')) {
    if (part.trim() === '') continue
    const names = part.split('-')
    if (names.length > 2) throw new Error(`"${part.trim()}" is not a day range (use e.g. mon-fri)`)
    const [first, last] = names.map((name) => dayIndex(name.trim())) as [number, number | undefined]
    if (last === undefined) {
      days.add(first)
      continue
    }
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day)
      if (day === last) break
    }
  }
  return days
}

const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']

const dayIndex = (name: string): number => {
  // "tue", "tues" and "tuesday" all mean Tuesday; "monkey" does not mean Monday.
  const index = name.length >= 3 ? FULL_DAY_NAMES.findIndex((day) => day.startsWith(name)) : -1
  if (index < 0) throw new Error(`"${name}" is not a day (use mon, tue, ... or mon-fri)`)
  return index
}

/** `HH:MM` (up to 24:00) as minutes since midnight; `column` names the value in the error. */
export const parseTimeOfDay = (text: string, column: string): number => {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim())
  const hours = Number(match?.[1])
  const minutes = Number(match?.[2])
  if (!match || hours > 24 || minutes > 59 || (hours === 24 && minutes > 0)) {
    throw new Error(`${column} "${text}" is not a time of day (use HH:MM, e.g. 09:00)`)
  }
  return hours * 60 + minutes
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** The zone's formatter, made once; throws with a readable reason when the zone is unknown. */
const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
    } catch {
      throw new Error(`"${timeZone}" is not a time zone (use an IANA name such as Asia/Jerusalem)`)
    }
    formatters.set(timeZone, formatter)
  }
  return formatter
}

/** A moment as a wall clock in a zone reads it. */
export interface LocalTime {
  /** YYYY-MM-DD */
  date: string
  /** 0 = Sunday */
  weekday: number
  /** Minutes since local midnight. */
  minutes: number
}

/** Reads moments as the zone's wall clock; the answer is kept for the current minute (its slow part is Intl). */
export const localClock = (timeZone: string): ((at: Date) => LocalTime) => {
  const format = formatterFor(timeZone)
  // formatToParts is the slow part of a rule check; the answer only changes once a minute.
  let cachedMinute = Number.NaN
  let cached: LocalTime = { date: '', weekday: 0, minutes: 0 }
  return (at: Date) => {
    const minute = Math.floor(at.getTime() / 60_000)
    if (minute === cachedMinute) return cached
    let weekday = 0
    let minutes = 0
    let year = ''
    let month = ''
    let day = ''
    for (const part of format.formatToParts(at)) {
      if (part.type === 'weekday') weekday = DAY_NAMES.indexOf(part.value.toLowerCase() as (typeof DAY_NAMES)[number])
      else if (part.type === 'hour') minutes += Number(part.value) * 60
      else if (part.type === 'minute') minutes += Number(part.value)
      else if (part.type === 'year') year = part.value
      else if (part.type === 'month') month = part.value
      else if (part.type === 'day') day = part.value
    }
    cachedMinute = minute
    cached = { date: `${year}-${month}-${day}`, weekday, minutes }
    return cached
  }
}
