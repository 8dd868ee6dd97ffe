import { sql } from 'drizzle-orm'
import { type Config, ConfigError, parseConfig, readSettings } from './config.ts'
import { createCallLogOutbox } from './crm/call-log-outbox.ts'
import { createLookupService } from './crm/lookup-service.ts'
import type { CrmPlugin } from './crm/plugin.ts'
import { createPluginChain } from './crm/plugin-chain.ts'
import { type RunAtomically, runInOrder } from './db/atomic.ts'
import { createCallStateStore } from './db/call-state-store.ts'
import type { Database } from './db/database.ts'
import { createDecisionLog, type RecordWriter } from './db/decision-log.ts'
import { createRevisionReader } from './db/revision-reader.ts'
import { createStorageHealth } from './db/storage-health.ts'
import { createLogger, errorMessage, type Logger } from './lib/logger.ts'
import { createMetrics } from './lib/metrics.ts'
import { createRedactor, redactingLogger } from './lib/redactor.ts'
import type { ProviderCapabilities } from './model/provider-capabilities.ts'
import { type HmacSha256, webCryptoHmac } from './providers/call-state-token.ts'
import { builtinProviders } from './providers/index.ts'
import type { ActiveProvider, ProviderDefinition } from './providers/provider.ts'
import { withSafeText } from './providers/safe-render.ts'
import { withSmsGuard } from './providers/sms-guard.ts'
import { createCallRouter } from './routing/call-router.ts'
import { createRuleCache } from './rules/rule-cache.ts'

export interface ServiceOptions {
  db: Database
  /** Environment variables (Node) or Worker vars and secrets. */
  env: Record<string, string | undefined>
  /** The CRM plugins this build knows; CRM_PLUGINS picks from them. */
  plugins: readonly CrmPlugin[]
  /** The telephony providers served, each at /webhooks/<id>. @default the registry's (src/providers/index.ts) */
  providers?: readonly ProviderDefinition[]
  log?: Logger
  /** The time rules are evaluated at (tests pin it). */
  clock?: () => Date
  fetch?: typeof fetch
  /** Count requests, decisions and lookups for GET /metrics; on for the Node server, whose process keeps counts. */
  metrics?: boolean
  /** When queued decision rows are written (see DecisionLogOptions.schedule). */
  scheduleWrite?: (write: () => void) => void
  /** How a round of decisions and call states is committed (see DecisionLogOptions.writer). */
  recordWriter?: RecordWriter
  /** How statements that must apply together (a publish) run as one transaction. @default in order, not atomic */
  atomic?: RunAtomically
  /** HMAC-SHA256 for the state signed into providers' URLs. @default WebCrypto */
  hmac?: HmacSha256
  /**
   * Wait for a call's attempt count to be committed before routing on (Workers, where answers do not wait
   * for the decision's commit and the call's next request may reach another isolate). @default false
   */
  stateBeforeRouting?: boolean
}

const randomSecret = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, '0')).join('')

/**
 * Builds the service's parts over a database: settings, storage, the CRM chain, rules, the router and the
 * providers from the registry. Runtime-neutral; knows no provider by name.
 */
export const createService = async ({
  db,
  env,
  plugins,
  providers: definitions = builtinProviders,
  log: givenLog,
  clock,
  fetch: fetchImpl = fetch,
  metrics: withMetrics,
  scheduleWrite,
  recordWriter,
  atomic = runInOrder(db),
  hmac,
  stateBeforeRouting = false,
}: ServiceOptions) => {
  const config: Config = parseConfig(env)
  const providerSettings = readProviderSettings(definitions, env)
  // Every secret the environment holds (ours, each provider's and each plugin's) is kept out of stored rows and log lines.
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
  // The change counters of the rules and the local directory, read at most every RULES_REFRESH_MS.
  const revisions = createRevisionReader(db, config.RULES_REFRESH_MS)
  const chain = await createPluginChain({
    available: plugins,
    enabled: config.CRM_PLUGINS,
    env,
    db,
    revisions,
    log,
    fetch: fetchImpl,
  })
  const rules = createRuleCache({
    db,
    defaults: { timeZone: config.TIME_ZONE },
    log,
    revisions,
    now: clock ? () => clock().getTime() : undefined,
  })
  const decisionLog = createDecisionLog({
    db,
    log,
    health: storage,
    writer: recordWriter,
    schedule: scheduleWrite,
  })
  const callState = createCallStateStore(db, {
    health: storage,
    ttlMs: config.CALL_STATE_TTL_HOURS * 3_600_000,
    writes: decisionLog,
    waitForCommit: stateBeforeRouting,
  })
  const metrics = withMetrics ? createMetrics() : undefined
  const callLogs = createCallLogOutbox({
    db,
    writes: decisionLog,
    chain,
    log,
    delayMs: config.CALL_LOG_DELAY_SECONDS * 1000,
    maxAttempts: config.CALL_LOG_MAX_ATTEMPTS,
  })
  const lookups = createLookupService({
    chain,
    cache: {
      hitTtlMs: config.LOOKUP_CACHE_TTL_SECONDS * 1000,
      missTtlMs: config.LOOKUP_CACHE_MISS_TTL_SECONDS * 1000,
      errorTtlMs: config.LOOKUP_CACHE_ERROR_TTL_SECONDS * 1000,
      staleMs: config.LOOKUP_CACHE_STALE_SECONDS * 1000,
      maxEntries: config.LOOKUP_CACHE_SIZE,
    },
    breaker: { failures: config.LOOKUP_BREAKER_FAILURES, openMs: config.LOOKUP_BREAKER_OPEN_SECONDS * 1000 },
  })
  const router = createCallRouter({
    rules,
    lookups,
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

  const configuredStateSecret = config.STATE_SECRET ?? config.WEBHOOK_SECRET
  if (!configuredStateSecret) {
    log.warn('STATE_SECRET is not set: calls in progress whose state travels in the URLs we hand providers will not survive a restart')
  }
  const services = {
    log,
    fetch: fetchImpl,
    callState,
    publicUrl: config.PUBLIC_URL,
    webhookSecret: config.WEBHOOK_SECRET,
    stateSecret: configuredStateSecret ?? randomSecret(),
    hmac: hmac ?? webCryptoHmac(),
  }
  const providers = new Map<string, ActiveProvider>(
    definitions.map((definition) => [
      definition.id,
      {
        id: definition.id,
        name: definition.name,
        capabilities: definition.capabilities,
        handler: withSmsGuard(withSafeText(definition.create(providerSettings.get(definition.id), services)), definition.capabilities),
      },
    ]),
  )
  const capabilities: Record<string, ProviderCapabilities> = Object.fromEntries(
    [...providers].map(([id, provider]) => [id, provider.capabilities]),
  )

  /**
   * Tries the writes again (the probe, then the decisions kept in memory): a database that recovered while no
   * call came in is seen as healthy by the next monitor poll, not only by the next call.
   */
  const recheckStorage = async () => {
    await probeWrites(db).then(
      () => storage.succeeded('probe'),
      (error: unknown) => storage.failed('probe', error),
    )
    if (storage.problems().length === 0) await decisionLog.flush()
  }

  return {
    config,
    log,
    redact,
    db,
    atomic,
    storage,
    recheckStorage,
    chain,
    lookups,
    rules,
    callState,
    decisionLog,
    metrics,
    callLogs,
    router,
    providers,
    capabilities,
  }
}

export type Service = Awaited<ReturnType<typeof createService>>

/** Each provider's own settings; every problem of every provider is reported at once, before anything starts. */
const readProviderSettings = (definitions: readonly ProviderDefinition[], env: Record<string, string | undefined>) => {
  const settings = new Map<string, unknown>()
  const problems: string[] = []
  const seen = new Set<string>()
  for (const definition of definitions) {
    if (seen.has(definition.id)) problems.push(`provider "${definition.id}" is registered twice`)
    seen.add(definition.id)
    const read = readSettings(definition.config, env)
    if (read.ok) settings.set(definition.id, read.settings)
    else problems.push(`${definition.name}: ${read.problems}`)
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  return { get: (id: string) => settings.get(id) }
}

/**
 * A write that changes nothing but needs the write lock, so a read-only file, a read-only mount or
 * `query_only` fail it at start-up rather than on the first call.
 */
const probeWrites = async (db: Database) => {
  // better-sqlite3 answers (or throws) synchronously, D1 with a promise: await covers both.
  await db.run(sql`DELETE FROM call_state WHERE 0`)
}
