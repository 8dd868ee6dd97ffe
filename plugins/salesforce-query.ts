/**
 * Building SOSL and SOQL text safely. Every value that reaches a query goes through one of these: SOSL's
 * reserved characters are escaped inside FIND {...}, SOQL string literals have their quote and backslash
 * escaped, and field and object names are checked against the API-name grammar, so no setting or caller
 * input can change the shape of a query.
 */

/**
 * SOSL's reserved characters (SOQL and SOSL Reference, FIND {SearchQuery}): each must be preceded by a
 * backslash to be searched for literally.
 */
const SOSL_RESERVED = /[?&|!{}[\]()^~*:\\"'+-]/g

/** One literal search term for FIND {...}: reserved characters escaped, whitespace kept to one space. */
export const escapeSosl = (term: string): string => term.replace(SOSL_RESERVED, (char) => `\\${char}`).replace(/\s+/g, ' ')

/** A value for a SOQL string literal ('...'): the two characters SOQL reserves there, quote and backslash, escaped. */
export const escapeSoqlString = (value: string): string => value.replace(/[\\']/g, (char) => `\\${char}`)

/** A field's API name, optionally through relationships: `Phone`, `Account.Name`, `Tier__c`, `Owner.Extension`. */
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*){0,4}$/

export const isFieldName = (name: string) => FIELD_NAME.test(name)

/** `FIND {a OR b} IN PHONE FIELDS RETURNING Contact(Id, Name), Lead(Id, Name) LIMIT n`: each term searched literally. */
export const phoneSearch = (
  terms: readonly string[],
  returning: readonly { object: string; fields: readonly string[] }[],
  limit: number,
) => {
  for (const { object, fields } of returning) {
    if (!isFieldName(object) || !fields.every(isFieldName)) throw new Error(`not an API name in RETURNING ${object}(${fields.join(', ')})`)
  }
  const find = terms.map(escapeSosl).join(' OR ')
  const objects = returning.map(({ object, fields }) => `${object}(${fields.join(', ')})`).join(', ')
  return `FIND {${find}} IN PHONE FIELDS RETURNING ${objects} LIMIT ${limit}`
}

/** `SELECT fields FROM object WHERE field = 'value' LIMIT n`, the value escaped as a string literal. */
export const selectWhereEquals = (object: string, fields: readonly string[], field: string, value: string, limit: number) => {
  if (![object, field, ...fields].every(isFieldName)) throw new Error(`not an API name in a query of ${object}`)
  return `SELECT ${fields.join(', ')} FROM ${object} WHERE ${field} = '${escapeSoqlString(value)}' LIMIT ${limit}`
}
