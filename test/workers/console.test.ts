import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, consoleClient, textOf, VIEWER_TOKEN } from '../console/console-client.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'

/** The console in workerd over D1: sessions and the change log in D1, the same pages as on Node. */
const startConsole = async () => {
  const bindings = { ...(env as unknown as WorkerEnv), SEED_DEMO: 'true', RULES_REFRESH_MS: '0', ...CONSOLE_ENV }
  const service = await createWorkerService(bindings, { clock: () => MONDAY_MORNING })
  const send = async (url: string, init: RequestInit) => {
    const ctx = createExecutionContext()
    const answer = await service.app.fetch(new Request(url, init), bindings, ctx)
    await waitOnExecutionContext(ctx)
    return answer
  }
  return { service, send }
}

describe('the console on the Worker', () => {
  it('signs in with the admin token, lists the rules from D1 and changes one, kept in the history', async () => {
    const { send } = await startConsole()
    const browser = consoleClient('http://worker.test', send)
    const rules = await browser.signIn(ADMIN_TOKEN)
    expect(rules.status).toBe(200)
    const first = (await env.DB.prepare('SELECT id, name FROM rules ORDER BY priority, id LIMIT 1').first()) as { id: number; name: string }
    expect(textOf(rules.html)).toContain(first.name)
    const session = await env.DB.prepare('SELECT role FROM console_sessions').first()
    expect(session).toEqual({ role: 'admin' })

    const toggled = await browser.post(`/console/rules/${first.id}/toggle`)
    expect(toggled.status).toBe(303)
    expect(await env.DB.prepare('SELECT enabled FROM rules WHERE id = ?').bind(first.id).first()).toEqual({ enabled: 0 })
    const history = await browser.get('/console/rules/history')
    expect(textOf(history.html)).toContain('admin (console)')
    expect(textOf(history.html)).toMatch(/enabled ?: 1 → 0/)
  })

  it('gives a viewer the rules without edits, and refuses a form without its CSRF token', async () => {
    const { send } = await startConsole()
    const changes = async () => ((await env.DB.prepare('SELECT count(*) AS n FROM change_log').first()) as { n: number }).n
    const before = await changes()
    const viewer = consoleClient('http://worker.test', send)
    const page = await viewer.signIn(VIEWER_TOKEN)
    expect(page.html).not.toContain('/toggle')
    expect((await viewer.post('/console/rules/1/toggle')).status).toBe(403)
    const admin = consoleClient('http://worker.test', send)
    await admin.signIn(ADMIN_TOKEN)
    expect((await admin.post('/console/rules/1/toggle', {}, { withoutCsrf: true })).status).toBe(403)
    expect(await changes()).toBe(before)
    const signedOut = await consoleClient('http://worker.test', send).get('/console/rules')
    expect(signedOut.status).toBe(303)
  })

  it('publishes a draft in one D1 batch: live calls follow it, a call begun before keeps its rules', async () => {
    const { send } = await startConsole()
    const admin = (method: string, path: string, body?: unknown) =>
      send(`http://worker.test/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    const step = async (data: Record<string, string>) =>
      (await (
        await send('http://worker.test/webhooks/voicenter', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '0722776772', PREVIOUS_LAYER_ID: '1', DTMF: '0', ...data } }),
        })
      ).json()) as { ACTION: string; LAYER?: number }
    await admin('DELETE', '/draft')
    const begun = `worker-call-${Date.now()}`
    await step({ CALLER_ID: '0539999999', LAYER_ID: '1', IVR_UNIQUE_ID: begun })
    const accountTyped = { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '1234' }
    const oldAnswer = await step({ ...accountTyped, IVR_UNIQUE_ID: `reference-${Date.now()}` })
    expect((await admin('POST', '/draft')).status).toBe(201)
    const added = await admin('POST', '/draft/rules', {
      name: 'New desk',
      priority: 1,
      from_layer: '5',
      identify_by: 'none',
      action: 'go_to_layer',
      to_layer: 99,
    })
    expect(added.status).toBe(201)
    const published = await admin('POST', '/draft/publish', { replace_live_changes: true })
    expect(published.status).toBe(200)
    expect(await step({ ...accountTyped, IVR_UNIQUE_ID: begun })).toEqual(oldAnswer)
    expect(await step({ ...accountTyped, IVR_UNIQUE_ID: `new-${Date.now()}` })).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 99 })
    const publication = await env.DB.prepare('SELECT revision, published_by FROM routing_publications ORDER BY revision DESC').first()
    expect(publication).toMatchObject({ published_by: 'admin (api)' })
  })

  it('lists calls with their timeline, and charts health, from D1', async () => {
    const { send, service } = await startConsole()
    const callId = `worker-calls-${Date.now()}`
    for (const data of [
      { CALLER_ID: '0539999999', LAYER_ID: '1', DTMF: '0' },
      { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '12345678' },
    ]) {
      await send('http://worker.test/webhooks/voicenter', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          METHOD: 'IVR_LAYER_INPUT',
          DATA: { DID: '0722776772', PREVIOUS_LAYER_ID: '1', IVR_UNIQUE_ID: callId, ...data },
        }),
      })
    }
    await service.drain()
    const admin = consoleClient('http://worker.test', send)
    await admin.signIn(ADMIN_TOKEN)
    const list = await admin.get('/console/calls?number=0539999999')
    expect(list.status).toBe(200)
    expect(list.html).toContain(`/console/calls/voicenter/${callId}`)
    const timeline = await admin.get(`/console/calls/voicenter/${callId}`)
    expect(timeline.status).toBe(200)
    expect(timeline.html.match(/<section class="card step"/g)).toHaveLength(2)
    const viewer = consoleClient('http://worker.test', send)
    await viewer.signIn(VIEWER_TOKEN)
    expect((await viewer.get(`/console/calls/voicenter/${callId}`)).html).not.toMatch(/539999999|12345678/)
    const health = await admin.get('/console/health?hours=1')
    expect(health.status).toBe(200)
    expect(textOf(health.html)).toContain('local-directory')
    expect(health.html).toContain('<svg')
  })
})
