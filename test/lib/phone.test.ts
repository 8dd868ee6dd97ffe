import { describe, expect, it } from 'vitest'
import { nationalNumber, toDialString, toE164 } from '../../src/lib/phone.ts'

describe('toE164', () => {
  it.each([
    ['0501234567', 'IL', '+972501234567'],
    ['0722776772', 'IL', '+972722776772'],
    ['050-123-4567', 'IL', '+972501234567'],
    ['+972501234567', 'IL', '+972501234567'],
    ['972501234567', 'IL', '+972501234567'],
    ['0049 1511 2345678', 'IL', '+4915112345678'],
    ['4915112345678', 'IL', '+4915112345678'],
    ['(555) 123-4567', 'US', '+15551234567'],
  ])('%s in %s → %s', (raw, country, expected) => {
    expect(toE164(raw, country)).toBe(expected)
  })

  it.each(['', '0', 'anonymous', 'Private', '12', 'not a number'])('%j is no number', (raw) => {
    expect(toE164(raw, 'IL')).toBeUndefined()
  })
})

describe('toDialString', () => {
  it('writes home numbers in national form and foreign ones in E.164', () => {
    expect(toDialString('+972501234567', 'IL')).toBe('0501234567')
    expect(toDialString('+4915112345678', 'IL')).toBe('+4915112345678')
    expect(toDialString('101', 'IL')).toBe('101')
  })
})

it('nationalNumber strips the country code', () => {
  expect(nationalNumber('+972501234567')).toBe('501234567')
})

describe('toE164: a number sent without its plus', () => {
  it('is read as the real international number it is, not as a possible one of the default country', () => {
    expect(toE164('972539999999', 'GR')).toBe('+972539999999')
    expect(toE164('972501234567', 'US')).toBe('+972501234567')
    expect(toE164('4915112345678', 'IL')).toBe('+4915112345678')
  })

  it('still reads local numbers of the default country', () => {
    expect(toE164('2101234567', 'GR')).toBe('+302101234567')
    expect(toE164('0501234567', 'IL')).toBe('+972501234567')
    expect(toE164('(650) 555-0100', 'US')).toBe('+16505550100')
  })
})

describe('cached readings (each distinct input is parsed once)', () => {
  it('answers a repeated input as the first time, per country, withheld and unreadable numbers included', () => {
    for (let round = 0; round < 3; round++) {
      expect(toE164('0501234567', 'IL')).toBe('+972501234567')
      expect(toE164('0501234567', 'US')).toBe('+10501234567')
      expect(toE164('anonymous', 'IL')).toBeUndefined()
      expect(toE164('not a number', 'IL')).toBeUndefined()
      expect(toDialString('+972501234567', 'IL')).toBe('0501234567')
      expect(toDialString('+972501234567', 'US')).toBe('+972501234567')
      expect(toDialString('101', 'IL')).toBe('101')
    }
  })

  it('reads text longer than any number without keeping it', () => {
    const long = `0501234567${' '.repeat(100)}`
    expect(toE164(long, 'IL')).toBe('+972501234567')
    expect(toE164(long, 'IL')).toBe('+972501234567')
  })
})
