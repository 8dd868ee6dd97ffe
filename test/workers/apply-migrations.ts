import { applyD1Migrations, env } from 'cloudflare:test'

// The same migrations/ folder the Node entry applies, and `wrangler d1 migrations apply` in production.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
