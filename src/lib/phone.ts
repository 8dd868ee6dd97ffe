import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js'
import { LRUCache } from 'lru-cache'

/**
 * Distinct inputs remembered per function. Parsing a number costs tens of microseconds, and a service sees the
 * same few DIDs and its regular callers over and over; bounded, so numbers nobody calls from again age out.
 */
const CACHED_NUMBERS = 10_000
/** lru-cache holds no undefined: what stands for "not a number" in the caches. */
const NONE = ''

/** No phone number is this long: longer text is computed each time, never kept. */
const LONGEST_CACHED = 64

/** `compute` for each distinct key once, while the key stays among the most recently used. */
export const cached = (compute: (key: string, context: string) => string | undefined) => {
  const cache = new LRUCache<string, string>({ max: CACHED_NUMBERS })
  return (key: string, context: string): string | undefined => {
    if (key.length > LONGEST_CACHED) return compute(key, context)
    const cacheKey = `${context}\u0000${key}`
    let value = cache.get(cacheKey)
    if (value === undefined) {
      value = compute(key, context) ?? NONE
      cache.set(cacheKey, value)
    }
    return value === NONE ? undefined : value
  }
}

/** Values providers send when the caller withheld the number. */
const WITHHELD = /^(anonymous|private|restricted|unknown|unavailable|withheld|0+)?$/i

/**
 * E.164 for a number as a provider sends it: local ("0501234567"), international ("+972501234567") or
 * international without the plus ("972501234567"). Undefined when the number is withheld or not a number.
 */
export const toE164 = (raw: string, defaultCountry: string): string | undefined => e164Cached(raw, defaultCountry)

function parseE164(raw: string, defaultCountry: string): string | undefined {
  const trimmed = raw.trim()
  if (WITHHELD.test(trimmed)) return undefined
  const local = parsePhoneNumberFromString(trimmed, defaultCountry.toUpperCase() as CountryCode)
  // Providers sometimes drop the plus of an international number: "4915112345678".
  const international = /^[1-9]/.test(trimmed) ? parsePhoneNumberFromString(`+${trimmed.replace(/[^\d]/g, '')}`) : undefined
  // A real number in either reading wins over one that only has a possible length: "972501234567" with
  // default country GR is Israel's +972…, not a Greek +30972….
  for (const reading of [local, international]) if (reading?.isValid()) return reading.number
  for (const reading of [local, international]) if (reading?.isPossible()) return reading.number
  return undefined
}
const e164Cached = cached(parseE164)

/** The national significant number ("501234567" for +972501234567), as some CRMs index it. */
export const nationalNumber = (e164: string): string | undefined => parsePhoneNumberFromString(e164)?.nationalNumber

/**
 * How to write a number for a provider that dials domestic numbers in national form (Voicenter: "0501234567")
 * and foreign ones in international form.
 */
export const toDialString = (number: string, homeCountry: string): string => dialStringCached(number, homeCountry) ?? number

function dialString(number: string, homeCountry: string): string {
  const parsed = number.startsWith('+') ? parsePhoneNumberFromString(number) : undefined
  if (!parsed) return number
  if (parsed.country === homeCountry.toUpperCase()) return parsed.formatNational().replace(/\D/g, '')
  return parsed.number
}
const dialStringCached = cached(dialString)

/** The digits a person dials inside the country, trunk prefix included: "0501234567" for +972501234567. */
export const nationalDialForm = (e164: string): string | undefined => parsePhoneNumberFromString(e164)?.formatNational().replace(/\D/g, '')
