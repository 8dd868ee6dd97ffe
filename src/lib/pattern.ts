import { RE2JS } from 're2js'

/**
 * Match patterns for DIDs, caller IDs, layers and typed digits, in the forms telephony people already know:
 * - `none` (nothing typed / empty) and `any` (anything non-empty)
 * - exact text: `1234`, `+972722776772`
 * - globs: `+97250*` (`*` any run, `?` one character)
 * - Asterisk dial patterns: `_05XXXXXXXX` (`X` 0-9, `Z` 1-9, `N` 2-9, `[1-4]`, `.` one or more, `!` zero or more)
 * - a regular expression between slashes: `/^\d{4}$/`, flags `i`, `m`, `s`, `u`
 * - several of the above (except a regular expression, which stands alone) separated by commas: `1, 2, _9X`
 *
 * The values matched come from callers (typed digits, caller IDs) and the patterns from whoever edits the
 * rules, so nothing here may take more than linear time: one catastrophic pattern run by a backtracking
 * engine (V8's RegExp) would block the event loop, and with it every call in progress. Regular expressions,
 * and globs or Asterisk patterns with more than one wildcard run, therefore go to re2js: a pure-JS port of
 * RE2 (runs on Node and in workerd), linear in the input by construction. Its syntax is JavaScript's less
 * what needs backtracking: backreferences and lookaround are refused when the rule is written.
 * The common forms (exact text, none, any, a glob or Asterisk pattern with at most one run such as `*`, `.`
 * or `!` and no `?`) are matched by hand at a cost that does not depend on the value at all.
 */
export interface Pattern {
  source: string
  test(value: string): boolean
}

export class PatternError extends Error {}

/**
 * Values longer than this never match a glob, an Asterisk pattern or a regular expression; they are not
 * even handed to the matcher. re2js is linear, but linear in the value times the pattern's size, so the
 * two bounds together cap the cost of one match (256 random digits against the costliest shape of the size
 * allowed below, on a busy 2-core machine: median under 1 ms, worst under 20 ms; test/bench/regex-stall.ts
 * measures it). Nothing
 * legitimate is this long: E.164 numbers have at most 15 digits, SIP caller IDs and layer names a few
 * dozen characters, typed digits at most 30 (max_digits). Exact text, none and any still compare as
 * usual, because comparing a string of any length with a fixed one is cheap and cannot go wrong.
 */
export const MAX_MATCH_LENGTH = 256

/**
 * re2js's measure of a compiled pattern (its number of instructions), which the cost per character
 * grows with when the value keeps its automaton from settling. Real routing patterns stay under 100
 * (`/^\d{4}$/` is 8, ten phone numbers in one alternation 89); the bound refuses deliberately huge ones
 * (`\d{1,1000}`, nested counted repeats) that would cost tens of milliseconds per call. Long lists of
 * numbers belong in a comma list, whose exact alternatives are not compiled at all.
 */
export const MAX_PROGRAM_SIZE = 200

export const compilePattern = (source: string): Pattern => {
  const text = source.trim()
  if (text === '') throw new PatternError('empty pattern')
  const regex = /^\/(.*)\/([imsu]*)$/s.exec(text)
  if (regex) {
    const compiled = compileRegex(regex[1] ?? '', regex[2] ?? '', text)
    return { source, test: (value) => value.length <= MAX_MATCH_LENGTH && compiled.test(value) }
  }
  const alternatives = text.split(',').map((part) => part.trim())
  if (alternatives.some((part) => part === '')) throw new PatternError(`empty alternative in "${text}"`)
  const plain: Matcher[] = []
  const bounded: Matcher[] = []
  const automata: string[] = []
  for (const part of alternatives) {
    const compiled = compileAlternative(part)
    if (compiled.kind === 'plain') plain.push(compiled.test)
    else if (compiled.kind === 'shape') bounded.push(compiled.test)
    else automata.push(compiled.re2)
  }
  // One automaton for every alternative that needs one: a single pass over the value, however many there are.
  const automaton = automata.length > 0 ? compileRe2(`(?s)(?:${automata.join('|')})`, 0, `"${text}"`) : undefined
  if (automaton === undefined && plain.length + bounded.length === 1) {
    // The usual case, one alternative: no loops on the hot path.
    const only = (plain[0] ?? bounded[0]) as Matcher
    return { source, test: plain.length === 1 ? only : (value) => value.length <= MAX_MATCH_LENGTH && only(value) }
  }
  return {
    source,
    test(value) {
      for (const matches of plain) if (matches(value)) return true
      if (value.length > MAX_MATCH_LENGTH) return false
      for (const matches of bounded) if (matches(value)) return true
      return automaton?.testExact(value) === true
    },
  }
}

type Matcher = (value: string) => boolean

type Alternative = { kind: 'plain'; test: Matcher } | { kind: 'shape'; test: Matcher } | { kind: 'automaton'; re2: string }

const compileAlternative = (part: string): Alternative => {
  const lower = part.toLowerCase()
  if (lower === 'none') return { kind: 'plain', test: (value) => value === '' }
  if (lower === 'any') return { kind: 'plain', test: (value) => value !== '' }
  if (part.startsWith('_')) return fromUnits(asteriskUnits(part.slice(1), part))
  if (part.includes('*') || part.includes('?')) return fromUnits(globUnits(part))
  return { kind: 'plain', test: (value) => value === part }
}

/** One position of a glob or Asterisk pattern. */
type Unit =
  | { kind: 'char'; code: number }
  | { kind: 'set'; ranges: readonly (readonly [number, number])[] }
  | { kind: 'one' }
  | { kind: 'run'; min: 0 | 1 }

// By code point, as re2js reads values: a character outside the BMP is one position, not two.
const globUnits = (part: string): Unit[] =>
  Array.from(part, (char): Unit => {
    if (char === '*') return { kind: 'run', min: 0 }
    if (char === '?') return { kind: 'one' }
    return { kind: 'char', code: char.codePointAt(0) as number }
  })

const DIGITS: Record<string, [number, number]> = { X: [0x30, 0x39], Z: [0x31, 0x39], N: [0x32, 0x39] }

const asteriskUnits = (body: string, whole: string): Unit[] => {
  const units: Unit[] = []
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string
    const digits = DIGITS[char.toUpperCase()]
    if (digits) units.push({ kind: 'set', ranges: [digits] })
    else if (char === '.') units.push({ kind: 'run', min: 1 })
    else if (char === '!') units.push({ kind: 'run', min: 0 })
    else if (char === '[') {
      const close = body.indexOf(']', i)
      if (close < 0) throw new PatternError(`unclosed [ in "${whole}"`)
      units.push({ kind: 'set', ranges: characterSet(body.slice(i + 1, close), whole) })
      i = close
    } else {
      const code = body.codePointAt(i) as number
      units.push({ kind: 'char', code })
      if (code > 0xffff) i++
    }
  }
  return units
}

/** `[1-4]`, `[13]`, `[*#]`: digits, `*`, `#`, `+` and ranges, a `-` at either end being itself. */
const characterSet = (set: string, whole: string): [number, number][] => {
  if (!/^[0-9*#+-]+$/.test(set)) throw new PatternError(`bad character set [${set}] in "${whole}"`)
  const ranges: [number, number][] = []
  for (let i = 0; i < set.length; i++) {
    const low = set.charCodeAt(i)
    if (set[i + 1] === '-' && i + 2 < set.length) {
      const high = set.charCodeAt(i + 2)
      if (high < low) throw new PatternError(`backwards range ${set.slice(i, i + 3)} in "${whole}"`)
      ranges.push([low, high])
      i += 2
    } else ranges.push([low, low])
  }
  return ranges
}

/**
 * Fixed positions, at most one run of anything, fixed positions: checked in place, whatever the value's
 * length. This covers nearly every real pattern (`+97250*`, `*567`, `_05XXXXXXXX`, `_9.`). With two runs
 * or more, the positions in between can be found in many places, which is what a backtracking engine
 * turns into exponential time, so that goes to re2js.
 */
const fromUnits = (units: Unit[]): Alternative => {
  // Consecutive runs are one run (`**` is `*`, `.!` is `.`).
  const merged: Unit[] = []
  for (const unit of units) {
    const previous = merged[merged.length - 1]
    if (unit.kind === 'run' && previous?.kind === 'run') merged[merged.length - 1] = { kind: 'run', min: previous.min || unit.min ? 1 : 0 }
    else merged.push(unit)
  }
  const runs = merged.filter((unit) => unit.kind === 'run')
  // Positions below are UTF-16 units, so a position that is one code point of any width (`?`), or a
  // character outside the BMP, is left to re2js, which reads code points.
  const byCodePoint = merged.some((unit) => unit.kind === 'one' || (unit.kind === 'char' && unit.code > 0xffff))
  if (runs.length > 1 || byCodePoint) return { kind: 'automaton', re2: merged.map(unitToRe2).join('') }
  const at = merged.findIndex((unit) => unit.kind === 'run')
  if (at < 0) {
    const whole = fixedPart(merged)
    return { kind: 'shape', test: (value) => value.length === whole.length && whole.at(value, 0) }
  }
  const head = fixedPart(merged.slice(0, at))
  const tail = fixedPart(merged.slice(at + 1))
  const shortest = head.length + tail.length + (runs[0] as { min: 0 | 1 }).min
  return {
    kind: 'shape',
    test: (value) => value.length >= shortest && head.at(value, 0) && tail.at(value, value.length - tail.length),
  }
}

interface FixedPart {
  length: number
  at(value: string, offset: number): boolean
}

/** Characters and sets in a row (runs sit between fixed parts, `?` went to re2js). */
const fixedPart = (units: readonly Unit[]): FixedPart => {
  if (units.every((unit) => unit.kind === 'char')) {
    const text = String.fromCharCode(...units.map((unit) => (unit as { code: number }).code))
    return { length: text.length, at: (value, offset) => value.startsWith(text, offset) }
  }
  // Per position the character wanted, or -1 and the set: sets hold ASCII only, so a 128-entry table.
  const codes = units.map((unit) => (unit.kind === 'char' ? unit.code : -1))
  const tables = units.map((unit) => {
    const table = new Uint8Array(128)
    if (unit.kind === 'set') for (const [low, high] of unit.ranges) table.fill(1, low, high + 1)
    else if (unit.kind !== 'char') throw new Error(`${unit.kind} is not a fixed position`)
    return table
  })
  return {
    length: units.length,
    at(value, offset) {
      for (let i = 0; i < codes.length; i++) {
        const code = value.charCodeAt(offset + i)
        const wanted = codes[i] as number
        if (wanted >= 0 ? code !== wanted : !(code < 128 && (tables[i] as Uint8Array)[code] === 1)) return false
      }
      return true
    },
  }
}

const hex = (code: number) => `\\x{${code.toString(16)}}`

const unitToRe2 = (unit: Unit): string => {
  switch (unit.kind) {
    case 'char':
      return hex(unit.code)
    case 'set':
      return `[${unit.ranges.map(([low, high]) => (low === high ? hex(low) : `${hex(low)}-${hex(high)}`)).join('')}]`
    case 'one':
      return '.'
    case 'run':
      return unit.min === 1 ? '.+' : '.*'
  }
}

const FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  // RE2 always matches by code point, which is what `u` asks of a JavaScript RegExp.
  u: 0,
}

const compileRegex = (body: string, flags: string, text: string): RE2JS => {
  const unsupported = unsupportedConstruct(body)
  if (unsupported) {
    throw new PatternError(
      `${text}: ${unsupported} is not supported (patterns are matched in linear time, in RE2 syntax, which has no backreferences or lookaround)`,
    )
  }
  const bits = flags.split('').reduce((all, flag) => all | (FLAGS[flag] ?? 0), 0)
  // JavaScript spellings RE2 lacks (`\u00e9`, `\u{1F600}`, `[^]`, `\cA`) are rewritten to RE2's.
  return compileRe2(RE2JS.translateRegExp(body), bits, `regular expression ${text}`)
}

const compileRe2 = (re2: string, flags: number, what: string): RE2JS => {
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(re2, flags)
  } catch (error) {
    throw new PatternError(`invalid ${what}: ${(error as Error).message}`)
  }
  const size = compiled.programSize()
  if (size > MAX_PROGRAM_SIZE) {
    throw new PatternError(`${what} is too large (size ${size}, at most ${MAX_PROGRAM_SIZE}): split it into simpler patterns or rules`)
  }
  return compiled
}

/**
 * The first construct that needs backtracking, named as a person would look for it. Checked before
 * re2js sees the pattern because translateRegExp would quietly turn `\k<name>` into the letters `k<name>`,
 * and RE2's own errors for these ("invalid named capture") do not say what is wrong.
 */
const unsupportedConstruct = (body: string): string | undefined => {
  let inClass = false
  for (let i = 0; i < body.length; i++) {
    const char = body[i]
    if (char === '\\') {
      const next = body[i + 1] ?? ''
      if (!inClass && /[1-9]/.test(next)) return `the backreference \\${next}`
      if (!inClass && next === 'k' && body[i + 2] === '<') return 'the named backreference \\k<…>'
      i++
    } else if (inClass) {
      if (char === ']') inClass = false
    } else if (char === '[') {
      inClass = true
      // JavaScript's `[]` (nothing) and `[^]` (anything) are whole classes: that `]` closes them.
      if (body[i + 1] === '^') i++
      if (body[i + 1] === ']') {
        inClass = false
        i++
      }
    } else if (char === '(' && body[i + 1] === '?') {
      const kind = body.slice(i + 2, i + 4)
      if (kind.startsWith('=')) return 'the lookahead (?=…)'
      if (kind.startsWith('!')) return 'the negative lookahead (?!…)'
      if (kind === '<=') return 'the lookbehind (?<=…)'
      if (kind === '<!') return 'the negative lookbehind (?<!…)'
    }
  }
  return undefined
}
