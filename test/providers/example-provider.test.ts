import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/lib/logger.ts'
import { builtinProviders } from '../../src/providers/index.ts'
import { startNodeServer } from '../../src/runtime/node.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { CALL_DECISIONS_SQL, callDecisionsParams, type DecisionRecord, type ServiceHarness } from '../helpers/harness.ts'
import { acmeIvr, isAcmeAnswer, isAcmeFallback } from './example-provider.ts'
import { testProviderContract } from './provider-contract.ts'

/**
 * A provider defined only under test/ (example-provider.ts) registers by being passed with the built-in
 * ones, passes the provider contract every provider passes, and routes calls over HTTP through the demo
 * rules: nothing in src/ names it.
 */
const ADMIN_TOKEN = 'an-admin-token-0123456789'

const startWithAcme = async (env: Record<string, string> = {}) => {
  const directory = mkdtempSync(join(tmpdir(), 'ivr-acme-'))
  const databasePath = join(directory, 'test.db')
  const server = await startNodeServer({
    env: { DATABASE_PATH: databasePath, RULES_REFRESH_MS: '0', ADMIN_TOKEN, ...env },
    providers: [...builtinProviders, acmeIvr],
    log: silentLogger,
    clock: () => MONDAY_MORNING,
    port: 0,
    host: '127.0.0.1',
  })
  return {
    server,
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(server.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    decisions(callId: string) {
      const sqlite = new BetterSqlite3(databasePath, { readonly: true })
      try {
        return sqlite
          .prepare('SELECT provider, layer, action, rule_name, reason FROM decisions WHERE call_id = ? ORDER BY id')
          .all(callId) as Record<string, unknown>[]
      } finally {
        sqlite.close()
      }
    },
    async close() {
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

const harness = async (env?: Record<string, string>): Promise<ServiceHarness> => {
  const started = await startWithAcme(env)
  const { server } = started
  /** The decision log over a second, read-only connection. */
  const read = async <T>(query: (sqlite: BetterSqlite3.Database) => T): Promise<T> => {
    await server.service.drain()
    const sqlite = new BetterSqlite3(server.database.sqlite.name, { readonly: true })
    try {
      return query(sqlite)
    } finally {
      sqlite.close()
    }
  }
  return {
    post: started.post,
    get: (path, headers = {}) => fetch(server.url + path, { headers }),
    countDecisions: () => read((sqlite) => (sqlite.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n),
    decisions: (callId, provider) =>
      read((sqlite) => sqlite.prepare(CALL_DECISIONS_SQL).all(...callDecisionsParams(callId, provider)) as DecisionRecord[]),
    deliverCallLogs: () => server.service.callLogs.deliverDue(),
    settle: () => server.service.drain(),
    close: started.close,
  }
}

const step = (fields: Record<string, unknown>) => ({
  callId: 'acme-1',
  from: '+14155550100',
  to: '+14155550199',
  step: '1',
  digits: '',
  ...fields,
})

testProviderContract(
  {
    provider: 'acme-ivr',
    requests: [
      { name: 'a call entering the IVR', body: step({}) },
      { name: 'an account number typed at step 5', body: step({ step: '5', digits: '1234' }) },
      { name: 'numbers sent as numbers', body: { callId: 12345, from: 4155550100, to: 4155550199, step: 5, digits: 1234 } },
    ],
    hostileRequests: (text) => [{ name: 'every field', body: { callId: `c-${text}`, from: text, to: text, step: text, digits: text } }],
    isValidAnswer: isAcmeAnswer,
    isProviderDefault: isAcmeFallback,
  },
  harness,
)

describe('a provider defined outside src/', () => {
  let acme: Awaited<ReturnType<typeof startWithAcme>>
  beforeAll(async () => {
    acme = await startWithAcme()
  })
  afterAll(() => acme.close())
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${acme.server.url}/admin${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    })

  it('is served at /webhooks/<id> beside the built-in providers, and /health lists it', async () => {
    const health = (await (await fetch(`${acme.server.url}/health`)).json()) as { providers: string[] }
    expect(health.providers).toEqual(['voicenter', 'routee', 'voipnow', 'stringee', 'ringcentral', 'acme-ivr'])
  })

  it("routes a caller through the demo rules: a wrong account number, then a hang-up the call's log records", async () => {
    const entry = (await (await acme.post('/webhooks/acme-ivr', step({ callId: 'flow-1' }))).json()) as { actions: unknown[] }
    expect(isAcmeAnswer(entry)).toBe(true)
    expect(isAcmeFallback(entry)).toBe(false)
    const typed = (await (await acme.post('/webhooks/acme-ivr', step({ callId: 'flow-1', step: '5', digits: '999' }))).json()) as {
      actions: unknown[]
    }
    expect(isAcmeAnswer(typed)).toBe(true)
    const hangup = await acme.post('/webhooks/acme-ivr', { callId: 'flow-1', event: 'hangup', seconds: 42 })
    expect(await hangup.json()).toEqual({ call: '', actions: [] })
    await acme.server.service.drain()
    expect(acme.decisions('flow-1')).toEqual([
      expect.objectContaining({ provider: 'acme-ivr', layer: '1' }),
      expect.objectContaining({ provider: 'acme-ivr', layer: '5' }),
      expect.objectContaining({ provider: 'acme-ivr', action: 'status:hangup' }),
    ])
  })

  it('an unreadable request gets its fallback and the reason is recorded', async () => {
    const answer = await acme.post('/webhooks/acme-ivr', { callId: '' })
    expect(isAcmeAnswer(await answer.json())).toBe(true)
  })

  it('rules may be scoped to it through the admin API, which knows its capabilities', async () => {
    const created = await admin('/rules', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Acme callers to sales',
        provider: 'acme-ivr',
        from_layer: '7',
        action: 'dial',
        dial: 'phone:+14155550111',
        priority: 1,
      }),
    })
    expect(created.status).toBe(201)
    const routed = (await (await acme.post('/webhooks/acme-ivr', step({ callId: 'flow-2', step: '7' }))).json()) as {
      actions: { dial?: string[] }[]
    }
    expect(routed.actions.find((action) => action.dial)?.dial).toEqual(['+14155550111'])
  })

  it('the simulator builds its requests from the provider', async () => {
    const response = await admin('/simulate', {
      method: 'POST',
      body: JSON.stringify({ provider: 'acme-ivr', caller: '+14155550100', did: '+14155550199', layer: '7' }),
    })
    expect(response.status).toBe(200)
    const simulated = (await response.json()) as { call: { provider: string; layer: string }; answer: { body: unknown } }
    expect(simulated.call).toMatchObject({ provider: 'acme-ivr', layer: '7' })
    expect(isAcmeAnswer(simulated.answer.body)).toBe(true)
  })
})
