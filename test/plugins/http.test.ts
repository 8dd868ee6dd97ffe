import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { httpCrm, retryAfterMs } from '../../plugins/http.ts'
import { withHttpCrmConfigFile } from '../../plugins/http-config.ts'
import type { CallLogEntry, CrmClient } from '../../src/crm/plugin.ts'
import { RateLimitedError } from '../../src/crm/plugin.ts'
import { configFromEnv, createPluginChain } from '../../src/crm/plugin-chain.ts'
import { silentLogger } from '../../src/lib/logger.ts'
import { type FakeHttpCrm, startFakeHttpCrm } from '../helpers/fake-http-crm.ts'
import { ACME_DESK_API_KEY, ACME_DESK_MAPPING, acmeDeskEnv, DANA_PHONE, DANA_PIN, secretReference } from '../helpers/http-crm-fixture.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

/** The plugin as the service sets it up: its HTTP_CRM_* variables parsed by the plugin chain. */
const clientFor = async (env: Record<string, string>): Promise<CrmClient> => {
  const [entry] = await createPluginChain({
    available: [httpCrm()],
    enabled: ['http'],
    env,
    db: undefined as never,
    revisions: undefined as never,
    log: silentLogger,
  })
  return (entry as { client: CrmClient }).client
}

/** The start-up error the settings give, or undefined when they are fine. */
const configError = async (env: Record<string, string>) => {
  try {
    await clientFor(env)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

const options = () => ({ signal: new AbortController().signal })

const callLog = (overrides: Partial<CallLogEntry> = {}): CallLogEntry => ({
  provider: 'voicenter',
  callId: 'call-1',
  contact: { id: '7', source: 'http', name: 'Dana Levi', tags: [], fields: {}, owner: { id: 'u-42' } },
  direction: 'inbound',
  from: DANA_PHONE,
  to: '+972722776772',
  at: new Date('2026-11-23T08:00:00Z'),
  summary: 'Rule "VIP" dialled extension 101',
  durationMs: 41_600,
  status: 'completed',
  ...overrides,
})

let contractFake: FakeHttpCrm
testCrmPluginContract({
  pluginId: 'http',
  async setup() {
    contractFake = await startFakeHttpCrm()
    return { client: await clientFor(acmeDeskEnv(contractFake.url)), close: contractFake.close }
  },
  known: { phone: DANA_PHONE, pin: DANA_PIN, name: 'Dana Levi' },
  unknown: { phone: '+972539999999', pin: '000000' },
  fake: {
    rateLimitNext: (count, seconds) => contractFake.rateLimitNext(count, seconds),
    failNext: (count, status) => contractFake.failNext(count, status),
    dropNext: (count) => contractFake.dropNext(count),
    delayNext: (count, ms) => contractFake.delayNext(count, ms),
    requestCount: () => contractFake.requestCount(),
    loggedCalls: () => contractFake.calls,
  },
})

describe('generic HTTP plugin against an in-house CRM', () => {
  let fake: FakeHttpCrm
  let client: CrmClient
  beforeAll(async () => {
    fake = await startFakeHttpCrm()
    client = await clientFor(acmeDeskEnv(fake.url))
  })
  afterAll(() => fake?.close())
  beforeEach(() => fake.clearRequests())

  it('maps nested paths, lists and the owner of the answer onto the contact', async () => {
    expect(await client.findByPhone?.(DANA_PHONE, options())).toEqual({
      id: '7',
      source: 'http',
      name: 'Dana Levi',
      company: 'Levi Ltd',
      segment: 'VIP',
      tags: ['vip', 'enterprise'],
      updatedAt: '2026-01-01T00:00:00Z',
      // An array where text is mapped gives its first element; `tickets[0].id` picks one explicitly.
      fields: { balance: '120.5', email: 'dana@levi.example', lastTicket: 'T-222' },
      owner: { id: 'u-42', name: 'John Doe', email: 'john@example.com', extension: '101', phone: '+972541000101', layer: '22' },
    })
  })

  it('sends the number URL-encoded in E.164 and the key from its own variable, not from the settings text', async () => {
    await client.findByPhone?.(DANA_PHONE, options())
    const [request] = fake.requests
    expect(request).toMatchObject({ method: 'GET', path: '/api/v2/customers', query: { phone: DANA_PHONE } })
    expect(request?.headers['x-api-key']).toBe(ACME_DESK_API_KEY)
  })

  it('finds the same contact by PIN', async () => {
    expect(await client.findByPin?.(DANA_PIN, options())).toMatchObject({ id: '7', name: 'Dana Levi' })
    expect(fake.requests[0]?.query).toEqual({ account: DANA_PIN })
  })

  it('offers the number as digits, national number and local form', async () => {
    const local = await clientFor({
      ...acmeDeskEnv(fake.url),
      HTTP_CRM_PHONE_URL: `${fake.url}/api/v2/customers?phone={phone}&d={phone_digits}&n={phone_national}&l={phone_local}`,
    })
    await local.findByPhone?.(DANA_PHONE, options())
    expect(fake.requests[0]?.query).toEqual({ phone: DANA_PHONE, d: '972501234567', n: '501234567', l: '0501234567' })
  })

  it('answers null, never a throw, for nobody: an empty list, a 404, a null at the root', async () => {
    expect(await client.findByPhone?.('+972539999999', options())).toBeNull()
    const byPath = await clientFor({ ...acmeDeskEnv(fake.url), HTTP_CRM_PIN_URL: `${fake.url}/api/v2/accounts/{pin}` })
    expect(await byPath.findByPin?.('000000', options())).toBeNull()
    expect(await byPath.findByPin?.(DANA_PIN, options())).toMatchObject({ id: '7' })
    const posted = await clientFor({
      ...acmeDeskEnv(fake.url),
      HTTP_CRM_METHOD: 'post',
      HTTP_CRM_PHONE_URL: `${fake.url}/api/v2/customers/search`,
    })
    expect(await posted.findByPhone?.('+972539999999', options())).toBeNull()
  })

  it('POSTs the body template, and maps an object (not a list) at the root', async () => {
    const posted = await clientFor({
      ...acmeDeskEnv(fake.url),
      HTTP_CRM_METHOD: 'POST',
      HTTP_CRM_PHONE_URL: `${fake.url}/api/v2/customers/search`,
    })
    expect(await posted.findByPhone?.(DANA_PHONE, options())).toMatchObject({ id: '7', owner: { extension: '101' } })
    expect(fake.requests[0]).toMatchObject({ method: 'POST', json: { phone: DANA_PHONE }, headers: { 'content-type': 'application/json' } })
  })

  it('throws, rather than answering nobody, when the CRM refuses the key', async () => {
    const refused = await clientFor({ ...acmeDeskEnv(fake.url), HTTP_CRM_API_KEY: 'wrong-key-000' })
    await expect(refused.findByPhone?.(DANA_PHONE, options())).rejects.toThrow('HTTP CRM phone lookup: HTTP 401')
  })

  it('says which mapping entry does not fit an answer', async () => {
    const misfit = await clientFor({ ...acmeDeskEnv(fake.url), HTTP_CRM_MAPPING: JSON.stringify({ ...ACME_DESK_MAPPING, name: 'person' }) })
    await expect(misfit.findByPhone?.(DANA_PHONE, options())).rejects.toThrow('mapping.name (person) is not text')
    const noId = await clientFor({
      ...acmeDeskEnv(fake.url),
      HTTP_CRM_MAPPING: JSON.stringify({ ...ACME_DESK_MAPPING, id: 'customer_id' }),
    })
    await expect(noId.findByPhone?.(DANA_PHONE, options())).rejects.toThrow('the contact has no id')
  })

  it('turns a 429 into RateLimitedError, honouring Retry-After in seconds', async () => {
    fake.rateLimitNext(1, 12)
    const error = await client.findByPhone?.(DANA_PHONE, options()).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).retryAfterMs).toBe(12_000)
  })

  it('reads Retry-After as seconds or an HTTP date, a second when absent', () => {
    const now = Date.parse('2026-11-23T08:00:00Z')
    expect(retryAfterMs('3', now)).toBe(3000)
    expect(retryAfterMs('Mon, 23 Nov 2026 08:00:30 GMT', now)).toBe(30_000)
    expect(retryAfterMs(null, now)).toBe(1000)
    expect(retryAfterMs('soon', now)).toBe(1000)
  })

  it('throws on a 5xx and on a cut connection', async () => {
    fake.failNext(1, 502)
    await expect(client.findByPhone?.(DANA_PHONE, options())).rejects.toThrow('HTTP CRM phone lookup: HTTP 502')
    fake.dropNext(1)
    await expect(client.findByPhone?.(DANA_PHONE, options())).rejects.toThrow()
  })

  it('gives up when the lookup deadline aborts its signal', async () => {
    fake.delayNext(1, 5_000)
    const deadline = new AbortController()
    const lookup = client.findByPhone?.(DANA_PHONE, { signal: deadline.signal })
    while (fake.requestCount() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    deadline.abort(new DOMException('deadline', 'TimeoutError'))
    await expect(lookup).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  it('tells the lookup service its timeout, rate limit and caching', async () => {
    expect(client).toMatchObject({ timeoutMs: 1000, rateLimit: undefined, cache: true })
    const tuned = await clientFor({
      ...acmeDeskEnv(fake.url),
      HTTP_CRM_TIMEOUT_MS: '700',
      HTTP_CRM_RATE_LIMIT: '2.5',
      HTTP_CRM_CACHE: 'false',
    })
    expect(tuned).toMatchObject({ timeoutMs: 700, rateLimit: { perSecond: 2.5 }, cache: false })
  })

  it('logs a call by POSTing the body template over the entry, numbers staying numbers', async () => {
    const before = fake.calls.length
    await client.logCall?.(callLog())
    expect(fake.calls.slice(before)).toEqual([
      {
        customerId: '7',
        body: {
          call_id: 'call-1',
          direction: 'inbound',
          caller: DANA_PHONE,
          started_at: '2026-11-23T08:00:00.000Z',
          duration_seconds: 42,
          outcome: 'completed',
          note: 'IVR (voicenter): Rule "VIP" dialled extension 101',
          agent_id: 'u-42',
        },
      },
    ])
    expect(fake.requests.at(-1)?.headers['x-api-key']).toBe(ACME_DESK_API_KEY)
  })

  it('logs a call with null for what the entry lacks, and throws when the CRM fails it', async () => {
    const before = fake.calls.length
    await client.logCall?.(
      callLog({ durationMs: undefined, status: undefined, contact: { id: '7', source: 'http', name: 'Dana', tags: [], fields: {} } }),
    )
    expect(fake.calls[before]?.body).toMatchObject({ duration_seconds: null, outcome: null, agent_id: null })
    fake.failNext(1, 500)
    await expect(client.logCall?.(callLog())).rejects.toThrow('HTTP CRM call logging: HTTP 500')
    fake.rateLimitNext(1, 4)
    await expect(client.logCall?.(callLog())).rejects.toBeInstanceOf(RateLimitedError)
  })

  it('has no logCall without HTTP_CRM_LOG_URL, and no findByPin without HTTP_CRM_PIN_URL', async () => {
    const { HTTP_CRM_LOG_URL, HTTP_CRM_LOG_BODY, HTTP_CRM_PIN_URL, ...lookupsOnly } = acmeDeskEnv(fake.url)
    const plain = await clientFor(lookupsOnly)
    expect(plain.logCall).toBeUndefined()
    expect(plain.findByPin).toBeUndefined()
  })
})

describe('generic HTTP plugin settings', () => {
  const env = acmeDeskEnv('http://127.0.0.1:9')

  it('are checked at start, each problem naming the variable and the key inside it', async () => {
    const message = await configError({
      ...env,
      HTTP_CRM_MAPPING: JSON.stringify({ ...ACME_DESK_MAPPING, owner: { extension: 'manager..ext', extention: 'x' } }),
      HTTP_CRM_METHOD: 'DELETE',
      HTTP_CRM_TIMEOUT_MS: 'soon',
    })
    expect(message).toContain('CRM plugin "http" config:')
    expect(message).toContain('HTTP_CRM_MAPPING.owner.extension: must be a path such as data.person.name')
    expect(message).toContain('HTTP_CRM_MAPPING.owner.extention: is not a key here')
    expect(message).toContain('HTTP_CRM_METHOD: must be GET or POST')
    expect(message).toContain('HTTP_CRM_TIMEOUT_MS: must be a number')
  })

  it('name JSON that does not parse, and templates naming what they cannot', async () => {
    expect(await configError({ ...env, HTTP_CRM_HEADERS: '{x-api-key: 1}' })).toMatch(/HTTP_CRM_HEADERS: is not JSON/)
    expect(await configError({ ...env, HTTP_CRM_PIN_URL: 'http://127.0.0.1:9/a?pin={phone}' })).toContain(
      'HTTP_CRM_PIN_URL: {phone} is not something it can name',
    )
    expect(await configError({ ...env, HTTP_CRM_PHONE_URL: 'ftp://crm/{phone}' })).toContain('HTTP_CRM_PHONE_URL: must be an http(s) URL')
    expect(await configError({ ...env, HTTP_CRM_LOG_BODY: '{"x": "{secret}"}' })).toContain(
      'HTTP_CRM_LOG_BODY: {secret} is not something it can name',
    )
  })

  it('need a lookup URL', async () => {
    const { HTTP_CRM_PHONE_URL, HTTP_CRM_PIN_URL, ...rest } = env
    expect(await configError(rest)).toContain('HTTP_CRM_PHONE_URL: is required')
  })

  it('take secrets only from HTTP_CRM_* variables that are set, and refuse a misspelt variable', async () => {
    const { HTTP_CRM_API_KEY, ...withoutKey } = env
    expect(await configError(withoutKey)).toContain(`HTTP_CRM_HEADERS.x-api-key: ${secretReference('HTTP_CRM_API_KEY')} is not set`)
    expect(
      await configError({
        ...env,
        HTTP_CRM_HEADERS: JSON.stringify({ authorization: `Bearer ${secretReference('HUBSPOT_ACCESS_TOKEN')}` }),
      }),
    ).toContain('must name an HTTP_CRM_* variable')
    expect(await configError({ ...env, HTTP_CRM_MAPING: '{}' })).toContain('HTTP_CRM_MAPING: is not a setting of the http plugin')
  })

  it('never put the secret in a start-up error', async () => {
    const message = await configError({ ...env, HTTP_CRM_MAPPING: '{"id": 5}' })
    expect(message).toContain('HTTP_CRM_MAPPING.id')
    expect(message).not.toContain(ACME_DESK_API_KEY)
  })
})

describe('generic HTTP plugin configured by a JSON file', () => {
  let fake: FakeHttpCrm
  let directory: string
  beforeAll(async () => {
    fake = await startFakeHttpCrm()
    directory = mkdtempSync(join(tmpdir(), 'http-crm-config-'))
  })
  afterAll(async () => {
    await fake?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const writeConfig = (content: unknown) => {
    const path = join(directory, 'http-crm.json')
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
    return path
  }
  /** As the Node entry starts: the file read into HTTP_CRM_CONFIG. */
  const fromFile = (env: Record<string, string>) =>
    withHttpCrmConfigFile(env, (path) => readFileSync(path, 'utf8')) as Record<string, string>

  it('takes the same keys, as JSON values, with single variables winning over the file', async () => {
    const path = writeConfig({
      phoneUrl: `${fake.url}/api/v2/customers?phone={phone}`,
      headers: { 'x-api-key': secretReference('HTTP_CRM_API_KEY') },
      mapping: ACME_DESK_MAPPING,
      timeoutMs: 900,
      cache: false,
    })
    const client = await clientFor(
      fromFile({ HTTP_CRM_CONFIG_FILE: path, HTTP_CRM_API_KEY: ACME_DESK_API_KEY, HTTP_CRM_TIMEOUT_MS: '600' }),
    )
    expect(client).toMatchObject({ timeoutMs: 600, cache: false })
    expect(await client.findByPhone?.(DANA_PHONE, options())).toMatchObject({ id: '7', segment: 'VIP' })
  })

  it('names the key inside the file, and the file', async () => {
    const path = writeConfig({ phoneUrl: `${fake.url}/x?p={phone}`, mapping: { owner: { extension: 3 } }, colour: 'blue' })
    const message = await configError(fromFile({ HTTP_CRM_CONFIG_FILE: path }))
    expect(message).toContain('HTTP_CRM_CONFIG.colour: is not a setting of the http plugin')
    const fixed = writeConfig({ phoneUrl: `${fake.url}/x?p={phone}`, mapping: { owner: { extension: 3 } } })
    expect(await configError(fromFile({ HTTP_CRM_CONFIG_FILE: fixed }))).toContain(
      'HTTP_CRM_CONFIG.mapping.owner.extension: must be a path',
    )
    expect(await configError(fromFile({ HTTP_CRM_CONFIG_FILE: writeConfig('{oops') }))).toMatch(
      /HTTP_CRM_CONFIG \(from .*http-crm\.json\): is not JSON/,
    )
  })

  it('is read only by the Node entry: without it (Workers) the plugin says to set HTTP_CRM_CONFIG', async () => {
    expect(await configError({ HTTP_CRM_CONFIG_FILE: '/etc/http-crm.json' })).toContain(
      'HTTP_CRM_CONFIG_FILE: only the Node entry reads files',
    )
    expect(() => fromFile({ HTTP_CRM_CONFIG_FILE: join(directory, 'missing.json') })).toThrow(
      /HTTP_CRM_CONFIG_FILE: cannot read .* \(ENOENT\)/,
    )
  })

  it('config keys arrive camel-cased from the plugin chain, as the object names them', () => {
    expect(Object.keys(configFromEnv('HTTP_CRM_', acmeDeskEnv(fake.url)))).toEqual(
      expect.arrayContaining(['phoneUrl', 'pinUrl', 'headers', 'apiKey', 'mapping', 'logUrl', 'logBody']),
    )
  })
})

describe('a call routed on what the HTTP CRM returned', () => {
  let fake: FakeHttpCrm
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeHttpCrm()
    server = await startTestServer({
      env: { CRM_PLUGINS: 'http', ...acmeDeskEnv(fake.url), CALL_LOG_DELAY_SECONDS: '0' },
      plugins: [httpCrm()],
      // No demo rules: the one below alone decides.
      seed: false,
    })
    // Only the HTTP CRM knows the balance: a rule on it decides.
    server
      .openSideConnection()
      .prepare(
        `INSERT INTO rules (name, priority, provider, from_layer, lookup, contact_match, action, dial, options)
         VALUES ('Owes money: account manager', 1, 'voicenter', '1', 'found', 'fields.balance > 100; owner.extension', 'dial',
                 'extension:{{owner.extension}}', '{"caller_name": "{{name}} {{fields.lastTicket}}", "failed_layer": 20}')`,
      )
      .run()
  })
  afterAll(async () => {
    await server?.close()
    await fake?.close()
  })

  it('dials the account manager the CRM named, because of a balance only the CRM has', async () => {
    const response = await server.post('/webhooks/voicenter', voicenterRequest({ IVR_UNIQUE_ID: 'http-crm-1', CALLER_ID: '0501234567' }))
    expect(await response.json()).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Dana Levi T-222',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { CRM_SOURCE: 'http', CRM_ID: '7' },
    })
    await server.settle()
    const row = server
      .openSideConnection()
      .prepare('SELECT contact_id, rule_name FROM decisions WHERE call_id = ?')
      .get('http-crm-1') as Record<string, string>
    expect(row).toEqual({ contact_id: 'http:7', rule_name: 'Owes money: account manager' })
    expect(fake.requests.find((request) => request.path === '/api/v2/customers')?.query).toEqual({ phone: DANA_PHONE })
  })
})
