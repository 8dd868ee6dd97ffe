import { Hono } from 'hono'
import * as v from 'valibot'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { sql } from 'drizzle-orm'
import { timingSafeEqual } from 'hono/utils/buffer'
import { type Config, parseConfig } from './config.ts'
import { createLookupService } from './crm/lookup-service.ts'
import { createPluginChain } from './crm/plugin-chain.ts'
import type { CrmPlugin } from './crm/plugin.ts'
import { adminToken, createAdminApi, runSimulation, type SimulationInput } from './admin/admin-api.ts'
import { createCallLogOutbox } from './crm/call-log-outbox.ts'
import { createCallStateStore } from './db/call-state-store.ts'
import type { Database } from './db/database.ts'
import { createDecisionLog } from './db/decision-log.ts'
import { createStorageHealth } from './db/storage-health.ts'
import { describeIssues } from './lib/issues.ts'
import { parseUntrustedJson, WEBHOOK_JSON_LIMITS } from './lib/parse-untrusted-json.ts'
import { toE164 } from './lib/phone.ts'
import { createRedactor, redactingLogger } from './lib/redactor.ts'
import { createLogger, errorMessage, type Logger } from './lib/logger.ts'
import { createMetrics } from './lib/metrics.ts'
import type { ProviderAdapter, ProviderRequest } from './providers/provider.ts'
import { createRouteeClient } from './providers/routee/routee-client.ts'
import { startPinCall } from './providers/routee/routee-pin-call.ts'
import { routee } from './providers/routee/index.ts'
import { ringcentral } from './providers/ringcentral/index.ts'
import { stringee } from './providers/stringee/index.ts'
import { voicenter } from './providers/voicenter/index.ts'
import { voipnow } from './providers/voipnow/index.ts'
import { createCallRouter } from './routing/call-router.ts'
import { createRuleCache } from './rules/rule-cache.ts'

export interface AppOptions {
  db: Database
  /** Environment variables (Node) or Worker vars and secrets. */
  env: Record<string, string | undefined>
  /** The CRM plugins this build knows; CRM_PLUGINS picks from them. */
  plugins: readonly CrmPlugin[]
  log?: Logger
  /** The time rules are evaluated at (tests pin it). */
  clock?: () => Date
  fetch?: typeof fetch
  /** Decision rows per INSERT: D1 allows 100 bound values per statement, so 4 there. @default 16 */
  decisionBatchSize?: number
  /** Serve GET /metrics (Prometheus) behind ADMIN_TOKEN; on for the Node server, whose process keeps counts. */
  metrics?: boolean
  /**
   * Answer only once the call's decision is committed, so a crash right after an answer loses no decision
   * (Node). On Workers the boundary is waitUntil: the runtime keeps the isolate until the write settles.
   */
  recordBeforeAnswer?: boolean
  /** When queued decision rows are written (see DecisionLogOptions.schedule). */
  scheduleWrite?: (write: () => void) => void
}

const MAX_WEBHOOK_BODY = 64 * 1024
/** Providers' webhook URLs are short; a longer one is an attack or a misconfiguration, answered without parsing. */
const MAX_WEBHOOK_URL = 16 * 1024

const OutboundCall = v.object(
  {
  to: v.pipe(v.string('must be a phone number'), v.trim(), v.nonEmpty('must be a phone number')),
  from: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  prompt: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty(), v.maxLength(500))),
  },
  'the body must be a JSON object such as {"to": "+306911111111"}',
)

const randomSecret = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, '0')).join('')

/** Builds the whole service over a database; runtime-neutral (Node and Workers entries call it). */
export const createApp = async ({
  db,
  env,
  plugins,
  log: givenLog,
  clock,
  fetch: fetchImpl,
  decisionBatchSize,
  metrics: withMetrics,
  recordBeforeAnswer = false,
  scheduleWrite,
}: AppOptions) => {
  const config: Config = parseConfig(env)
  // Every secret the environment holds (ours and each plugin's) is kept out of stored rows and log lines.
  const redact = createRedactor(env)
  const log = redactingLogger(givenLog ?? createLogger(config.LOG_LEVEL), redact)
  const storage = createStorageHealth(clock)
  await probeWrites(db).then(
    () => storage.succeeded('probe'),
    (error: unknown) => {
      storage.failed('probe', error)
      log.error('the database does not take writes: calls are answered, but decisions and attempt counts are only kept in memory', {
        error: errorMessage(error),
      })
    },
  )
  const chain = await createPluginChain({ available: plugins, enabled: config.CRM_PLUGINS, env, db, log, fetch: fetchImpl })
  const rules = createRuleCache({ db, defaults: { timeZone: config.TIME_ZONE }, log, refreshMs: config.RULES_REFRESH_MS })
  const callState = createCallStateStore(db, undefined, storage, config.CALL_STATE_TTL_HOURS * 3_600_000)
  const decisionLog = createDecisionLog({ db, log, health: storage, batchSize: decisionBatchSize, schedule: scheduleWrite })
  const metrics = withMetrics ? createMetrics() : undefined
  const callLogs = createCallLogOutbox({
    db,
    chain,
    log,
    delayMs: config.CALL_LOG_DELAY_SECONDS * 1000,
    maxAttempts: config.CALL_LOG_MAX_ATTEMPTS,
  })
  const router = createCallRouter({
    rules,
    lookups: createLookupService({
      chain,
      cache: {
        hitTtlMs: config.LOOKUP_CACHE_TTL_SECONDS * 1000,
        missTtlMs: config.LOOKUP_CACHE_MISS_TTL_SECONDS * 1000,
        errorTtlMs: config.LOOKUP_CACHE_ERROR_TTL_SECONDS * 1000,
        staleMs: config.LOOKUP_CACHE_STALE_SECONDS * 1000,
        maxEntries: config.LOOKUP_CACHE_SIZE,
      },
      breaker: { failures: config.LOOKUP_BREAKER_FAILURES, openMs: config.LOOKUP_BREAKER_OPEN_SECONDS * 1000 },
    }),
    callState,
    decisionLog,
    callLogs,
    metrics,
    defaults: {
      language: config.DEFAULT_LANGUAGE,
      maxCallDuration: config.DIAL_MAX_CALL_DURATION,
      maxDialDuration: config.DIAL_MAX_DIAL_DURATION,
      record: config.DIAL_RECORD,
    },
    log,
    clock,
    redact,
  })
  const stateSecret = config.ROUTEE_STATE_SECRET ?? config.WEBHOOK_SECRET ?? randomSecret()
  if (!config.ROUTEE_STATE_SECRET && !config.WEBHOOK_SECRET) {
    log.warn('ROUTEE_STATE_SECRET is not set: Routee calls in progress will not survive a restart')
  }
  const routeeAdapter = routee({
    stateSecret,
    publicUrl: config.PUBLIC_URL,
    webhookSecret: config.WEBHOOK_SECRET,
    entryStep: config.ROUTEE_ENTRY_STEP,
    defaultCountry: config.ROUTEE_DEFAULT_COUNTRY,
    lookupDeadlineMs: config.ROUTEE_LOOKUP_DEADLINE_MS,
    language: config.ROUTEE_LANGUAGE,
    voice: config.ROUTEE_VOICE,
    callerId: config.ROUTEE_CALLER_ID,
    sorryText: config.ROUTEE_SORRY_TEXT,
  })
  const adapters: Record<string, ProviderAdapter> = {
    voicenter: voicenter({
      defaultCountry: config.VOICENTER_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.VOICENTER_LOOKUP_DEADLINE_MS,
    }),
    routee: routeeAdapter,
    stringee: stringee({
      stateSecret,
      signingSecret: config.STRINGEE_SIGNING_SECRET,
      publicUrl: config.PUBLIC_URL,
      webhookSecret: config.WEBHOOK_SECRET,
      entryStep: config.STRINGEE_ENTRY_STEP,
      defaultCountry: config.STRINGEE_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.STRINGEE_LOOKUP_DEADLINE_MS,
      voice: config.STRINGEE_VOICE,
      sorryText: config.ROUTEE_SORRY_TEXT,
    }),
    ringcentral: ringcentral({
      token: config.RINGCENTRAL_TOKEN,
      apiUrl: config.RINGCENTRAL_API_URL,
      state: callState,
      log,
      entryStep: config.RINGCENTRAL_ENTRY_STEP,
      defaultCountry: config.RINGCENTRAL_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.RINGCENTRAL_LOOKUP_DEADLINE_MS,
      fetch: fetchImpl,
    }),
    voipnow: voipnow({
      defaultCountry: config.VOIPNOW_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.VOIPNOW_LOOKUP_DEADLINE_MS,
      language: config.VOIPNOW_LANGUAGE,
      voice: config.VOIPNOW_TTS_VOICE,
    }),
  }
  const routeeClient =
    config.ROUTEE_APP_ID && config.ROUTEE_APP_SECRET
      ? createRouteeClient({
          applicationId: config.ROUTEE_APP_ID,
          applicationSecret: config.ROUTEE_APP_SECRET,
          authUrl: config.ROUTEE_AUTH_URL,
          apiUrl: config.ROUTEE_API_URL,
          fetch: fetchImpl,
        })
      : undefined
  const background = new Set<Promise<unknown>>()
  let hasExecutionContext: boolean | undefined
  /** Work that outlives the answer. It is caught here, where it starts: a rejection in it must never end the process. */
  const defer = (c: Context, work: Promise<unknown>) => {
    const task = work.catch((error: unknown) => {
      metrics?.unhandledErrors({ kind: 'background' })
      log.error('background work failed', { error: errorMessage(error) })
    })
    // Hono throws when the runtime has no execution context (Node); find out once, not per request.
    if (hasExecutionContext === undefined) {
      try {
        hasExecutionContext = typeof c.executionCtx.waitUntil === 'function'
      } catch {
        hasExecutionContext = false
      }
    }
    if (hasExecutionContext) return c.executionCtx.waitUntil(task)
    // Keep the promise so shutdown can wait for it.
    background.add(task)
    void task.finally(() => background.delete(task))
  }
  const providerAnswer = async (adapter: ProviderAdapter, status: number) => {
    const answer = await adapter.render({ action: 'provider_default' }, { provider: adapter.id })
    return new Response(answer.body, { status, headers: { 'content-type': answer.contentType } })
  }

  const app = new Hono()
  app.get('/healthz', (c) => c.text('ok'))
  app.get('/health', async (c) => {
    const snapshot = await rules.current()
    const problems = storage.problems()
    // Degraded, not down: calls are still answered, but a monitor must see that writes fail.
    return c.json(
      {
        status: problems.length > 0 ? 'degraded' : 'ok',
        plugins: chain.map((entry) => entry.id),
        rules: { revision: snapshot.revision, active: snapshot.rules.length, fallbacks: snapshot.fallbacks.length, invalid: snapshot.invalid.length },
        storage: { writable: problems.length === 0, problems, pendingDecisions: decisionLog.pending() },
      },
      problems.length > 0 ? 503 : 200,
    )
  })

  const webhook = async (c: Context) => {
    const adapter = adapters[c.req.param('provider') ?? '']
    if (!adapter) return c.json({ error: { code: 'NOT_FOUND', message: `no provider "${c.req.param('provider')}"` } }, 404)
    try {
      return await answerWebhook(c, adapter)
    } catch (error) {
      // Never a bare 500 to a provider: the caller still gets its failover.
      log.error('webhook failed', { provider: adapter.id, error: errorMessage(error) })
      return providerAnswer(adapter, 200)
    }
  }
  const answerWebhook = async (c: Context, adapter: ProviderAdapter) => {
    if (c.req.url.length > MAX_WEBHOOK_URL) {
      log.warn('webhook URL too long', { provider: adapter.id, length: c.req.url.length })
      return providerAnswer(adapter, 414)
    }
    if (config.WEBHOOK_SECRET) {
      const given = c.req.param('secret') ?? c.req.query('token') ?? c.req.header('x-webhook-secret')
      if (!given || !(await timingSafeEqual(given, config.WEBHOOK_SECRET))) {
        log.warn('webhook refused: missing or wrong secret', { provider: adapter.id })
        return providerAnswer(adapter, 401)
      }
    }
    const request = await readRequest(c, Boolean(adapter.verify), log)
    if (!request) {
      log.warn('webhook body too large', { provider: adapter.id, limit: MAX_WEBHOOK_BODY })
      return providerAnswer(adapter, 413)
    }
    if (adapter.verify && !(await adapter.verify(request))) {
      log.warn('webhook refused: bad provider signature', { provider: adapter.id })
      return providerAnswer(adapter, 401)
    }
    const other = await adapter.answerOther?.(request, {
      findCaller: (phone) => router.findCaller(phone, adapter.lookupDeadlineMs),
    })
    if (other) return new Response(other.body, { status: other.status, headers: { 'content-type': other.contentType } })
    const status = adapter.parseStatus?.(request)
    if (status) {
      const recorded = router.recordStatus(adapter.id, status, request)
      if (recordBeforeAnswer) await recorded.catch(() => {})
      defer(c, recorded)
      const answer = adapter.statusAnswer
      if (!answer) return c.json({})
      return new Response(answer.status === 204 ? null : answer.body, { status: answer.status, headers: { 'content-type': answer.contentType } })
    }
    if (adapter.answersFirst) {
      // The provider only wants an acknowledgement; what to do with the call goes out afterwards, and that
      // (the follow-up commands) is the answer the decision must be committed before.
      defer(
        c,
        router.route(adapter, request, (task) => defer(c, task)).then(async ({ answer, recorded, logged }) => {
          if (recordBeforeAnswer) await recorded
          await Promise.all([recorded, logged, answer.followUp?.()])
        }),
      )
      return c.body(null, 204)
    }
    const { answer, recorded, logged } = await router.route(adapter, request, (task) => defer(c, task))
    if (recordBeforeAnswer) await recorded
    defer(c, answer.followUp || logged ? Promise.all([recorded, logged, answer.followUp?.()]) : recorded)
    return new Response(answer.status === 204 ? null : answer.body, { status: answer.status, headers: { 'content-type': answer.contentType } })
  }
  // Anything else under a provider's path (an empty secret segment, a doubled slash, extra segments) is still
  // that provider's endpoint: it gets the provider's answer (401 without the secret), never a bare 404.
  app.on(['GET', 'POST'], ['/webhooks/:provider', '/webhooks/:provider/:secret', '/webhooks/:provider/*'], webhook)

  const admin = createAdminApi({ db, config, log, router, adapters })
  // Outbound PIN verification: Routee calls the number and plays the PIN prompt.
  admin.post('/routee/calls', async (c) => {
    if (!routeeClient) {
      return c.json({ error: { code: 'NOT_CONFIGURED', message: 'set ROUTEE_APP_ID and ROUTEE_APP_SECRET' } }, 503)
    }
    const parsed = v.safeParse(OutboundCall, await c.req.json().catch(() => undefined))
    if (!parsed.success) return c.json({ error: { code: 'BAD_REQUEST', message: describeIssues(parsed.issues) } }, 400)
    const to = toE164(parsed.output.to, config.ROUTEE_DEFAULT_COUNTRY)
    if (!to) return c.json({ error: { code: 'BAD_REQUEST', message: 'to: is not a phone number' } }, 400)
    const from = parsed.output.from ?? config.ROUTEE_CALLER_ID
    if (!from) return c.json({ error: { code: 'BAD_REQUEST', message: 'from: give it, or set ROUTEE_CALLER_ID' } }, 400)
    try {
      const started = await startPinCall(routeeClient, routeeAdapter, {
        to,
        from,
        prompt: parsed.output.prompt ?? config.ROUTEE_PIN_PROMPT,
        baseUrl: config.PUBLIC_URL ?? new URL(c.req.url).origin,
        step: config.ROUTEE_PIN_STEP,
        webhookSecret: config.WEBHOOK_SECRET,
      })
      log.info('Routee verification call started', { trackingId: started.trackingId })
      return c.json(started, 202)
    } catch (error) {
      log.error('Routee verification call failed', { error: errorMessage(error) })
      return c.json({ error: { code: 'ROUTEE_ERROR', message: errorMessage(error) } }, 502)
    }
  })

  app.route('/admin', admin)
  if (metrics) {
    app.get('/metrics', adminToken(config), (c) => {
      return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    })
  }
  if (!config.ADMIN_TOKEN) log.info('ADMIN_TOKEN is not set: the admin API is off')

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: 'no such route' } }, 404))
  app.onError((error, c) => {
    log.error('unhandled error', { error: error.message, path: c.req.path })
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500)
  })

  return {
    app,
    config,
    log,
    rules,
    callState,
    callLogs,
    /** The pipeline without side effects (simulator). */
    simulate: (input: SimulationInput) => runSimulation(router, adapters, input),
    /**
     * Graceful shutdown: waits for work started after answers (at most `timeoutMs`: a refresh stuck on a hung
     * CRM must not hold the process), then writes the decisions still queued.
     */
    async drain(timeoutMs = 5_000) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs)
      })
      await Promise.race([Promise.allSettled([...background]), timeout])
      clearTimeout(timer)
      await decisionLog.flush()
    },
    /** Whether every kind of write the service depends on is working (what /health reports). */
    storage,
    metrics,
  }
}

/**
 * A write that changes nothing but needs the write lock, so a read-only file, a read-only mount or
 * `query_only` fail it at start-up rather than on the first call.
 */
const probeWrites = async (db: Database) => {
  // better-sqlite3 answers (or throws) synchronously, D1 with a promise: await covers both.
  await db.run(sql`DELETE FROM call_state WHERE 0`)
}

/** Bodies without a declared length (chunked) are counted while they stream and refused past the limit. */
const streamedBodyLimit = bodyLimit({ maxSize: MAX_WEBHOOK_BODY, onError: (c) => c.body(null, 413) })

export type RouterService = Awaited<ReturnType<typeof createApp>>

/**
 * Query fields plus a body parsed by its content type; an unparseable body stays text for the log.
 * Undefined when the body is over the limit. A declared length is checked from the header (Node's parser
 * never delivers more than it declares); only a body without one goes through Hono's bodyLimit, because
 * reading `c.req.raw.body` makes @hono/node-server build a full Request, which costs a third of the
 * throughput on the common path.
 */
const readRequest = async (c: Context, withHeaders: boolean, log: Logger): Promise<ProviderRequest | undefined> => {
  const query = c.req.query()
  const url = c.req.url
  // scheme://host[:port], without parsing the whole URL once more on every request.
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  const origin = pathStart === -1 ? url : url.slice(0, pathStart)
  // Every header is only read for providers that sign requests: building them costs on each request.
  const base = { method: c.req.method, query, origin, url, headers: withHeaders ? c.req.header() : undefined }
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return { ...base, body: undefined, rawBody: '' }
  const declared = c.req.header('content-length')
  if (declared === undefined || c.req.header('transfer-encoding') !== undefined) {
    if (await streamedBodyLimit(c, async () => {})) return undefined
  } else if (Number(declared) > MAX_WEBHOOK_BODY) return undefined
  const text = await c.req.text()
  if (text.length > MAX_WEBHOOK_BODY) return undefined
  if (text.trim() === '') return { ...base, body: undefined, rawBody: text }
  const type = c.req.header('content-type') ?? ''
  if (type.includes('application/x-www-form-urlencoded')) return { ...base, body: Object.fromEntries(new URLSearchParams(text)), rawBody: text }
  const parsed = parseUntrustedJson(text)
  if (parsed.ok) return { ...base, body: parsed.value, rawBody: text }
  if (!parsed.reason.startsWith('not JSON')) log.warn('webhook body refused', { reason: parsed.reason })
  // Kept as text (cut, well-formed) for the adapter to refuse and the decision log to show.
  return { ...base, body: text.slice(0, WEBHOOK_JSON_LIMITS.maxStringLength).toWellFormed(), rawBody: text }
}
