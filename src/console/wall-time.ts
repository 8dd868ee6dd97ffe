/**
 * Times on the console's pages, in the service's TIME_ZONE (what the people in the call centre read on their
 * clocks), with web APIs only: Workers have no time-zone library.
 */

const formats = new Map<string, Intl.DateTimeFormat>()

/** An Intl format of a time zone, built once: building one costs far more than using it. */
export const zonedFormat = (locale: string, timeZone: string, options: Intl.DateTimeFormatOptions) => {
  const key = `${locale} ${timeZone} ${JSON.stringify(options)}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone, hourCycle: 'h23' })
    formats.set(key, format)
  }
  return format
}

const PARTS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
}
const READABLE: Intl.DateTimeFormatOptions = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
}

/** The wall clock of a time zone at an instant, as numbers. */
export const wallClock = (instant: number, timeZone: string) => {
  const parts = Object.fromEntries(
    zonedFormat('en-US', timeZone, PARTS)
      .formatToParts(new Date(instant))
      .map((part) => [part.type, part.value]),
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
  }
}

const pad = (value: number) => String(value).padStart(2, '0')

/** "23 Nov 2026, 10:00:05": a stored ISO time on the service's clocks. */
export const readableTime = (iso: string, timeZone: string): string => {
  const instant = Date.parse(iso)
  if (Number.isNaN(instant)) return iso
  return zonedFormat('en-GB', timeZone, READABLE).format(new Date(instant))
}

/** The value of a datetime-local field for an instant: "2026-11-23T10:00" on the service's clocks. */
export const wallTimeField = (instant: number, timeZone: string): string => {
  const clock = wallClock(instant, timeZone)
  return `${clock.year}-${pad(clock.month)}-${pad(clock.day)}T${pad(clock.hour)}:${pad(clock.minute)}`
}

/** What a datetime-local field sends: a date and a time of day, seconds optional. */
export const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

/**
 * The instant a datetime-local value names on the service's clocks; undefined when it is no real date and
 * time (31 February, 25:00). The zone's offset is read at a first guess and again at the corrected instant,
 * so a time across a daylight-saving change from the guess still gets its own offset.
 */
export const instantOfWallTime = (text: string, timeZone: string): number | undefined => {
  const match = WALL_TIME.exec(text)
  if (!match) return undefined
  const [year, month, day, hour, minute, second = 0] = match.slice(1).map((part) => Number(part ?? 0)) as number[]
  const wall = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second)
  const check = new Date(wall)
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== (month as number) - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute
  )
    return undefined
  const offsetAt = (instant: number) => {
    const clock = wallClock(instant, timeZone)
    return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second) - Math.floor(instant / 1000) * 1000
  }
  const guess = wall - offsetAt(wall)
  return wall - offsetAt(guess)
}

/** The date ("2026-11-23") and time of day ("10:00") an instant has on a time zone's clocks. */
export const wallDateAndTime = (instant: number, timeZone: string) => {
  const clock = wallClock(instant, timeZone)
  return { date: `${clock.year}-${pad(clock.month)}-${pad(clock.day)}`, time: `${pad(clock.hour)}:${pad(clock.minute)}` }
}
