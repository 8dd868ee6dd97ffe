/**
 * `node test/tools/seed-demo-db.ts <file>`: creates the demo database `npm start` would create on first start
 * (the migrations, then the demo rules, fallbacks, contacts and owners), with the service's own openDatabase
 * and seedDemoData, and exits: no server. CI runs `npm run rules:check -- --db <file>` on it.
 * Refuses a file that already exists, so it never adds to or changes a real database.
 */
import { existsSync } from 'node:fs'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { openDatabase } from '../../src/runtime/node.ts'

const [path, ...rest] = process.argv.slice(2)
if (!path || rest.length > 0 || path.startsWith('-')) {
  console.error('usage: node test/tools/seed-demo-db.ts <new database file>')
  process.exit(2)
}
if (path === ':memory:' || existsSync(path)) {
  console.error(`seed-demo-db: ${path} ${path === ':memory:' ? 'is not a file' : 'already exists'}; give a new file`)
  process.exit(2)
}

const { sqlite, db } = openDatabase(path)
try {
  if (!(await seedDemoData(db))) {
    console.error(`seed-demo-db: the demo data was not added to ${path}`)
    process.exitCode = 1
  } else {
    console.log(`seed-demo-db: ${path} migrated and seeded with the demo data`)
  }
} finally {
  sqlite.close()
}
