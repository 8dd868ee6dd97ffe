import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { cached, toE164 } from '../../lib/phone.ts'

/**
 * E.164 for a number as Routee sends it. Routee's Voice API writes every number internationally without
 * the plus ("306911111111", "447700900123": https://docs.routee.net/docs/numbers-1), so a number without a
 * plus is read as international first; only when that is not a valid number is it read in the default
 * country (a caller ID "occasionally incorrectly formatted by the originating network", as Routee warns,
 * e.g. "6911111111"). The shared reading (toE164) tries the default country first, and with GR turns
 * "972539999999" into +30972539999999: a number that is only "possible", not valid.
 */
export const routeeNumber = (raw: string | undefined, defaultCountry: string): string | undefined =>
  raw === undefined ? undefined : routeeNumberCached(raw, defaultCountry)

const readRouteeNumber = (raw: string, defaultCountry: string): string | undefined => {
  const trimmed = raw.trim()
  if (/^[1-9][\d\s()-]*$/.test(trimmed)) {
    const international = parsePhoneNumberFromString(`+${trimmed.replace(/\D/g, '')}`)
    if (international?.isValid()) return international.number
  }
  return toE164(trimmed, defaultCountry)
}
// Each COLLECT step reads both numbers again: parsed once per distinct number, like the shared readings.
const routeeNumberCached = cached(readRouteeNumber)
