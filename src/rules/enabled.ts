/** Whether a row's `enabled` column switches it on: people editing by hand write 1/0, true/false or yes/no. */
export const isEnabled = (value: unknown): boolean => !['0', 'false', 'no', 'off', ''].includes(String(value).trim().toLowerCase())
