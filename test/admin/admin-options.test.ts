import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ServerType, serve } from '@hono/node-server'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import { type AdminMount, createAdminApi } from '../../src/admin/admin-api.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { AppError } from '../../src/lib/app-error.ts'
import type { ProviderCapabilities } from '../../src/model/provider-capabilities.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { createService } from '../../src/service.ts'
import { recordingLogger } from '../helpers/test-server.ts'

const TOKEN = 'admin-token-0123456789abcdef'

/** A provider's own admin route, as a provider folder would hand it over: documented with describeRoute. */
const echoRoutes = () =>
  new Hono()
    .post(
      '/echo',
      describeRoute({
        tags: ['example'],
        summary: 'Echo a word',
        security: [{ bearer: [] }],
        responses: {
          200: { description: 'The word', content: { 'application/json': { schema: resolver(v.object({ word: v.string() })) } } },
        },
      }),
      async (c) => c.json({ word: ((await c.req.json()) as { word: string }).word }),
    )
    .get('/not-configured', () => {
      throw new AppError('NOT_CONFIGURED', 'set EXAMPLE_KEY')
    })
    .get('/broken', () => {
      throw new Error('a bug with a secret in it')
    })

/**
 * The admin API built on its own, with the options the app passes (a real service over a real SQLite file),
 * mounted under /admin of a Hono app as src/app.ts does, and served on 127.0.0.1.
 */
const startAdmin = async (options: { capabilities?: Record<string, ProviderCapabilities>; mount?: AdminMount[] }) => {
  const directory = mkdtempSync(join(tmpdir(), 'ivr-admin-'))
  const database: NodeDatabase = openDatabase(join(directory, 'admin.db'))
  await seedDemoData(database.db)
  const { log, entries } = recordingLogger()
  const service = await createService({ db: database.db, env: { ADMIN_TOKEN: TOKEN, RULES_REFRESH_MS: '0' }, plugins: builtinPlugins, log })
  const parts = {
    db: database.db,
    config: service.config,
    log: service.log,
    router: service.router,
    providers: Object.fromEntries(service.providers),
    rules: service.rules,
    atomic: service.atomic,
  }
  const admin = createAdminApi({ ...parts, ...options })
  const app = new Hono().route('/admin', admin)
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  return {
    url,
    parts,
    call,
    logs: entries,
    count: (table: string) => (database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      database.sqlite.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

describe('createAdminApi: mount', () => {
  let admin: Awaited<ReturnType<typeof startAdmin>>
  beforeAll(async () => {
    admin = await startAdmin({ mount: [{ path: '/example', app: echoRoutes() }] })
  })
  afterAll(() => admin.close())

  it('serves mounted routes under /admin, behind the token', async () => {
    expect(await admin.call('POST', '/example/echo', { word: 'hello' })).toEqual({ status: 200, body: { word: 'hello' } })
    const anonymous = await fetch(`${admin.url}/admin/example/echo`, { method: 'POST', body: '{"word": "hello"}' })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } })
  })

  it('answers AppErrors thrown by a route in the one shape, with the status of their code', async () => {
    expect(await admin.call('GET', '/example/not-configured')).toEqual({
      status: 503,
      body: { error: { code: 'NOT_CONFIGURED', message: 'set EXAMPLE_KEY' } },
    })
  })

  it('answers any other error as INTERNAL 500, logged, without its message', async () => {
    expect(await admin.call('GET', '/example/broken')).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
    })
    expect(admin.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'admin: unhandled error',
        fields: expect.objectContaining({ path: '/admin/example/broken' }),
      }),
    )
  })

  it('puts mounted routes into /admin/openapi.json, and the document stays valid', async () => {
    const document = await (await fetch(`${admin.url}/admin/openapi.json`)).json()
    expect(document.paths['/example/echo']?.post).toMatchObject({ summary: 'Echo a word', tags: ['example'] })
    const validation = await new Validator().validate(document as never)
    expect(validation.errors ?? [], JSON.stringify(validation.errors)).toEqual([])
  })

  it('refuses a mount path that is not a plain path', async () => {
    for (const path of ['', '/', 'example', '/example/', '/../x']) {
      expect(() => createAdminApi({ ...admin.parts, mount: [{ path, app: new Hono() }] }), path).toThrow(
        `admin mount "${path}": must be a path such as /routee`,
      )
    }
  })

  // Last: the connection that sent the refused body is not reused cleanly.
  it('refuses bodies over the limit before a mounted route reads them', async () => {
    const response = await admin.call('POST', '/example/echo', { word: 'x'.repeat(300 * 1024) })
    expect(response).toEqual({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is over 256 KiB' } } })
  })
})

describe('createAdminApi: capabilities', () => {
  let admin: Awaited<ReturnType<typeof startAdmin>>
  const voicenterOnly: Record<string, ProviderCapabilities> = {
    voicenter: {
      actions: ['go_to_layer', 'say', 'dial', 'collect', 'provider_default'],
      dialTargets: ['phone', 'extension'],
      noInput: 'callback',
    },
  }
  beforeAll(async () => {
    admin = await startAdmin({ capabilities: voicenterOnly })
  })
  afterAll(() => admin.close())

  it('holds rows against the providers it is given, not every provider the build knows', async () => {
    const created = await admin.call('POST', '/rules', {
      name: 'layer 9',
      from_layer: 9,
      identify_by: 'none',
      action: 'go_to_layer',
      to_layer: 40,
    })
    expect(created).toMatchObject({ status: 201, body: { warnings: [] } })
    const before = admin.count('rules')
    const routee = await admin.call('POST', '/rules', { provider: 'routee', action: 'hangup' })
    expect(routee).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'provider: "routee" is not a registered provider (voicenter)' } },
    })
    const hangup = await admin.call('POST', '/rules', { action: 'hangup' })
    expect(hangup.body.error.message).toBe(
      'action: no provider this rule applies to can answer "hangup" (voicenter) — give options.providers.<id> or scope the rule with provider',
    )
    expect(admin.count('rules')).toBe(before)
  })
})
