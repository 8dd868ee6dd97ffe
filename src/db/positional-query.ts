import { is, Param, Placeholder } from 'drizzle-orm'

/**
 * A drizzle query with named placeholders as plain SQL and a function that lays a row's fields out in the
 * order of its `?`s, for a runtime's own prepared statement (better-sqlite3's, D1's): drizzle's prepared
 * query fills its placeholders by name on every run, a cost every call would pay.
 */
export const positionalQuery = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
  const { sql, params } = query.toSQL()
  // Each parameter: a placeholder's name (and its column's encoder), or a value fixed in the query.
  const slots = params.map((param) => {
    if (is(param, Placeholder)) return { name: param.name as string }
    if (is(param, Param)) {
      const encoder = param.encoder as { mapToDriverValue(value: unknown): unknown } | undefined
      if (is(param.value, Placeholder)) return { name: param.value.name as string, encoder }
      return { value: encoder ? encoder.mapToDriverValue(param.value) : param.value }
    }
    return { value: param }
  })
  return {
    sql,
    /** The values for the `?`s, in order; a field left out is NULL. */
    values(row: object): unknown[] {
      const fields = row as Record<string, unknown>
      const values = new Array<unknown>(slots.length)
      for (let index = 0; index < slots.length; index++) {
        const slot = slots[index] as (typeof slots)[number]
        if ('value' in slot) {
          values[index] = slot.value
          continue
        }
        const value = fields[slot.name]
        values[index] = value === undefined || value === null ? null : slot.encoder ? slot.encoder.mapToDriverValue(value) : value
      }
      return values
    },
  }
}
