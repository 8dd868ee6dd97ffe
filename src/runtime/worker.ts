import { drizzle } from 'drizzle-orm/d1'
import { builtinPlugins } from '../../plugins/index.ts'
import { createApp, type RouterService } from '../app.ts'
import type { CrmPlugin } from '../crm/plugin.ts'
import type { Database } from '../db/database.ts'
import { seedDemoData } from '../db/demo-seed.ts'
import * as schema from '../db/schema.ts'
import { errorMessage } from '../logger.ts'

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
  const db = drizzle(env.DB, { schema }) as unknown as Database
  const vars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  if ((vars.SEED_DEMO ?? 'true').toLowerCase() !== 'false') await seedDemoData(db)
  return createApp({ db, env: vars, plugins: options.plugins ?? builtinPlugins, clock: options.clock, decisionBatchSize: 4 })
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

  /** Cron: send due CRM call logs and forget old call state. */
  async scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { callLogs, callState, config, log } = await serviceFor(env)
    ctx.waitUntil(
      Promise.all([callLogs.deliverDue(), callState.purge(config.CALL_STATE_TTL_HOURS * 3_600_000)]).catch((error: unknown) =>
        log.error('scheduled work failed', { error: errorMessage(error) }),
      ),
    )
  },
} satisfies ExportedHandler<WorkerEnv>
