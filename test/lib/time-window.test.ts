import { describe, expect, it } from 'vitest'
import { compileTimeWindow, type TimeWindowSpec } from '../../src/lib/time-window.ts'

const window = (spec: Partial<TimeWindowSpec>) => {
  const compiled = compileTimeWindow({ timeZone: 'UTC', ...spec })
  if (!compiled) throw new Error('expected a time window')
  return compiled
}

// 2026-11-20 is a Friday; 2026-11-23 a Monday.
const FRI = '2026-11-20'
const SAT = '2026-11-21'
const SUN = '2026-11-22'
const MON = '2026-11-23'
const TUE = '2026-11-24'
const WED = '2026-11-25'
const THU = '2026-11-26'

const utc = (day: string, time: string) => new Date(`${day}T${time}:00Z`)

describe('compileTimeWindow', () => {
  it.each<Partial<TimeWindowSpec>>([
    {},
    { days: null, from: null, to: null },
    { days: '', from: '', to: '' },
    { days: '   ', from: ' ', to: ' ' },
  ])('puts no limit on time for %j', (spec) => {
    expect(compileTimeWindow({ timeZone: 'UTC', ...spec })).toBeUndefined()
  })

  describe('days', () => {
    it.each([
      ['mon-fri', MON, true],
      ['mon-fri', WED, true],
      ['mon-fri', FRI, true],
      ['mon-fri', SAT, false],
      ['mon-fri', SUN, false],
      ['sat,sun', SAT, true],
      ['sat,sun', SUN, true],
      ['sat,sun', MON, false],
      ['sat, sun', SUN, true],
      ['fri-mon', FRI, true],
      ['fri-mon', SAT, true],
      ['fri-mon', SUN, true],
      ['fri-mon', MON, true],
      ['fri-mon', TUE, false],
      ['fri-mon', THU, false],
      ['sun-thu', SUN, true],
      ['sun-thu', THU, true],
      ['sun-thu', FRI, false],
      ['mon-mon', MON, true],
      ['mon-mon', TUE, false],
      ['tue-mon', SUN, true],
      ['tue-mon', MON, true],
      ['MON-Fri', TUE, true],
      ['Monday, Wednesday', WED, true],
      ['Monday, Wednesday', TUE, false],
      ['tues', TUE, true],
      [' mon - wed , fri ', FRI, true],
      [' mon - wed , fri ', THU, false],
    ])('%j on %s → %s', (days, day, expected) => {
      expect(window({ days }).test(utc(day, '12:00'))).toBe(expected)
    })

    it('covers the whole day when no hours are given', () => {
      const monday = window({ days: 'mon' })
      expect(monday.test(utc(MON, '00:00'))).toBe(true)
      expect(monday.test(utc(MON, '23:59'))).toBe(true)
      expect(monday.test(utc(SUN, '23:59'))).toBe(false)
      expect(monday.test(utc(TUE, '00:00'))).toBe(false)
    })
  })

  describe('hours', () => {
    it.each([
      ['09:00', '17:00', '09:00', true],
      ['09:00', '17:00', '08:59', false],
      ['09:00', '17:00', '12:30', true],
      ['09:00', '17:00', '16:59', true],
      ['09:00', '17:00', '17:00', false],
      ['9:00', '17:30', '09:00', true],
      ['9:00', '17:30', '17:29', true],
      ['9:00', '17:30', '17:30', false],
      ['00:00', '24:00', '00:00', true],
      ['00:00', '24:00', '23:59', true],
      ['00:00', '00:30', '00:10', true],
      ['00:00', '00:30', '00:30', false],
      ['12:00', '24:00', '23:59', true],
      ['12:00', '24:00', '11:59', false],
    ])('%s-%s at %s → %s', (from, to, time, expected) => {
      expect(window({ from, to }).test(utc(WED, time))).toBe(expected)
    })

    it('applies hours on every day when no days are given', () => {
      const hours = window({ from: '09:00', to: '17:00' })
      expect([SAT, SUN, MON].map((day) => hours.test(utc(day, '10:00')))).toEqual([true, true, true])
    })

    it('combines days and hours', () => {
      const office = window({ days: 'mon-fri', from: '09:00', to: '17:00' })
      expect(office.test(utc(MON, '10:00'))).toBe(true)
      expect(office.test(utc(MON, '18:00'))).toBe(false)
      expect(office.test(utc(SAT, '10:00'))).toBe(false)
    })
  })

  describe('overnight windows', () => {
    it.each([
      ['22:00', true],
      ['23:30', true],
      ['00:00', true],
      ['05:59', true],
      ['06:00', false],
      ['12:00', false],
      ['21:59', false],
    ])('22:00-06:00 at %s → %s', (time, expected) => {
      expect(window({ from: '22:00', to: '06:00' }).test(utc(WED, time))).toBe(expected)
    })

    it.each([
      [FRI, '23:00', true],
      [SAT, '03:00', true],
      [SAT, '06:00', false],
      [FRI, '03:00', false],
      [FRI, '21:00', false],
      [SAT, '23:00', false],
      [SUN, '02:00', false],
      [THU, '23:00', false],
    ])('fri 22:00-06:00 on %s at %s → %s', (day, time, expected) => {
      expect(window({ days: 'fri', from: '22:00', to: '06:00' }).test(utc(day, time))).toBe(expected)
    })

    it('gives the early hours to the night before', () => {
      const weeknights = window({ days: 'mon-fri', from: '20:00', to: '08:00' })
      expect(weeknights.test(utc(MON, '02:00'))).toBe(false)
      expect(weeknights.test(utc(TUE, '02:00'))).toBe(true)
      expect(weeknights.test(utc(SAT, '02:00'))).toBe(true)
      expect(weeknights.test(utc(SAT, '21:00'))).toBe(false)
      expect(weeknights.test(utc(SUN, '02:00'))).toBe(false)
    })
  })

  describe('time zones', () => {
    it.each([
      ['2026-11-23T07:30:00Z', true],
      ['2026-11-23T06:59:00Z', false],
      ['2026-11-23T07:00:00Z', true],
      ['2026-11-23T14:59:00Z', true],
      ['2026-11-23T15:00:00Z', false],
      ['2026-11-21T10:00:00Z', false],
    ])('Asia/Jerusalem mon-fri 09:00-17:00 at %s → %s', (iso, expected) => {
      const office = window({ days: 'mon-fri', from: '09:00', to: '17:00', timeZone: 'Asia/Jerusalem' })
      expect(office.test(new Date(iso))).toBe(expected)
    })

    it('takes the weekday in the zone, not in UTC', () => {
      const sundayNightUtc = new Date('2026-11-22T22:30:00Z')
      expect(window({ days: 'mon', timeZone: 'Asia/Jerusalem' }).test(sundayNightUtc)).toBe(true)
      expect(window({ days: 'mon', timeZone: 'UTC' }).test(sundayNightUtc)).toBe(false)
      const mondayEarlyUtc = new Date('2026-11-23T03:00:00Z')
      expect(window({ days: 'sun', timeZone: 'America/New_York' }).test(mondayEarlyUtc)).toBe(true)
      expect(window({ days: 'mon', timeZone: 'America/New_York' }).test(mondayEarlyUtc)).toBe(false)
    })

    it.each([
      ['2026-11-23T14:00:00Z', true],
      ['2026-11-23T13:59:00Z', false],
      ['2026-11-23T21:59:00Z', true],
      ['2026-11-23T22:00:00Z', false],
      ['2026-07-06T13:00:00Z', true],
      ['2026-07-06T12:59:00Z', false],
    ])('America/New_York 09:00-17:00 at %s → %s', (iso, expected) => {
      expect(window({ from: '09:00', to: '17:00', timeZone: 'America/New_York' }).test(new Date(iso))).toBe(expected)
    })

    it('runs an overnight window over midnight in the zone', () => {
      const night = window({ days: 'fri', from: '22:00', to: '06:00', timeZone: 'Asia/Jerusalem' })
      expect(night.test(new Date('2026-11-20T20:00:00Z'))).toBe(true)
      expect(night.test(new Date('2026-11-21T03:59:00Z'))).toBe(true)
      expect(night.test(new Date('2026-11-21T04:00:00Z'))).toBe(false)
      expect(night.test(new Date('2026-11-20T19:59:00Z'))).toBe(false)
    })
  })

  describe('malformed specs', () => {
    it.each<[Partial<TimeWindowSpec>, string]>([
      [{ days: 'funday' }, '"funday" is not a day (use mon, tue, ... or mon-fri)'],
      [{ days: 'mo' }, '"mo" is not a day'],
      [{ days: 'mon-xyz' }, '"xyz" is not a day'],
      [{ days: 'mon,weekend' }, '"weekend" is not a day'],
      [{ from: '9am', to: '17:00' }, 'time_from "9am" is not a time of day (use HH:MM, e.g. 09:00)'],
      [{ from: '09:00', to: '25:00' }, 'time_to "25:00" is not a time of day'],
      [{ from: '09:00', to: '24:01' }, 'time_to "24:01" is not a time of day'],
      [{ from: '12:60', to: '13:00' }, 'time_from "12:60" is not a time of day'],
      [{ from: '123:00', to: '13:00' }, 'time_from "123:00" is not a time of day'],
      [{ from: '09:0', to: '13:00' }, 'time_from "09:0" is not a time of day'],
      [{ from: '09:00' }, 'time_from and time_to go together'],
      [{ to: '17:00' }, 'time_from and time_to go together'],
      [{ days: 'mon', from: '09:00', to: ' ' }, 'time_from and time_to go together'],
      [{ days: 'mon', timeZone: 'Mars/Base' }, '"Mars/Base" is not a time zone (use an IANA name such as Asia/Jerusalem)'],
      [{ from: '09:00', to: '17:00', timeZone: 'Nowhere' }, '"Nowhere" is not a time zone'],
    ])('%j throws', (spec, message) => {
      expect(() => compileTimeWindow({ timeZone: 'UTC', ...spec })).toThrow(message)
    })
  })
})

describe('day lists people write by hand', () => {
  const monday = new Date('2026-11-23T10:00:00Z')
  const window = (days: string) => compileTimeWindow({ days, timeZone: 'UTC' })
  it('ignores a trailing comma', () => {
    expect(window('mon,')?.test(monday)).toBe(true)
  })
  it.each(['tues', 'tuesday', 'Tue'])('reads %s as Tuesday', (day) => {
    expect(window(day)?.test(new Date('2026-11-24T10:00:00Z'))).toBe(true)
  })
  it.each(['monkey', 'mon-tue-wed', 'mo'])('refuses %s', (days) => {
    expect(() => window(days)).toThrow()
  })
  it('checks the time zone even without a window', () => {
    expect(() => compileTimeWindow({ timeZone: 'Mars/Base' })).toThrow('is not a time zone')
  })
})
