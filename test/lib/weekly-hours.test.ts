import { describe, expect, it } from 'vitest'
import { formatRanges, parseDayHours, parseWeeklyHours } from '../../src/lib/weekly-hours.ts'

const SUN = 0
const MON = 1
const THU = 4
const FRI = 5
const SAT = 6

describe('parseWeeklyHours', () => {
  it('reads days then ranges, Sunday first', () => {
    const week = parseWeeklyHours('sun-thu 08:00-17:00; fri 08:00-13:00')
    expect(week[SUN]).toEqual([{ from: 480, to: 1020 }])
    expect(week[THU]).toEqual([{ from: 480, to: 1020 }])
    expect(week[FRI]).toEqual([{ from: 480, to: 780 }])
    expect(week[SAT]).toEqual([])
  })

  it('lets a later entry replace what an earlier one said of a day', () => {
    const week = parseWeeklyHours('mon-fri 08:00-17:00; fri 08:00-13:00; sun 09:00-12:00')
    expect(formatRanges(week[MON] ?? [])).toBe('08:00–17:00')
    expect(formatRanges(week[FRI] ?? [])).toBe('08:00–13:00')
    expect(formatRanges(week[SUN] ?? [])).toBe('09:00–12:00')
    expect(formatRanges(parseWeeklyHours('mon-fri 08:00-17:00; fri closed')[FRI] ?? [])).toBe('closed')
  })

  it('takes several ranges a day, day lists, full day names and new lines between entries', () => {
    const week = parseWeeklyHours('monday,wed 13:00-17:00, 08:00-12:00\nsat 22:00-02:00')
    expect(formatRanges(week[MON] ?? [])).toBe('08:00–12:00, 13:00–17:00')
    expect(week[3]).toEqual(week[MON])
    // A range past midnight belongs to the day it starts on.
    expect(week[SAT]).toEqual([{ from: 1320, to: 120 }])
    expect(parseWeeklyHours('mon 18:00-00:00')[MON]).toEqual([{ from: 1080, to: 1440 }])
    expect(parseWeeklyHours('mon 00:00-24:00')[MON]).toEqual([{ from: 0, to: 1440 }])
  })

  it('is closed all week when empty', () => {
    expect(parseWeeklyHours('  ').every((day) => day.length === 0)).toBe(true)
  })

  it.each([
    ['08:00-17:00', '"08:00-17:00" needs its days, then its hours (e.g. sun-thu 08:00-17:00; fri 08:00-13:00)'],
    ['mon-fri', '"mon-fri" needs its days, then its hours (e.g. sun-thu 08:00-17:00; fri 08:00-13:00)'],
    ['funday 08:00-17:00', '"funday 08:00-17:00": "funday" is not a day (use mon, tue, ... or mon-fri)'],
    ['mon 8-17', '"mon 8-17": "8" is not a time of day (use HH:MM, e.g. 08:00)'],
    ['mon 08:00 to 17:00', '"mon 08:00 to 17:00": "08:00 to 17:00" is not a time range (use HH:MM-HH:MM, e.g. 08:00-17:00)'],
    ['mon 25:00-26:00', '"mon 25:00-26:00": "25:00" is not a time of day (use HH:MM, e.g. 08:00)'],
    ['mon 09:00-09:00', '"mon 09:00-09:00": "09:00-09:00" is empty (it starts when it ends)'],
  ])('refuses %j with a reason', (text, reason) => {
    expect(() => parseWeeklyHours(text)).toThrow(reason)
  })
})

describe('parseDayHours', () => {
  it('reads a holiday’s special hours; empty is closed', () => {
    expect(parseDayHours('10:00-14:00')).toEqual([{ from: 600, to: 840 }])
    expect(parseDayHours('')).toEqual([])
    expect(parseDayHours('closed')).toEqual([])
  })

  it('refuses a range past midnight on one day', () => {
    expect(() => parseDayHours('22:00-02:00')).toThrow('"22:00-02:00": "22:00-02:00" ends before it starts')
  })
})
