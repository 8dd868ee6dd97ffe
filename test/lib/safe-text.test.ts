import { describe, expect, it } from 'vitest'
import { isSafeText, safeText, TEXT_CAPS, type TextPurpose, withoutControls } from '../../src/lib/safe-text.ts'

const purposes = Object.keys(TEXT_CAPS) as TextPurpose[]

describe('safeText', () => {
  it.each(purposes)('gives normal text back unchanged, as the same string (%s)', (purpose) => {
    for (const value of [
      '',
      'Dana Levi',
      'דנה לוי',
      'Zoë Ørsted 😀 👩‍👩‍👧',
      '+972501234567',
      'https://ivr.example.com/a.wav?x=1&y=2',
      '<&"\'>]]>',
    ]) {
      expect(safeText(value, purpose)).toBe(value)
      expect(isSafeText(value, purpose)).toBe(true)
    }
  })

  it('replaces lone surrogates of either half with U+FFFD and keeps pairs', () => {
    expect(safeText('a\ud800b', 'name')).toBe('a\ufffdb')
    expect(safeText('a\udc00b', 'name')).toBe('a\ufffdb')
    expect(safeText('\udc00\ud800', 'id')).toBe('\ufffd\ufffd')
    expect(safeText('end\ud83d', 'text')).toBe('end\ufffd')
    expect(safeText('😀\ud83d', 'text')).toBe('😀\ufffd')
    expect(() => encodeURIComponent(safeText('s-\ud800', 'id'))).not.toThrow()
  })

  it('removes C0 and C1 controls, DEL, U+FFFE and U+FFFF; tab and line breaks become spaces except in text to speech', () => {
    const controls = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('')
    const c1 = Array.from({ length: 0x21 }, (_, code) => String.fromCharCode(0x7f + code)).join('')
    expect(safeText(`a${controls}b${c1}c\ufffe\uffffd`, 'name')).toBe('a   bcd')
    expect(safeText(`a${controls}b${c1}c\ufffe\uffffd`, 'text')).toBe('a\t\n\rbcd')
    expect(safeText('0501234567\u0000', 'id')).toBe('0501234567')
  })

  it.each(purposes)('caps at TEXT_CAPS[%s] code points', (purpose) => {
    const cap = TEXT_CAPS[purpose]
    expect(safeText('x'.repeat(200_000), purpose)).toBe('x'.repeat(cap))
    expect(safeText('x'.repeat(cap), purpose)).toBe('x'.repeat(cap))
    // Counted in code points: a pair is one, and is never split.
    expect(safeText('😀'.repeat(cap + 1), purpose)).toBe('😀'.repeat(cap))
    expect(safeText(`${'x'.repeat(cap - 1)}😀😀`, purpose)).toBe(`${'x'.repeat(cap - 1)}😀`)
  })

  it('caps before it cleans, so the result is never longer than the cap', () => {
    const value = `${'\u0000'.repeat(10)}${'y'.repeat(300)}`
    expect(safeText(value, 'name')).toBe('y'.repeat(118))
  })

  it('isSafeText is false for anything safeText would change', () => {
    expect(isSafeText('s-\ud800', 'id')).toBe(false)
    expect(isSafeText('s\u0000', 'id')).toBe(false)
    expect(isSafeText('line\nbreak', 'id')).toBe(false)
    expect(isSafeText('line\nbreak', 'text')).toBe(true)
    expect(isSafeText('x'.repeat(TEXT_CAPS.id + 1), 'id')).toBe(false)
  })
})

describe('withoutControls', () => {
  it('gives normal text back unchanged, tab and line breaks included, however long', () => {
    for (const value of ['', 'Dana Levi', 'דנה לוי', 'line one\nline two\tend\r\n', 'x'.repeat(10_000), '👩‍👩‍👧']) {
      expect(withoutControls(value)).toBe(value)
    }
  })

  it('takes out what an XML 1.0 parser refuses and mends lone surrogates, keeping the rest', () => {
    expect(withoutControls('a\u0000b\u0007c\u001fd\u007fe\u0085f\u009fg')).toBe('abcdefg')
    expect(withoutControls('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz')
    expect(withoutControls('keep\ttab\nand\u0001drop')).toBe('keep\ttab\nanddrop')
  })
})
