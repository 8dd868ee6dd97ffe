import { type Context, Hono } from 'hono'
import { adminToken, createAdminApi, runSimulation, type SimulationInput } from './admin/admin-api.ts'
import { createConsole } from './console/console-app.ts'
import { createBackground } from './http/background.ts'
import { healthRoutes } from './http/health.ts'
import { webhookRoutes } from './http/webhooks.ts'
import { errorResponse } from './lib/app-error.ts'
import { createService, type ServiceOptions } from './service.ts'

export interface AppOptions extends ServiceOptions {
  /**
   * Answer only once the call's decision is committed, so a crash right after an answer loses no decision
   * (Node). On Workers the boundary is waitUntil: the runtime keeps the isolate until the write settles.
   */
  recordBeforeAnswer?: boolean
  /** The request-target exactly as received, where the runtime keeps it (Node): what GET signatures cover. */
  requestTarget?: (c: Context) => string | undefined
}

/**
 * The whole service as one Hono app: health, one webhook route for every provider, the admin API (with each
 * provider's own admin routes) and metrics. Runtime-neutral: the Node and Workers entries call it.
 */
export const createApp = async ({ recordBeforeAnswer = false, requestTarget, ...options }: AppOptions) => {
  const service = await createService({ ...options, stateBeforeRouting: !recordBeforeAnswer })
  const { config, log, metrics, router, providers, decisionLog } = service
  const background = createBackground(log, metrics)

  const app = new Hono()
  app.route('/', healthRoutes(service))
  app.route('/webhooks', webhookRoutes(service, { recordBeforeAnswer, background, requestTarget }))

  // Each provider's own admin routes (Routee's outbound calls) under /admin/<id>, in the OpenAPI document too.
  const mount = [...providers.values()].flatMap((provider) =>
    provider.handler.adminRoutes ? [{ path: `/${provider.id}`, app: provider.handler.adminRoutes }] : [],
  )
  app.route(
    '/admin',
    createAdminApi({
      db: options.db,
      config,
      log,
      router,
      providers: Object.fromEntries(providers),
      capabilities: service.capabilities,
      mount,
      rules: service.rules,
      atomic: service.atomic,
      clock: options.clock,
    }),
  )
  const clock = options.clock
  app.route('/console', createConsole({ db: options.db, service, log, now: clock ? () => clock().getTime() : undefined }))
  if (metrics) {
    app.get('/metrics', adminToken(config), (c) =>
      c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
    )
  }
  if (!config.ADMIN_TOKEN) log.info('ADMIN_TOKEN is not set: the admin API is off')

  app.notFound((c) => errorResponse(c, 'NOT_FOUND', 'no such route'))
  app.onError((error, c) => {
    log.error('unhandled error', { error: error.message, path: c.req.path })
    return errorResponse(c, 'INTERNAL', 'internal error')
  })

  return {
    app,
    config,
    log,
    rules: service.rules,
    callState: service.callState,
    callLogs: service.callLogs,
    /** The pipeline without side effects (simulator). */
    simulate: (input: SimulationInput) => runSimulation(router, Object.fromEntries(providers), input),
    /**
     * Graceful shutdown: waits for work started after answers (at most `timeoutMs`: a refresh stuck on a hung
     * CRM must not hold the process), then writes the decisions still queued.
     */
    async drain(timeoutMs = 5_000) {
      await background.settle(timeoutMs)
      await decisionLog.flush()
    },
    /** Whether every kind of write the service depends on is working (what /health reports). */
    storage: service.storage,
    metrics,
  }
}

export type RouterService = Awaited<ReturnType<typeof createApp>>
