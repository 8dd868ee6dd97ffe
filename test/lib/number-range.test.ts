import { describe, expect, it } from 'vitest'
import { compileNumberRange } from '../../src/lib/number-range.ts'

describe('compileNumberRange', () => {
  it('keeps the source as written', () => {
    expect(compileNumberRange(' <3 ').source).toBe(' <3 ')
  })

  it.each([
    ['3', 3, true],
    ['3', 2, false],
    ['3', 4, false],
    ['=3', 3, true],
    ['= 3', 3, true],
    ['=3', 4, false],
    ['<3', 2, true],
    ['<3', 3, false],
    ['< 3', 2, true],
    ['<=2', 2, true],
    ['<=2', 3, false],
    ['>2', 3, true],
    ['>2', 2, false],
    ['>=3', 3, true],
    ['>=3', 2, false],
    ['>= 3', 10, true],
    ['1-2', 1, true],
    ['1-2', 2, true],
    ['1-2', 0, false],
    ['1-2', 3, false],
    ['1 - 2', 2, true],
    ['2-2', 2, true],
    ['2-2', 1, false],
    ['0', 0, true],
    ['1, 3', 1, true],
    ['1, 3', 2, false],
    ['1, 3', 3, true],
    ['1-2, >=5', 2, true],
    ['1-2, >=5', 4, false],
    ['1-2, >=5', 7, true],
    [' 12 ', 12, true],
  ])('%j with %d → %s', (source, value, expected) => {
    expect(compileNumberRange(source).test(value)).toBe(expected)
  })

  it.each([
    ['3-1', 'range "3-1" runs backwards'],
    ['', '"" is not a count condition (use 3, <3, >=3 or 1-2)'],
    ['lots', '"lots" is not a count condition'],
    ['-1', '"-1" is not a count condition'],
    ['1.5', '"1.5" is not a count condition'],
    ['=<3', '"=<3" is not a count condition'],
    ['<', '"<" is not a count condition'],
    ['1,,2', '"" is not a count condition'],
    ['1-', '"1-" is not a count condition'],
  ])('%j throws', (source, message) => {
    expect(() => compileNumberRange(source)).toThrow(message)
  })
})
