import { describe, expect, it } from 'vitest'
import { parseUntrustedJson } from '../../src/lib/parse-untrusted-json.ts'

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`

describe('parseUntrustedJson', () => {
  it('parses ordinary webhook bodies unchanged', () => {
    const body = { METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '0722776772', DTMF: '1234', LIST: [1, { a: null }] } }
    expect(parseUntrustedJson(JSON.stringify(body))).toEqual({ ok: true, value: body })
  })

  it('refuses nesting deeper than the limit before parsing, so nothing downstream recurses on it', () => {
    const deep = nested(5000)
    // Why it matters: this parses, but what walks the result afterwards (the decision log) throws.
    const parsed: unknown = JSON.parse(deep)
    expect(() => JSON.stringify(parsed)).toThrow(RangeError)
    expect(parseUntrustedJson(deep)).toEqual({ ok: false, reason: 'JSON nested deeper than 64 levels' })
    expect(parseUntrustedJson(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`).ok).toBe(false)
    expect(parseUntrustedJson(nested(64)).ok).toBe(true)
  })

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[{{{{'.repeat(100), b: 'say \\"[[[[" ok' })
    expect(parseUntrustedJson(text, { maxDepth: 2, maxStringLength: 10_000 })).toEqual({ ok: true, value: JSON.parse(text) })
  })

  it('makes lone surrogates well-formed in values and keys', () => {
    const result = parseUntrustedJson('{"sessionId":"\\ud800abc","\\udc00key":["\\ud83d"]}')
    expect(result.ok).toBe(true)
    const value = (result as { value: Record<string, unknown> }).value
    expect(value.sessionId).toBe('\ufffdabc')
    expect(value['\ufffdkey']).toEqual(['\ufffd'])
    expect(() => encodeURIComponent(value.sessionId as string)).not.toThrow()
    // A valid pair is left alone.
    expect(parseUntrustedJson('"\\ud83d\\ude00"')).toEqual({ ok: true, value: '😀' })
  })

  it('cuts long strings', () => {
    const result = parseUntrustedJson(JSON.stringify({ name: 'x'.repeat(10_000) }), { maxDepth: 8, maxStringLength: 100 })
    expect((result as { value: { name: string } }).value.name).toHaveLength(100)
  })

  it('keeps a "__proto__" key as plain data, never as the prototype', () => {
    const result = parseUntrustedJson('{"__proto__":{"polluted":"\\ud800"},"a":1}')
    const value = (result as { value: Record<string, unknown> }).value
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: '\ufffd' })
  })

  it('says why text is not JSON', () => {
    expect(parseUntrustedJson('{"a":')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) })
  })
})
