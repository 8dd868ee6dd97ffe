/**
 * Match patterns for DIDs, caller IDs, layers and typed digits, in the forms telephony people already know:
 * - `none` (nothing typed / empty) and `any` (anything non-empty)
 * - exact text: `1234`, `+972722776772`
 * - globs: `+97250*` (`*` any run, `?` one character)
 * - Asterisk dial patterns: `_05XXXXXXXX` (`X` 0-9, `Z` 1-9, `N` 2-9, `[1-4]`, `.` one or more, `!` zero or more)
 * - a regular expression between slashes: `/^\d{4}$/`
 * - several of the above (except a regular expression, which stands alone) separated by commas: `1, 2, _9X`
 */
export interface Pattern {
  source: string
  test(value: string): boolean
}

export class PatternError extends Error {}

export const compilePattern = (source: string): Pattern => {
  const text = source.trim()
  if (text === '') throw new PatternError('empty pattern')
  const regex = /^\/(.*)\/([imsu]*)$/s.exec(text)
  if (regex) {
    let compiled: RegExp
    try {
      compiled = new RegExp(regex[1] ?? '', regex[2])
    } catch (error) {
      throw new PatternError(`invalid regular expression ${text}: ${(error as Error).message}`)
    }
    return { source, test: (value) => compiled.test(value) }
  }
  const alternatives = text.split(',').map((part) => part.trim())
  if (alternatives.some((part) => part === '')) throw new PatternError(`empty alternative in "${text}"`)
  const matchers = alternatives.map(compileAlternative)
  return { source, test: (value) => matchers.some((matches) => matches(value)) }
}

const compileAlternative = (part: string): ((value: string) => boolean) => {
  const lower = part.toLowerCase()
  if (lower === 'none') return (value) => value === ''
  if (lower === 'any') return (value) => value !== ''
  if (part.startsWith('_')) {
    const source = `^${asteriskToRegex(part.slice(1), part)}$`
    let compiled: RegExp
    try {
      compiled = new RegExp(source)
    } catch (error) {
      throw new PatternError(`invalid pattern "${part}": ${(error as Error).message}`)
    }
    return (value) => compiled.test(value)
  }
  if (part.includes('*') || part.includes('?')) {
    const compiled = new RegExp(`^${part.split('').map(globChar).join('')}$`)
    return (value) => compiled.test(value)
  }
  return (value) => value === part
}

const globChar = (char: string): string => (char === '*' ? '.*' : char === '?' ? '.' : escapeRegex(char))

const asteriskToRegex = (body: string, whole: string): string => {
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string
    const upper = char.toUpperCase()
    if (upper === 'X') out += '[0-9]'
    else if (upper === 'Z') out += '[1-9]'
    else if (upper === 'N') out += '[2-9]'
    else if (char === '.') out += '.+'
    else if (char === '!') out += '.*'
    else if (char === '[') {
      const close = body.indexOf(']', i)
      if (close < 0) throw new PatternError(`unclosed [ in "${whole}"`)
      const set = body.slice(i + 1, close)
      if (!/^[0-9*#+-]+$/.test(set)) throw new PatternError(`bad character set [${set}] in "${whole}"`)
      out += `[${set.replace(/[*#+]/g, '\\$&')}]`
      i = close
    } else out += escapeRegex(char)
  }
  return out
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
