/** Limits on what a request body may hold once parsed; beyond them it is not trusted as data. */
export interface UntrustedJsonLimits {
  /** Objects and arrays nested deeper than this are refused before parsing. */
  maxDepth: number
  /** Longer strings (values and keys) are cut to this many UTF-16 units. */
  maxStringLength: number
}

/** No provider nests its webhooks more than a few levels; 64 leaves room and keeps recursion shallow. */
export const WEBHOOK_JSON_LIMITS: UntrustedJsonLimits = { maxDepth: 64, maxStringLength: 4096 }

export type UntrustedJsonResult = { ok: true; value: unknown } | { ok: false; reason: string }

/**
 * JSON.parse for text anyone can send. JSON.parse itself copes with 5,000 levels of nesting, but everything
 * that walks the result afterwards (JSON.stringify for the log, valibot, our own code) recurses and throws
 * a RangeError; so depth is measured on the text first, in one pass, and a deep body is refused whole.
 * Strings come back well-formed (a lone surrogate would make encodeURIComponent and TextEncoder-based code
 * throw or corrupt) and no longer than the limit.
 */
export const parseUntrustedJson = (text: string, limits: UntrustedJsonLimits = WEBHOOK_JSON_LIMITS): UntrustedJsonResult => {
  // Nesting deeper than the limit needs more opening brackets than the limit: webhooks have a handful, found
  // by indexOf far faster than the character-by-character scan that only a bracket-heavy body still gets.
  if (openings(text, limits.maxDepth) > limits.maxDepth && nestingDepth(text, limits.maxDepth) > limits.maxDepth) {
    return { ok: false, reason: `JSON nested deeper than ${limits.maxDepth} levels` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` }
  }
  return { ok: true, value: tidy(value, limits.maxStringLength) }
}

/** How many `{` and `[` the text holds (in strings too), counting no further than `stopAbove` + 1. */
const openings = (text: string, stopAbove: number): number => {
  let count = 0
  for (const bracket of ['{', '[']) {
    for (let index = text.indexOf(bracket); index !== -1 && count <= stopAbove; index = text.indexOf(bracket, index + 1)) count++
  }
  return count
}

/** Deepest nesting of [ and { outside strings, stopping as soon as it passes `stopAbove`. */
const nestingDepth = (text: string, stopAbove: number): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === 92 /* \ */) index++
      else if (code === 34 /* " */) inString = false
      continue
    }
    if (code === 34) inString = true
    else if (code === 123 /* { */ || code === 91 /* [ */) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > stopAbove) return deepest
      }
    } else if (code === 125 /* } */ || code === 93 /* ] */) depth--
  }
  return deepest
}

const tidyString = (text: string, maxLength: number): string => {
  const cut = text.length > maxLength ? text.slice(0, maxLength) : text
  return cut.isWellFormed() ? cut : cut.toWellFormed()
}

/** Depth is already bounded, so this recursion is too. `__proto__` keys stay plain data (JSON.parse's own). */
const tidy = (value: unknown, maxLength: number): unknown => {
  if (typeof value === 'string') return tidyString(value, maxLength)
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = tidy(value[index], maxLength)
    return value
  }
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const clean = tidyString(key, maxLength)
    const before = record[key]
    const tidied = tidy(before, maxLength)
    if (clean === key && tidied === before) continue
    if (clean !== key) delete record[key]
    // Not `record[clean] = …`: for a "__proto__" key that would set the prototype instead of the field.
    Object.defineProperty(record, clean, { value: tidied, enumerable: true, writable: true, configurable: true })
  }
  return record
}
