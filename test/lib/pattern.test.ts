import { describe, expect, it } from 'vitest'
import { compilePattern, MAX_MATCH_LENGTH, PatternError } from '../../src/lib/pattern.ts'

const matches = (source: string, value: string) => compilePattern(source).test(value)

describe('compilePattern', () => {
  it('keeps the source as written', () => {
    expect(compilePattern('  _05X ').source).toBe('  _05X ')
  })

  describe('none and any', () => {
    it.each([
      ['none', '', true],
      ['none', '1', false],
      ['NONE', '', true],
      ['any', '1', true],
      ['any', 'abc', true],
      ['any', '', false],
      ['Any', '', false],
      ['Any', '5', true],
    ])('%s against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })
  })

  describe('exact text', () => {
    it.each([
      ['1234', '1234', true],
      ['1234', '12345', false],
      ['1234', '123', false],
      ['+972722776772', '+972722776772', true],
      ['+972722776772', '972722776772', false],
      ['  1234  ', '1234', true],
      ['sales', 'Sales', false],
      ['a.b', 'axb', false],
      ['a.b', 'a.b', true],
    ])('%j against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })
  })

  describe('comma lists', () => {
    it.each([
      ['1, 2, 3', '1', true],
      ['1, 2, 3', '3', true],
      ['1, 2, 3', '4', false],
      ['1,2', '1,2', false],
      ['none, 0', '', true],
      ['none, 0', '0', true],
      ['none, 0', '1', false],
      ['1, _9X', '95', true],
      ['1, _9X', '9', false],
      ['100, 2*', '250', true],
    ])('%j against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })
  })

  describe('globs', () => {
    it.each([
      ['+97250*', '+972501234567', true],
      ['+97250*', '+97250', true],
      ['+97250*', '+972521234567', false],
      ['+97250*', '97250123', false],
      ['*567', '+972501234567', true],
      ['*567', '5678', false],
      ['1?3', '123', true],
      ['1?3', '1x3', true],
      ['1?3', '13', false],
      ['1?3', '1234', false],
      ['a.b*', 'a.bc', true],
      ['a.b*', 'axbc', false],
      ['(1)*', '(1)2', true],
    ])('%j against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })
  })

  describe('Asterisk patterns', () => {
    it.each([
      ['_05XXXXXXXX', '0501234567', true],
      ['_05XXXXXXXX', '050123456', false],
      ['_05XXXXXXXX', '05012345678', false],
      ['_05XXXXXXXX', '0601234567', false],
      ['_05xxxxxxxx', '0501234567', true],
      ['_Z', '0', false],
      ['_Z', '1', true],
      ['_Z', '9', true],
      ['_N', '1', false],
      ['_N', '2', true],
      ['_n', '2', true],
      ['_X', 'a', false],
      ['_[1-4]', '1', true],
      ['_[1-4]', '4', true],
      ['_[1-4]', '5', false],
      ['_[13]X', '15', true],
      ['_[13]X', '25', false],
      ['_[*#]', '*', true],
      ['_[*#]', '#', true],
      ['_[*#]', '1', false],
      ['_9.', '9', false],
      ['_9.', '91', true],
      ['_9.', '9123', true],
      ['_9!', '9', true],
      ['_9!', '9123', true],
      ['_9!', '8', false],
      ['_+972.', '+97250', true],
      ['_+972.', '972501', false],
      ['_1*2', '1*2', true],
      ['_1*2', '1112', false],
    ])('%j against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })
  })

  describe('regular expressions', () => {
    it.each([
      ['/^\\d{4}$/', '1234', true],
      ['/^\\d{4}$/', '12345', false],
      ['/^\\d{4}$/', '12a4', false],
      ['/23/', '1234', true],
      ['/^sales$/', 'SALES', false],
      ['/^sales$/i', 'SALES', true],
      ['/^a.b$/s', 'a\nb', true],
      ['/^a.b$/', 'a\nb', false],
      ['/^\\d{1,3}$/', '12', true],
      ['/^\\d{1,3}$/', '1234', false],
      [' /^1$/ ', '1', true],
    ])('%j against %j → %s', (source, value, expected) => {
      expect(matches(source, value)).toBe(expected)
    })

    it('gives the same answer on repeated tests', () => {
      const pattern = compilePattern('/\\d/i')
      expect([pattern.test('1'), pattern.test('1'), pattern.test('1')]).toEqual([true, true, true])
    })

    it('treats a flag it does not know as plain text', () => {
      expect(matches('/a/g', '/a/g')).toBe(true)
      expect(matches('/a/g', 'a')).toBe(false)
    })
  })

  describe('malformed input', () => {
    it.each([
      ['', 'empty pattern'],
      ['   ', 'empty pattern'],
      ['/[/', 'invalid regular expression /[/'],
      ['/(/', 'invalid regular expression /(/'],
      ['_05[1-4', 'unclosed [ in "_05[1-4"'],
      ['_[]', 'bad character set [] in "_[]"'],
      ['_[a-z]', 'bad character set [a-z] in "_[a-z]"'],
      ['1,,2', 'empty alternative in "1,,2"'],
      ['1, ', 'empty alternative in "1,"'],
      [',1', 'empty alternative in ",1"'],
    ])('%j throws PatternError', (source, message) => {
      expect(() => compilePattern(source)).toThrow(PatternError)
      expect(() => compilePattern(source)).toThrow(message)
    })
  })
})

describe('compilePattern edge cases', () => {
  it('reports a backwards character range as a PatternError', () => {
    expect(() => compilePattern('_[4-1]')).toThrow(PatternError)
  })
})

// A backtracking engine (V8's RegExp) takes exponential or high-polynomial time on these; at
// MAX_MATCH_LENGTH characters it would not return in the lifetime of the test run, so each case
// finishing with the right answer is the check. Speed itself is measured in test/bench/regex-stall.ts.
describe('catastrophic patterns run in linear time', () => {
  const digits = '1'.repeat(MAX_MATCH_LENGTH)
  it.each([
    ['/(\\d+)+x/', digits, false],
    ['/(\\d+)+x/', `${'1'.repeat(MAX_MATCH_LENGTH - 1)}x`, true],
    ['/^(\\d+)+x$/', digits, false],
    ['/(a|a)*b/', 'a'.repeat(MAX_MATCH_LENGTH), false],
    ['/(a|a)*b/', `${'a'.repeat(MAX_MATCH_LENGTH - 1)}b`, true],
    ['/(x+x+)+y/', 'x'.repeat(MAX_MATCH_LENGTH), false],
    ['/(x+x+)+y/', `${'x'.repeat(MAX_MATCH_LENGTH - 1)}y`, true],
    ['/^(a+)+$/i', `${'A'.repeat(MAX_MATCH_LENGTH - 1)}!`, false],
    ['/(.*a){12}/', `${'a'.repeat(MAX_MATCH_LENGTH - 1)}b`, true],
    ['/(.*a){12}b$/', 'a'.repeat(MAX_MATCH_LENGTH), false],
    ['*0*0*0*0*0*0*0*0*x', '0'.repeat(MAX_MATCH_LENGTH), false],
    ['*0*0*0*0*0*0*0*0*x', `${'0'.repeat(MAX_MATCH_LENGTH - 1)}x`, true],
    ['*1*?*?*?*?*?*?*2', '1'.repeat(MAX_MATCH_LENGTH), false],
    ['_0.0.0.0.0.0.0.1', '0'.repeat(MAX_MATCH_LENGTH), false],
    ['_0!0!0!0!0!0!0!1', `${'0'.repeat(MAX_MATCH_LENGTH - 1)}1`, true],
    ['2, *0*0*0*0*0*0*x, _0.0.0.0.1', '0'.repeat(MAX_MATCH_LENGTH), false],
  ])('%j against %d characters → %s', (source, value, expected) => {
    expect(matches(source, value)).toBe(expected)
  })

  it.each([
    ['/(\\d+)+x/', '1'.repeat(10_000)],
    ['/(\\d+)+x/', `${'1'.repeat(10_000)}x`],
    ['*0*0*0*0*0*0*0*0*x', `${'0'.repeat(10_000)}x`],
    ['+97250*', `+97250${'1'.repeat(10_000)}`],
    ['_05X.', `050${'1'.repeat(10_000)}`],
  ])('%j: a 10,000-character value never reaches the matcher and does not match', (source, value) => {
    expect(matches(source, value)).toBe(false)
  })

  it('the bound is on the value: exact text, none and any still see a long one', () => {
    const long = '5'.repeat(10_000)
    expect(matches('any', long)).toBe(true)
    expect(matches('none', long)).toBe(false)
    expect(matches(long, long)).toBe(true)
    expect(matches(`1, ${long}, /1/`, long)).toBe(true)
    expect(matches('/5/', '5'.repeat(MAX_MATCH_LENGTH))).toBe(true)
    expect(matches('/5/', '5'.repeat(MAX_MATCH_LENGTH + 1))).toBe(false)
  })
})

describe('patterns that need backtracking are refused when written', () => {
  it.each([
    ['/(a)\\1/', 'the backreference \\1'],
    ['/^(\\d)(\\d)\\2$/', 'the backreference \\2'],
    ['/(?<d>\\d)\\k<d>/', 'the named backreference \\k<…>'],
    ['/^(?=\\d{4})/', 'the lookahead (?=…)'],
    ['/^(?!0)\\d+/', 'the negative lookahead (?!…)'],
    ['/(?<=0)1/', 'the lookbehind (?<=…)'],
    ['/(?<!0)1/', 'the negative lookbehind (?<!…)'],
  ])('%j names %s', (source, construct) => {
    expect(() => compilePattern(source)).toThrow(PatternError)
    expect(() => compilePattern(source)).toThrow(`${source}: ${construct} is not supported`)
  })

  it('the same characters escaped or inside a class are plain text', () => {
    expect(matches('/^\\\\1$/', '\\1')).toBe(true)
    expect(matches('/^[(?=]+$/', '(?=')).toBe(true)
    expect(matches('/^\\(\\?=/', '(?=')).toBe(true)
    expect(matches('/^[\\]]?(?<first>\\d)$/', '5')).toBe(true)
    expect(matches('/[]1/', '1')).toBe(false)
    expect(matches('/[^](?:1)/', 'x1')).toBe(true)
  })

  it('refuses a pattern too large to match quickly, and keeps ordinary ones', () => {
    expect(() => compilePattern('/\\d{1,1000}/')).toThrow(/too large \(size \d+, at most 200\)/)
    expect(() => compilePattern('/(?:(?:[0-9]{1,10}[0-5]{1,10}){5}[3-9]{1,10})+#/')).toThrow(PatternError)
    expect(() => compilePattern(Array.from({ length: 30 }, (_, i) => `*${i}*${i}*`).join(', '))).toThrow('too large')
    expect(() => compilePattern('/\\d{1,1001}/')).toThrow('invalid regular expression')
    const numbers = Array.from({ length: 10 }, (_, i) => `05${i}${'1234567'}`)
    expect(matches(`/^(?:${numbers.join('|')})$/`, '0571234567')).toBe(true)
    expect(matches('/^(?:05\\d{8}|\\+9725\\d{8})$/', '+972501234567')).toBe(true)
  })
})

describe('regular expression flags and JavaScript spellings', () => {
  it.each([
    ['/^b$/m', 'a\nb', true],
    ['/^b$/', 'a\nb', false],
    ['/^a.b$/si', 'A\nB', true],
    ['/^a.b$/i', 'A\nB', false],
    ['/^.$/u', '😀', true],
    ['/^\\u{1F600}$/u', '😀', true],
    ['/^\\u0041$/', 'A', true],
    ['/^\\p{L}+$/u', 'שלום', true],
    ['/^\\p{L}+$/u', 'שלום1', false],
    ['/^(?<area>05\\d)\\d{7}$/', '0501234567', true],
    ['/^[^]$/', '\n', true],
    ['/^a\\/b$/', 'a/b', true],
    ['/^\\d+?$/', '123', true],
  ])('%j against %j → %s', (source, value, expected) => {
    expect(matches(source, value)).toBe(expected)
  })
})

describe('globs and Asterisk patterns beyond one run', () => {
  it.each([
    ['*1*2*', 'x1y2z', true],
    ['*1*2*', '21', false],
    ['1*2*3', '123', true],
    ['1*2*3', '1x2x3x', false],
    ['1?3', '1😀3', true],
    ['+97250*', '+97250\n1', true],
    ['_1.2.3, _1.2', '1x2', true],
    ['_1.2.3, _1.2', '1x2y3', true],
    ['_1.2.3, _1.2', '1x', false],
    ['_9.X', '9005', true],
    ['_9.X', '95', false],
    ['_9.X', '90a', false],
    ['*', '', true],
    ['_!', '', true],
    ['_.', '', false],
    ['_[-1]X', '-5', true],
    ['_[1-]X', '-5', true],
  ])('%j against %j → %s', (source, value, expected) => {
    expect(matches(source, value)).toBe(expected)
  })
})
