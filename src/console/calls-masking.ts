import { maskPhone } from '../admin/decision-routes.ts'

/**
 * Phone-like runs in stored text: 7 to 15 digits with an optional leading + (or its URL-encoded %2B), not
 * inside a longer run of letters and digits (a token, a long id). Separators are not followed: providers send
 * numbers as plain digits.
 */
const PHONE_IN_TEXT = /(?<![A-Za-z0-9])(?:\+|%2B)?\d{7,15}(?![A-Za-z0-9])/gi

/** Words of the JSON fields that carry digits the caller typed (Voicenter DTMF, Routee collectedTones, VoipNow digits…). */
const TYPED_DIGITS_WORDS = new Set(['dtmf', 'digits', 'tones', 'pin', 'passcode'])
const isTypedDigitsField = (key: string) =>
  key.split(/[_\-\s.]+|(?<=[a-z])(?=[A-Z])/).some((word) => TYPED_DIGITS_WORDS.has(word.toLowerCase()))

/** JSON fields holding times (epoch seconds or milliseconds), whose long numbers are not phone numbers. */
const TIME_FIELD = /time|date|duration|(^|_)(at|ms)$|At$/

/** Shorter typed secrets are masked in their own fields only: masking every "12" in a request helps nobody. */
const SHORTEST_SECRET_IN_TEXT = 3

const bullets = (text: string) => text.replace(/[0-9]/g, '•')

export interface CallMasker {
  /** Whether whole numbers are shown (an admin) or masked (a viewer). */
  readonly reveals: boolean
  /** A number stored in a column (caller, DID). */
  phone(value: string | null | undefined): string
  /** Free text (a rule name, a reason, a CRM log's summary). */
  text(value: string | null | undefined): string
  /** Digits typed at a step; `secret` when they were typed to be looked up (a PIN, an account number). */
  typed(value: string | null | undefined, secret: boolean): string
  /** Stored JSON (or text) as shown in a <pre>: pretty, and masked for a viewer. */
  json(value: string | null | undefined, options?: { secretDigits?: boolean }): string
}

const pretty = (value: string | null | undefined): { parsed: unknown; isJson: boolean } => {
  if (value === null || value === undefined || value === '') return { parsed: '', isJson: false }
  try {
    return { parsed: JSON.parse(value), isJson: true }
  } catch {
    return { parsed: value, isJson: false }
  }
}

/**
 * How one call is shown to the signed-in role. An admin sees everything as stored. A viewer sees every
 * phone-like number masked as the decision log masks callers (country code and last two digits), wherever it
 * is: columns, JSON bodies, reasons, CRM log summaries; by shape, so a number a CRM or a provider put in an
 * unexpected field cannot slip through by its place. Digits typed to be looked up (`secrets`: the call's PINs
 * and account numbers) are replaced by bullets in every text of the call, and a step that looked up by PIN has
 * its typed-digits fields bulleted whole. `keep` are values never masked (the call's own id, which may be all
 * digits and is in the page's address anyway).
 */
export const callMasker = ({ reveal, secrets = [], keep = [] }: { reveal: boolean; secrets?: string[]; keep?: string[] }): CallMasker => {
  const kept = new Set(keep.filter(Boolean))
  const digitsOnly = secrets.map((secret) => secret.replace(/\D/g, ''))
  const longSecrets = [...new Set(digitsOnly.filter((secret) => secret.length >= SHORTEST_SECRET_IN_TEXT))].sort(
    (a, b) => b.length - a.length,
  )
  const secretRuns = longSecrets.length > 0 ? new RegExp(`(?<!\\d)(?:${longSecrets.join('|')})(?!\\d)`, 'g') : undefined

  const maskPiece = (text: string): string =>
    (secretRuns ? text.replace(secretRuns, bullets) : text).replace(PHONE_IN_TEXT, (number) => {
      const encodedPlus = /^%2B/i.test(number)
      const masked = maskPhone(encodedPlus ? `+${number.slice(3)}` : number) ?? number
      return encodedPlus ? `%2B${masked.slice(1)}` : masked
    })
  // The kept values stay whole wherever they are (a call id such as call-vn-1-…-1530721745779 holds a long run of digits).
  const maskText = (text: string): string =>
    [...kept].reduce<(piece: string) => string>(
      (maskRest, value) => (piece) => piece.split(value).map(maskRest).join(value),
      maskPiece,
    )(text)

  const maskValue = (value: unknown, secretDigits: boolean, key = ''): unknown => {
    if (secretDigits && isTypedDigitsField(key) && (typeof value === 'string' || typeof value === 'number')) {
      return bullets(String(value))
    }
    if (typeof value === 'string') return maskText(value)
    // A number long enough to be a phone number, unless its field says it is a time (epoch milliseconds).
    if (typeof value === 'number' && Number.isInteger(value) && String(Math.abs(value)).length >= 7 && !TIME_FIELD.test(key))
      return maskText(String(value))
    if (Array.isArray(value)) return value.map((item) => maskValue(item, secretDigits, key))
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskValue(item, secretDigits, name)]))
    }
    return value
  }

  if (reveal) {
    return {
      reveals: true,
      phone: (value) => value ?? '',
      text: (value) => value ?? '',
      typed: (value) => value ?? '',
      json: (value) => {
        const { parsed, isJson } = pretty(value)
        return isJson ? JSON.stringify(parsed, null, 2) : String(parsed)
      },
    }
  }
  return {
    reveals: false,
    phone: (value) => (value ? maskText(maskPhone(value) ?? value) : ''),
    text: (value) => (value ? maskText(value) : ''),
    typed: (value, secret) => (value ? (secret ? bullets(value) : maskText(value)) : ''),
    json: (value, { secretDigits = false } = {}) => {
      const { parsed, isJson } = pretty(value)
      return isJson ? JSON.stringify(maskValue(parsed, secretDigits), null, 2) : maskText(String(parsed))
    },
  }
}
