import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { generateSpecs } from 'hono-openapi'
import type { Config } from '../config.ts'
import type { RunAtomically } from '../db/atomic.ts'
import type { Database } from '../db/database.ts'
import { AppError, type ErrorCode, errorResponse } from '../lib/app-error.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { ActiveProvider } from '../providers/provider.ts'
import type { CallRouter } from '../routing/call-router.ts'
import type { RuleCache } from '../rules/rule-cache.ts'
import { adminToken } from './admin-token.ts'
import { API_REFERENCE_PATHS, apiReferencePage } from './api-reference-page.ts'
import { createChangeLog } from './change-log.ts'
import { decisionRoutes } from './decision-routes.ts'
import { directoryRoutes } from './directory-routes.ts'
import { draftRoutes } from './draft-routes.ts'
import { menuRoutes } from './menu-routes.ts'
import { MAX_ADMIN_BODY } from './route-docs.ts'
import { rulesRoutes } from './rules-routes.ts'
import { scheduleRoutes } from './schedule-routes.ts'
import { simulateRoutes } from './simulate.ts'

export { adminToken } from './admin-token.ts'
export { maskPhone } from './decision-routes.ts'
export { runSimulation, Simulation, type SimulationInput } from './simulate.ts'

/** Routes from outside the admin API (a provider's own), served under /admin/<path> like its own. */
export interface AdminMount {
  /** Where under /admin, e.g. `/routee` for /admin/routee/calls. */
  path: string
  app: Hono
}

export interface AdminApiOptions {
  db: Database
  config: Config
  log: Logger
  router: CallRouter
  /** The providers served, by id: the simulator runs calls through them. */
  providers: Readonly<Record<string, ActiveProvider>>
  /**
   * What each registered provider can do. Rules, fallbacks and menu keys are held against it: a row that
   * can answer on none of the providers it applies to is refused, one that some cannot answer is kept with
   * `warnings`. @default the capabilities of `providers`
   */
  capabilities?: Readonly<Record<string, ProviderCapabilities>>
  /**
   * Routes mounted under /admin behind the token and the body limit, before the OpenAPI document is built:
   * their describeRoute metadata is in /admin/openapi.json.
   */
  mount?: readonly AdminMount[]
  /** The live rules (a draft's preview compares against them). */
  rules: RuleCache
  /** How a publish runs as one transaction. */
  atomic: RunAtomically
  /** The service's clock (tests pin it). */
  clock?: () => Date
}

const DOCUMENT_PATH = '/openapi.json'
/** The only /admin paths served without the token: the API description, its reference page and that page's stylesheet. */
const PUBLIC_PATHS = new Set([DOCUMENT_PATH, API_REFERENCE_PATHS.page, API_REFERENCE_PATHS.stylesheet].map((path) => `/admin${path}`))

/** What /admin/openapi.json says besides the routes: the API, where it is served, and its one credential. */
const DOCUMENTATION = {
  info: {
    title: 'ivr-crm-router admin API',
    version: '1.0.0',
    description: 'Rules, fallbacks, menu keys, owners, contacts, simulator and decision log.',
  },
  servers: [{ url: '/admin' }],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http' as const,
        scheme: 'bearer',
        description: "The token is the service's `ADMIN_TOKEN` (from its environment).",
      },
    },
  },
}
/** What a mount may be called: plain path segments, so it cannot shadow the document or take the whole API. */
const MOUNT_PATH = /^(\/[a-z0-9][a-z0-9_-]*)+$/i

/** Hono's own HTTP errors (malformed JSON, a mounted app's) in the one error shape. */
const HTTP_ERROR_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  502: 'UPSTREAM_ERROR',
  503: 'NOT_CONFIGURED',
}

/**
 * /admin: rules, fallbacks, menu keys, the owner map and the local directory over REST, a simulator, the
 * decision log, and routes mounted from outside. Every route but the OpenAPI document and its reference
 * page needs ADMIN_TOKEN. Every error is answered in the one shape of src/lib/app-error.ts, thrown
 * AppErrors included.
 */
export const createAdminApi = ({ db, config, log, router, providers, capabilities, mount = [], rules, atomic, clock }: AdminApiOptions) => {
  for (const { path } of mount) {
    if (!MOUNT_PATH.test(path)) throw new Error(`admin mount "${path}": must be a path such as /routee`)
  }
  const admin = new Hono()
  const held = capabilities ?? Object.fromEntries(Object.entries(providers).map(([id, provider]) => [id, provider.capabilities]))

  admin.onError((error, c) => {
    if (error instanceof AppError) return errorResponse(c, error.code, error.message)
    if (error instanceof HTTPException) {
      const code = HTTP_ERROR_CODES[error.status] ?? (error.status < 500 ? 'BAD_REQUEST' : undefined)
      const message = error.message === 'Malformed JSON in request body' ? 'body: is not valid JSON' : error.message
      if (code) return errorResponse(c, code, message || 'the request cannot be answered')
    }
    if (isDatabaseBusy(error)) {
      log.warn('admin: the database is locked by another program', { path: c.req.path })
      return errorResponse(
        c,
        'DATABASE_BUSY',
        'the database is locked by another program (an SQLite tool with unsaved changes?); nothing was changed, try again',
      )
    }
    log.error('admin: unhandled error', { error: errorMessage(error), path: c.req.path })
    return errorResponse(c, 'INTERNAL', 'internal error')
  })
  admin.notFound((c) => errorResponse(c, 'NOT_FOUND', 'no such route'))

  const requireToken = adminToken(config)
  admin.use('*', async (c, next) => {
    // Exact paths: a suffix test would let /admin/calls/<provider>/docs through without a token.
    if (PUBLIC_PATHS.has(c.req.path)) return next()
    return requireToken(c, next)
  })
  // Before any body is read: a rule is a few hundred bytes, so a megabyte is a mistake or an attack.
  admin.use(
    '*',
    bodyLimit({
      maxSize: MAX_ADMIN_BODY,
      onError: (c) => errorResponse(c, 'PAYLOAD_TOO_LARGE', `the body is over ${MAX_ADMIN_BODY / 1024} KiB`),
    }),
  )

  const rowRules = { db, log, timeZone: config.TIME_ZONE, capabilities: held, changes: createChangeLog(db) }
  admin.route('/', scheduleRoutes(rowRules)) // first: its guards check rules' schedule names before the rule routes
  admin.route('/', rulesRoutes(rowRules))
  admin.route('/', menuRoutes(rowRules))
  admin.route('/', directoryRoutes({ db, log, defaultCountry: config.DEFAULT_COUNTRY }))
  admin.route('/', simulateRoutes({ router, providers }))
  admin.route('/', draftRoutes({ db, log, atomic, timeZone: config.TIME_ZONE, capabilities: held, router, rules, providers, clock }))
  admin.route('/', decisionRoutes({ db, log, defaultCountry: config.DEFAULT_COUNTRY, batchSize: config.RETENTION_BATCH_SIZE }))
  for (const { path, app } of mount) admin.route(path, app)

  // Built from the routes above (the mounted ones included), once, on the first request; a failed build is retried.
  let built: ReturnType<typeof generateSpecs> | undefined
  const openApiDocument = () => {
    built ??= generateSpecs(admin, { documentation: DOCUMENTATION }).catch((error: unknown) => {
      built = undefined
      throw error
    })
    return built
  }
  admin.get(DOCUMENT_PATH, async (c) => c.json(await openApiDocument()))
  admin.route('/', apiReferencePage({ document: openApiDocument, documentPath: DOCUMENT_PATH }))

  return admin
}

/** SQLite's "database is locked", from better-sqlite3 (code) or D1 (message). */
const isDatabaseBusy = (error: unknown): boolean =>
  (error as { code?: unknown }).code === 'SQLITE_BUSY' ||
  /SQLITE_BUSY|database is locked/.test(errorMessage(error)) ||
  // drizzle wraps the driver's error in its own ("Failed to run the query …").
  ((error as { cause?: unknown }).cause !== undefined && isDatabaseBusy((error as { cause?: unknown }).cause))
