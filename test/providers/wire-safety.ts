import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { TEXT_CAPS } from '../../src/lib/safe-text.ts'

/**
 * Text a caller or a CRM could send to break an answer: C0 and C1 controls, DEL, lone surrogates of both
 * halves, XML's non-characters, and what closes or escapes XML and JSON.
 */
export const HOSTILE = 'a\u0000\u0001\u0007\b\t\n\r\u000b\u000c\u001b\u001f\u007f\u0080\u0085\u009f\ud800]]><&"\'\\\ufffe\uffff\udc00z'

/** HOSTILE as a name or an id comes out: tab, line feed and return as spaces, lone surrogates as U+FFFD. */
export const HOSTILE_AS_LINE = 'a   \ufffd]]><&"\'\\\ufffdz'

/**
 * Every C0/C1 control, DEL, the ends of both surrogate ranges and the XML-1.0 non-characters, one after
 * another (trail halves first, so no two of them make a pair).
 */
export const ALL_UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)),
  ...Array.from({ length: 0x21 }, (_, code) => String.fromCharCode(0x7f + code)),
  '\udc00',
  '\udfff',
  '\ud800',
  '\udbff',
  '\ufffe',
  '\uffff',
].join('')

/** Not an XML 1.0 Char, or a control character no answer should carry (tab, line feed and return aside). */
const UNSAFE_CHAR = /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u

const codePoints = (value: string) => [...value].length

/** Strings from the answer that are not the answer's own URLs (eventUrl, fileURL): those hold a signed token. */
const URL_KEYS = new Set(['eventUrl'])

/**
 * What is wrong with an answer on the wire, empty when nothing: XML must be well-formed (XMLValidator) and JSON
 * must parse, and no string in either may hold a character outside XML 1.0 or a control character, or be
 * longer than the longest cap (`TEXT_CAPS`). `caps` names keys (JSON) or elements and attributes (XML) held
 * to a tighter cap.
 */
export const wireProblems = (body: string, caps: Record<string, number> = {}): string[] => {
  if (body === '') return []
  const problems: string[] = []
  const check = (where: string, key: string, value: string) => {
    const bad = UNSAFE_CHAR.exec(value)
    if (bad) problems.push(`${where}: U+${bad[0].codePointAt(0)?.toString(16).padStart(4, '0')}`)
    const cap = caps[key] ?? (URL_KEYS.has(key) ? 4096 : TEXT_CAPS.url)
    if (codePoints(value) > cap) problems.push(`${where}: ${codePoints(value)} code points, over ${cap}`)
  }
  const walk = (where: string, key: string, value: unknown) => {
    if (typeof value === 'string') {
      // Stringee's connect customData is JSON in a string: its values are what is capped.
      if (key === 'customData' && value.startsWith('{')) return walk(`${where}(json)`, key, JSON.parse(value))
      return check(where, key, value)
    }
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(`${where}[${index}]`, key, item)
      return
    }
    if (value && typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) {
        check(`${where} key`, 'key', name)
        walk(`${where}.${name}`, name, item)
      }
    }
  }
  const bad = UNSAFE_CHAR.exec(body)
  if (bad) problems.push(`body: U+${bad[0].codePointAt(0)?.toString(16).padStart(4, '0')}`)
  if (body.startsWith('<')) {
    const valid = XMLValidator.validate(body)
    if (valid !== true) return [...problems, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`]
    const parsed: unknown = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      isArray: () => true,
    }).parse(body)
    walk('xml', '', parsed)
    return problems
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    return [...problems, `not JSON: ${(error as Error).message}`]
  }
  walk('json', '', parsed)
  return problems
}
