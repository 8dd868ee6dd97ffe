import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import { silentLogger } from '../../src/lib/logger.ts'
import { type NodeServer, startNodeServer } from '../../src/runtime/node.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { voicenterRequest } from '../helpers/test-server.ts'
import { acmeCrm } from './example-plugin.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

/**
 * A CRM plugin defined only under test/ (example-plugin.ts) passes the contract every plugin passes and,
 * enabled by CRM_PLUGINS beside the built-in ones, routes a call: no file in src/ or plugins/ names it.
 */
const API_KEY = 'acme-api-key-123'
const DANA = { id: 7, fullName: 'Dana Levi', company: 'Levi Ltd', accountManager: { name: 'John Doe', extension: '101' }, balance: 120 }

/** Acme CRM's API on 127.0.0.1: contacts by phone or account number, 401 without the key, 429 on demand. */
const startFakeAcme = async () => {
  let limited = 0
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    requests.push(url.search)
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    if (request.headers['x-api-key'] !== API_KEY) return send(401, { message: 'bad key' })
    if (limited > 0) {
      limited--
      return send(429, { message: 'slow down' }, { 'retry-after': '2' })
    }
    const known = url.searchParams.get('phone') === '+972501234567' || url.searchParams.get('account') === '12345678'
    send(200, { contacts: known ? [DANA] : [] })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    limitNext: (count: number) => {
      limited = count
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

testCrmPluginContract({
  pluginId: 'acme-crm',
  async setup() {
    const fake = await startFakeAcme()
    const client = await acmeCrm().setup({
      config: { url: fake.url, apiKey: API_KEY },
      db: undefined as never,
      revisions: undefined as never,
      log: silentLogger,
      fetch,
    })
    return { client, close: fake.close }
  },
  known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
  unknown: { phone: '+972539999999', pin: '000000' },
})

describe('a CRM plugin defined outside src/ and plugins/', () => {
  let fake: Awaited<ReturnType<typeof startFakeAcme>>
  let server: NodeServer
  let directory: string
  beforeAll(async () => {
    fake = await startFakeAcme()
    directory = mkdtempSync(join(tmpdir(), 'ivr-acme-crm-'))
    server = await startNodeServer({
      env: {
        DATABASE_PATH: join(directory, 'test.db'),
        RULES_REFRESH_MS: '0',
        // Every call asks the CRMs, so the rate-limit test sees the chain, not the cache.
        LOOKUP_CACHE_TTL_SECONDS: '0',
        LOOKUP_CACHE_MISS_TTL_SECONDS: '0',
        LOOKUP_CACHE_ERROR_TTL_SECONDS: '0',
        LOOKUP_CACHE_STALE_SECONDS: '0',
        // Before the local directory, which holds Dana too: the answer must come from Acme.
        CRM_PLUGINS: 'acme-crm,local-directory',
        ACME_CRM_URL: fake.url,
        ACME_CRM_API_KEY: API_KEY,
      },
      plugins: [...builtinPlugins, acmeCrm()],
      log: silentLogger,
      clock: () => MONDAY_MORNING,
      port: 0,
      host: '127.0.0.1',
    })
  })
  afterAll(async () => {
    await server?.close()
    await fake?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const call = async (callId: string) => {
    const response = await fetch(`${server.url}/webhooks/voicenter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(voicenterRequest({ IVR_UNIQUE_ID: callId, LAYER_ID: '1', CALLER_ID: '0501234567' })),
    })
    await server.service.drain()
    const sqlite = new BetterSqlite3(join(directory, 'test.db'), { readonly: true })
    try {
      const row = sqlite
        .prepare('SELECT contact_id, lookup_outcome, rule_name, lookups FROM decisions WHERE call_id = ?')
        .get(callId) as Record<string, string>
      return { answer: (await response.json()) as Record<string, unknown>, row }
    } finally {
      sqlite.close()
    }
  }

  it('is set up from its own ACME_CRM_* settings and finds the caller for the rules', async () => {
    const { answer, row } = await call('acme-crm-1')
    expect(row).toMatchObject({ contact_id: 'acme-crm:7', lookup_outcome: 'found' })
    // Known, but without an account manager's layer: the operators, with Acme's data on the agent's screen.
    expect(answer).toMatchObject({
      ACTION: 'GO_TO_LAYER',
      LAYER: 20,
      CUSTOM_DATA: { CRM_SOURCE: 'acme-crm', NAME: 'Dana Levi', OWNER: 'John Doe', balance: '120' },
    })
    expect(fake.requests).toContain('?phone=%2B972501234567')
  })

  it('a 429 from it is a typed rate limit, and the next plugin in the chain answers meanwhile', async () => {
    fake.limitNext(1)
    const { row } = await call('acme-crm-2')
    expect(row).toMatchObject({ lookup_outcome: 'found', contact_id: expect.stringMatching(/^local-directory:/) })
    expect(JSON.parse(row.lookups ?? '[]')[0].plugins).toMatchObject([
      { plugin: 'acme-crm', outcome: 'error', kind: 'rate_limited' },
      { plugin: 'local-directory', outcome: 'found' },
    ])
    // Left alone for its Retry-After: the next call does not ask it.
    const asked = fake.requests.length
    const { row: next } = await call('acme-crm-3')
    expect(next).toMatchObject({ contact_id: expect.stringMatching(/^local-directory:/) })
    expect(fake.requests.length).toBe(asked)
  })
})
