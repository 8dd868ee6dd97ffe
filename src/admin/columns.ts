/** Column text that should hold JSON; undefined when it is empty or does not parse. */
export const safeJson = (text: string | null | undefined): unknown => {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A drizzle row key as its SQL column name (`fromLayer` → `from_layer`). */
export const columnName = (key: string) => key.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`)
const camel = (key: string) => key.replace(/_([a-z])/g, (_, char: string) => char.toUpperCase())

/** API bodies use the SQL column names, as people see them in an SQLite tool; drizzle rows use camelCase. */
export const columnsToRow = (input: Record<string, unknown>) => {
  const row: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    row[camel(key)] = key === 'options' && value !== null && typeof value === 'object' ? JSON.stringify(value) : value
  }
  return row
}

/** A drizzle row as the API shows it: SQL column names, `options` as the JSON object it holds. */
export const rowToColumns = (row: Record<string, unknown>) => {
  const columns: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row))
    columns[columnName(key)] = key === 'options' ? (safeJson(value as string) ?? value) : value
  return columns
}
