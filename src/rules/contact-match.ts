import { resolvePath, type Scope } from './scope.ts'

/**
 * Conditions on the identified contact, joined by `;` or `and`:
 * `segment = VIP`, `segment = VIP, Gold` (any of), `tags = vip` (has the tag), `company ~ acme` (contains),
 * `fields.balance > 100`, `owner.extension` (has a value), `!owner` (has none), `segment != blocked`.
 * Comparisons ignore case.
 */
export interface ContactMatch {
  source: string
  /** Undefined when every condition holds, else the first one that does not. */
  failure(scope: Scope): string | undefined
}

type Operator = '=' | '!=' | '~' | '!~' | '>' | '>=' | '<' | '<='

const CONDITION = /^(!)?\s*([A-Za-z_][\w.-]*)\s*(?:(!=|!~|>=|<=|=|~|>|<)\s*(.*))?$/

export const compileContactMatch = (source: string): ContactMatch => {
  const conditions = source
    // One whitespace character each side, the rest trimmed below: `\s+and\s+` costs quadratic time on a
    // long run of spaces without "and" after it, and this text comes from whoever edits the rules.
    .split(/;|\sand\s/i)
    .map((part) => part.trim())
    .filter(Boolean)
    .map(compileCondition)
  if (conditions.length === 0) throw new Error('no condition')
  return {
    source,
    failure(scope) {
      for (const condition of conditions) {
        if (!condition.test(scope)) return condition.text
      }
      return undefined
    },
  }
}

const compileCondition = (text: string) => {
  const match = CONDITION.exec(text)
  if (!match) throw new Error(`"${text}" is not a condition (e.g. segment = VIP)`)
  const [, negated, path = '', operator, rawValue] = match
  if (!operator) {
    if (rawValue !== undefined) throw new Error(`"${text}" is not a condition`)
    return { text, test: (scope: Scope) => (resolvePath(scope, path) !== undefined) !== Boolean(negated) }
  }
  if (negated) throw new Error(`"${text}": use != instead of ! with a comparison`)
  if (rawValue?.trimStart().startsWith('=')) throw new Error(`"${text}": compare with a single =`)
  const expected = unquote(rawValue ?? '')
  const compare = comparator(operator as Operator, expected, text)
  return {
    text,
    test: (scope: Scope) => {
      const actual = resolvePath(scope, path)
      if (actual === undefined) return operator === '!=' || operator === '!~'
      return compare(actual)
    },
  }
}

const comparator = (operator: Operator, expected: string, text: string): ((actual: string) => boolean) => {
  const wanted = expected.toLowerCase()
  switch (operator) {
    case '=':
    case '!=': {
      const options = new Set(wanted.split(',').map((option) => option.trim()))
      // A list value (tags) matches when any of its items is one of the options.
      const equal = (actual: string) =>
        actual
          .toLowerCase()
          .split(',')
          .some((item) => options.has(item.trim()))
      return operator === '=' ? equal : (actual) => !equal(actual)
    }
    case '~':
      return (actual) => actual.toLowerCase().includes(wanted)
    case '!~':
      return (actual) => !actual.toLowerCase().includes(wanted)
    default: {
      const limit = Number(expected)
      if (expected === '' || Number.isNaN(limit)) throw new Error(`"${text}": ${operator} needs a number`)
      return (actual) => {
        const value = Number(actual)
        if (actual.trim() === '' || Number.isNaN(value)) return false
        if (operator === '>') return value > limit
        if (operator === '>=') return value >= limit
        if (operator === '<') return value < limit
        return value <= limit
      }
    }
  }
}

const unquote = (value: string): string => {
  const trimmed = value.trim()
  return /^(["']).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed
}
