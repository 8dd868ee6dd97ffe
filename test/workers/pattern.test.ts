import { describe, expect, it } from 'vitest'
import { compilePattern, MAX_MATCH_LENGTH, PatternError } from '../../src/lib/pattern.ts'

// re2js is pure JavaScript, so the linear-time matching holds inside workerd too (this file runs there).
describe('patterns in the Workers runtime', () => {
  it('matches catastrophic patterns in linear time', () => {
    expect(compilePattern('/(\\d+)+x/').test('1'.repeat(MAX_MATCH_LENGTH))).toBe(false)
    expect(compilePattern('/(\\d+)+x/').test(`${'1'.repeat(MAX_MATCH_LENGTH - 1)}x`)).toBe(true)
    expect(compilePattern('*0*0*0*0*0*0*0*0*x').test('0'.repeat(MAX_MATCH_LENGTH))).toBe(false)
    expect(compilePattern('/^sales$/i').test('SALES')).toBe(true)
  })

  it('refuses backreferences', () => {
    expect(() => compilePattern('/(a)\\1/')).toThrow(PatternError)
  })
})
