import { describe, expect, it } from 'vitest'
import { compilePattern, PatternError } from '../../src/lib/pattern.ts'

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
