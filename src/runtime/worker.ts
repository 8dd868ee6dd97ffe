import { drizzle } from 'drizzle-orm/d1'
import { builtinPlugins } from '../../plugins/index.ts'
import { createApp, type RouterService } from '../app.ts'
import type { Config } from '../config.ts'
import type { CrmPlugin } from '../crm/plugin.ts'
import type { Database } from '../db/database.ts'
import { seedDemoData } from '../db/demo-seed.ts'
import { createRetention, retentionSettings, runRetention } from '../db/retention.ts'
import * as schema from '../db/schema.ts'
import { errorMessage } from '../lib/logger.ts'
import { d1RecordWriter } from './d1-record-writer.ts'

/** Bindings: the D1 database, plus every setting as a var or secret (the same names as on Node). */
export interface WorkerEnv {
  DB: D1Database
  [name: string]: unknown
}

export interface WorkerServiceOptions {
  plugins?: readonly CrmPlugin[]
  clock?: () => Date
}

/** The same app as on Node, over D1. Migrations are applied by `wrangler d1 migrations apply`. */
export const createWorkerService = async (env: WorkerEnv, options: WorkerServiceOptions = {}): Promise<RouterService> => {
  const d1 = drizzle(env.DB, { schema })
  const db = d1 as unknown as Database
  const vars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  if ((vars.SEED_DEMO ?? 'true').toLowerCase() !== 'false') await seedDemoData(db)
  return createApp({
    db,
    env: vars,
    plugins: options.plugins ?? builtinPlugins,
    clock: options.clock,
    // One D1 batch (a transaction, one round trip) per round of writes.
    recordWriter: d1RecordWriter(env.DB, db),
    // A D1 batch is a transaction: a publish applies whole or not at all.
    atomic: async (statements) => {
      await d1.batch(statements)
    },
  })
}

/**
 * D1 counts queries per invocation (50 on the free plan, shared with call-log delivery), so a cron run takes
 * a few batches of each kind; at one run a minute that is still millions of rows a day.
 */
const D1_BATCHES_PER_RUN = 4

export const workerRetention = (env: WorkerEnv, config: Config) => {
  const settings = retentionSettings(config)
  return createRetention({
    db: drizzle(env.DB, { schema }) as unknown as Database,
    ...settings,
    maxRowsPerRun: Math.min(settings.maxRowsPerRun, settings.batchSize * D1_BATCHES_PER_RUN),
  })
}

let service: Promise<RouterService> | undefined

// One service per isolate: rules, caches and the plugin chain live as long as the isolate does.
const serviceFor = (env: WorkerEnv) => {
  service ??= createWorkerService(env).catch((error: unknown) => {
    service = undefined
    throw error
  })
  return service
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const { app } = await serviceFor(env)
    return app.fetch(request, env, ctx)
  },

  /** Cron (every minute): send due CRM call logs and delete expired rows. */
  async scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { callLogs, config, log } = await serviceFor(env)
    ctx.waitUntil(
      Promise.all([
        callLogs.deliverDue().catch((error: unknown) => log.error('scheduled call log delivery failed', { error: errorMessage(error) })),
        runRetention(workerRetention(env, config), log),
      ]),
    )
  },
} satisfies ExportedHandler<WorkerEnv>
