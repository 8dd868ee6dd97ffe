import * as v from 'valibot'

/**
 * A field a provider sends as a string or a number, as text without surrounding space. Vendors' tables say
 * Integer where their examples send strings, and the other way round.
 */
export const WireText = v.pipe(
  v.union([v.string(), v.number()]),
  v.transform((value) => String(value).trim()),
)
