import { parseArgs } from 'node:util'
import { purgeDecisions } from '../admin/admin-api.ts'
import { DEFAULT_DATABASE_PATH, openDatabase } from './node.ts'

/** `npm run decisions:purge -- --days 30 [--db path]`: deletes decisions older than N days (retention). */
const { values } = parseArgs({
  options: {
    days: { type: 'string' },
    db: { type: 'string', default: process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH },
  },
})
const days = Number(values.days)
if (!Number.isInteger(days) || days < 1) {
  console.error('usage: npm run decisions:purge -- --days 30 [--db path]')
  process.exit(2)
}
const { sqlite, db } = openDatabase(values.db as string)
try {
  console.log(`${await purgeDecisions(db, days)} decisions older than ${days} days deleted`)
} finally {
  sqlite.close()
}
