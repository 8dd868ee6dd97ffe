import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../src/db/demo-seed.ts'
import { type NodeServer, openDatabase, startNodeServer } from '../src/runtime/node.ts'
import { MONDAY_MORNING, recordingLogger, startTestServer, type TestServer, voicenterRequest } from './helpers/test-server.ts'

const SECRET = 'hostile-test-webhook-secret-0123'
const ADMIN_TOKEN = 'hostile-test-admin-token-0123456'
const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

/** A chunked POST (no content-length) of `chunks` × `chunkSize` bytes; resolves with the status and body. */
const chunkedPost = (url: string, chunks: number, chunkSize: number) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      let body = ''
      response.on('data', (data: Buffer) => {
        body += data.toString()
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    // The server may answer and close before every chunk is sent: that is the point.
    request.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)))
    const chunk = Buffer.alloc(chunkSize, ' ')
    let sent = 0
    const send = () => {
      while (sent < chunks) {
        sent++
        if (!request.write(chunk)) return void request.once('drain', send)
      }
      request.end()
    }
    send()
  })

describe('hostile requests against the real server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, PUBLIC_URL: 'https://ivr.example.com' } })
  })
  afterAll(() => server.close())
  const hook = (provider: string) => `/webhooks/${provider}/${SECRET}`
  const decisions = (where = '1') =>
    server.openSideConnection().prepare(`SELECT * FROM decisions WHERE ${where} ORDER BY id`).all() as Record<string, unknown>[]

  it.each([
    ['voicenter', 200, /^\{"STATUS":0,"ACTION":"GO_TO_LAYER"/],
    ['routee', 200, /^\{"verbs":\[\{/],
    ['voipnow', 200, /^<\?xml [^>]*\?>\s*<Response/],
    ['stringee', 200, /^\[\{/],
    // RingCentral is answered 204 at once; its answer proper goes out as REST commands.
    ['ringcentral', 204, /^$/],
  ] as const)('JSON nested 5,000 deep to %s: a provider answer, and a decision row says why', async (provider, status, body) => {
    const before = decisions().length
    const response = await server.post(hook(provider), deep(5000))
    expect(response.status).toBe(status)
    expect(await response.text()).toMatch(body)
    await server.settle()
    const rows = decisions().slice(before)
    expect(rows.length).toBe(1)
    expect(String(rows[0]?.request)).toMatch(/^\{"a":\{"a":/)
  })

  it('a valid Voicenter call with a deeply nested extra field is still routed to a fallback and recorded', async () => {
    const call = voicenterRequest({ IVR_UNIQUE_ID: 'deep-field' })
    const text = JSON.stringify(call).replace('"DTMF"', `"EXTRA":${deep(5000)},"DTMF"`)
    const response = await server.post(hook('voicenter'), text)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ STATUS: 0 })
    await server.settle()
    expect(decisions().at(-1)).toMatchObject({ provider: 'voicenter', action: 'go_to_layer' })
  })

  it('a chunked body is cut off at 64 KiB with the provider answer; a small chunked body is routed', async () => {
    const big = await chunkedPost(`${server.url}${hook('voicenter')}`, 4096, 16 * 1024)
    expect(big.status).toBe(413)
    expect(JSON.parse(big.body)).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
    const small = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}${hook('voicenter')}`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (response) => {
          let body = ''
          response.on('data', (data: Buffer) => {
            body += data.toString()
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        },
      )
      request.on('error', reject)
      const text = JSON.stringify(voicenterRequest({ DTMF: '12345678', LAYER_ID: '5' }))
      request.write(text.slice(0, 40))
      request.end(text.slice(40))
    })
    expect(small.status).toBe(200)
    expect(JSON.parse(small.body)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 12, CALLER_NAME: 'Dana Levi' })
  })

  it('a URL over 16 KiB and an empty secret segment get the provider answer, not a bare error', async () => {
    const long = await fetch(`${server.url}${hook('voicenter')}?pad=${'x'.repeat(20 * 1024)}`)
    expect(long.status).toBe(414)
    expect(await long.json()).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
    const empty = await server.post('/webhooks/voicenter/', voicenterRequest({}))
    expect(empty.status).toBe(401)
    expect(await empty.json()).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
  })

  it('the decision is committed before the answer arrives', async () => {
    const side = server.openSideConnection()
    for (let index = 0; index < 20; index++) {
      const callId = `committed-${index}`
      const response = await server.post(hook('voicenter'), voicenterRequest({ IVR_UNIQUE_ID: callId }))
      expect(response.status).toBe(200)
      // No settle(): the row must already be there.
      expect(side.prepare('SELECT count(*) AS n FROM decisions WHERE call_id = ?').get(callId)).toEqual({ n: 1 })
    }
  })

  it('no secret is stored or returned: ?token= requests, Routee eventUrls in answers, the decisions API', async () => {
    await fetch(
      `${server.url}/webhooks/voipnow?token=${SECRET}&CallID=tok-1&CallerIDNum=0501234567&CalledDID=0722776772&CallStatus=CALLING&CallFlow=IN&layer=1`,
    )
    const routee = await server.post(hook('routee'), {
      messageId: 'bd62d22e-dc10-48de-b696-45f63c6d0aad',
      conversationTrackingId: 'secret-conversation',
      from: '+306911111111',
      to: '+302111234567',
    })
    // The live answer must carry it (Routee posts the digits there)...
    expect(await routee.text()).toContain(SECRET)
    await server.settle()
    // ...but nothing kept or shown does.
    const stored = JSON.stringify(decisions())
    expect(stored).toContain('tok-1')
    expect(stored).toContain('secret-conversation')
    expect(stored).toContain('[redacted]')
    expect(stored).not.toContain(SECRET)
    const api = await fetch(`${server.url}/admin/decisions?unmask=true&limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(api.status).toBe(200)
    const listed = await api.text()
    expect(listed).toContain('secret-conversation')
    expect(listed).not.toContain(SECRET)
    expect(JSON.stringify(server.logs)).not.toContain(SECRET)
  })

  it('every admin route but the API description refuses a request without the token', async () => {
    const routes = server.service.app.routes.filter((route) => route.path.startsWith('/admin') && route.method !== 'ALL')
    expect(routes.length).toBeGreaterThan(20)
    for (const route of routes) {
      const path = route.path.replace(/:provider/g, 'voicenter').replace(/:[a-z]+/gi, '1')
      const response = await fetch(`${server.url}${path}?unmask=true`, {
        method: route.method,
        headers: { 'content-type': 'application/json' },
        body: route.method === 'GET' ? undefined : '{}',
      })
      const open = path === '/admin/openapi.json' || path === '/admin/docs' || path === '/admin/docs.css'
      expect([path, response.status === 401], `${route.method} ${path}`).toEqual([path, !open])
    }
    // The suffix trick that used to pass the guard.
    for (const path of ['/admin/calls/voicenter/docs', '/admin/calls/voicenter/openapi.json', '/admin/docs/', '/admin/rules/docs']) {
      expect((await fetch(`${server.url}${path}?unmask=true`)).status, path).toBe(401)
    }
  })

  it('admin bodies over 256 KiB are refused with 413 and change nothing', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
    const before = await (await fetch(`${server.url}/admin/rules`, { headers: auth })).json()
    const huge = JSON.stringify({ name: 'huge', action: 'go_to_layer', to_layer: '1', options: { pad: 'x'.repeat(300 * 1024) } })
    const response = await fetch(`${server.url}/admin/rules`, { method: 'POST', headers: auth, body: huge })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } })
    expect(await (await fetch(`${server.url}/admin/rules`, { headers: auth })).json()).toEqual(before)
  })
})

describe('a database that refuses writes', () => {
  let directory: string
  let server: NodeServer
  const { log, entries } = recordingLogger()
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'ivr-read-only-'))
    const database = openDatabase(join(directory, 'test.db'))
    await seedDemoData(database.db)
    // What a read-only file or mount does to every write, on a real SQLite connection.
    database.sqlite.pragma('query_only = ON')
    server = await startNodeServer({
      database,
      env: { RULES_REFRESH_MS: '0' },
      log,
      clock: () => MONDAY_MORNING,
      port: 0,
      host: '127.0.0.1',
    })
  })
  afterAll(async () => {
    await server.close()
    rmSync(directory, { recursive: true, force: true })
  })
  const post = async (body: unknown) =>
    (
      await fetch(`${server.url}/webhooks/voicenter`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()

  it('is noticed at start-up and /health answers 503 degraded', async () => {
    expect(entries.some((entry) => entry.level === 'error' && entry.message.startsWith('the database does not take writes'))).toBe(true)
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ status: 'degraded', storage: { writable: false, problems: [{ write: 'probe' }] } })
  })

  it('callers are still routed, attempt counting still works, and rows wait for the database', async () => {
    const call = { IVR_UNIQUE_ID: 'read-only-pin', LAYER_ID: '5' }
    expect(await post(voicenterRequest({ ...call, DTMF: '999' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 5 })
    expect(await post(voicenterRequest({ ...call, DTMF: '888' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 5 })
    expect(await post(voicenterRequest({ ...call, DTMF: '777' }))).toMatchObject({
      ACTION: 'DIAL',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '100' }],
    })
    const health = (await (await fetch(`${server.url}/health`)).json()) as { storage: { pendingDecisions: number } }
    expect(health.storage.pendingDecisions).toBeGreaterThanOrEqual(3)
    const logged = JSON.stringify(entries)
    expect(logged).not.toContain('0501234567')
    expect(logged).not.toContain('+972501234567')
  })

  it('once writes work again, the next /health poll sees it and writes the waiting rows, with no call in between', async () => {
    server.database.sqlite.pragma('query_only = OFF')
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', storage: { writable: true, problems: [], pendingDecisions: 0 } })
    const rows = server.database.sqlite.prepare("SELECT attempt FROM decisions WHERE call_id = 'read-only-pin' ORDER BY id").all()
    expect(rows).toEqual([{ attempt: 1 }, { attempt: 2 }, { attempt: 3 }])
    server.database.sqlite.pragma('query_only = ON')
    await post(voicenterRequest({ IVR_UNIQUE_ID: 'read-only-again' }))
    expect((await fetch(`${server.url}/health`)).status).toBe(503)
  })

  it('once writes work again, the waiting rows are written and /health is ok', async () => {
    server.database.sqlite.pragma('query_only = OFF')
    await server.service.drain()
    await post(voicenterRequest({ IVR_UNIQUE_ID: 'after-recovery' }))
    const rows = server.database.sqlite
      .prepare("SELECT call_id, attempt FROM decisions WHERE call_id IN ('read-only-pin', 'after-recovery') ORDER BY id")
      .all()
    expect(rows).toEqual([
      { call_id: 'read-only-pin', attempt: 1 },
      { call_id: 'read-only-pin', attempt: 2 },
      { call_id: 'read-only-pin', attempt: 3 },
      { call_id: 'after-recovery', attempt: 1 },
    ])
    expect(server.database.sqlite.prepare("SELECT count(*) AS n FROM decisions WHERE call_id = 'read-only-again'").get()).toEqual({ n: 1 })
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)
  })
})

describe('a database another program holds locked (an SQLite tool with an unsaved edit)', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN } })
  })
  afterAll(() => server.close())

  it("calls are answered at once, not after each write's wait for the lock, and their rows are written once it is released", async () => {
    const editor = server.openSideConnection()
    editor.prepare('BEGIN IMMEDIATE').run()
    const started = performance.now()
    try {
      for (const id of ['locked-1', 'locked-2', 'locked-3', 'locked-4']) {
        const response = await server.post('/webhooks/voicenter', voicenterRequest({ IVR_UNIQUE_ID: id }))
        expect(await response.json()).toMatchObject({ STATUS: 0 })
      }
      // Each call used to wait 5 s per write (call state, then its decision): 40 s for these four, far past
      // Voicenter's ~5 s. Now the first refused writes start a back-off, and the rest do not wait at all.
      expect(performance.now() - started).toBeLessThan(4_000)
      expect((await (await fetch(`${server.url}/health`)).json()).storage).toMatchObject({ writable: false })
      // An edit through the admin API meanwhile is told why it did not happen, and changes nothing.
      const edit = await server.post(
        '/admin/owners',
        { name: 'Locked Out', email: 'locked@example.com' },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      )
      expect(edit.status).toBe(503)
      expect(((await edit.json()) as { error: { code: string } }).error.code).toBe('DATABASE_BUSY')
    } finally {
      editor.prepare('COMMIT').run()
    }
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; storage: { pendingDecisions: number } }
    expect(health).toMatchObject({ status: 'ok', storage: { pendingDecisions: 0 } })
    const rows = editor.prepare("SELECT call_id FROM decisions WHERE call_id LIKE 'locked-%' ORDER BY id").all()
    expect(rows).toEqual([{ call_id: 'locked-1' }, { call_id: 'locked-2' }, { call_id: 'locked-3' }, { call_id: 'locked-4' }])
    expect(editor.prepare("SELECT count(*) AS n FROM owners WHERE email = 'locked@example.com'").get()).toEqual({ n: 0 })
  })
})
