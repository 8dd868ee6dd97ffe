import { parseArgs } from 'node:util'
import { purgeDecisionsOlderThan } from '../db/retention.ts'
import { DEFAULT_DATABASE_PATH, openDatabase } from './node.ts'

/** `npm run decisions:purge -- --days 30 [--db path] [--batch-size 500]`: deletes decisions older than N days. */
const { values } = parseArgs({
  options: {
    days: { type: 'string' },
    db: { type: 'string', default: process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH },
    'batch-size': { type: 'string', default: process.env.RETENTION_BATCH_SIZE || '500' },
  },
})
const days = Number(values.days)
const batchSize = Number(values['batch-size'])
if (!Number.isInteger(days) || days < 1 || !Number.isInteger(batchSize) || batchSize < 1) {
  console.error('usage: npm run decisions:purge -- --days 30 [--db path] [--batch-size 500]')
  process.exit(2)
}
const { sqlite, db } = openDatabase(values.db as string)
try {
  // The server usually has the file open: a pause between batches lets its writes (waiting on busy_timeout)
  // take the write lock instead of queueing behind the whole purge.
  const deleted = await purgeDecisionsOlderThan(db, days, { batchSize, pauseMs: 5 })
  console.log(`${deleted} decisions older than ${days} days deleted`)
} finally {
  sqlite.close()
}
