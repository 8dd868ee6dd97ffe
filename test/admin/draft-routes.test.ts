import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'

const TOKEN = 'draft-admin-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const start = async () => {
  server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN } })
  return server
}

const admin = async (target: TestServer, method: string, path: string, body?: unknown) => {
  const answer = await fetch(`${target.url}/admin${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: answer.status, body: answer.status === 204 ? undefined : await answer.json() }
}

/** One Voicenter step as the provider sends it; the answer it gets. */
const step = async (target: TestServer, data: Record<string, string>) =>
  (await (await target.post('/webhooks/voicenter', voicenterRequest(data))).json()) as { ACTION: string; LAYER?: number }

describe('admin draft: start, edit, preview, publish', () => {
  it('keeps draft edits away from live calls until published, then routes by them', async () => {
    const target = await start()
    const before = await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })
    expect(await admin(target, 'GET', '/draft')).toMatchObject({ status: 404 })
    const started = await admin(target, 'POST', '/draft')
    expect(started).toMatchObject({ status: 201, body: { differences: [], live_changed: false, started_by: 'admin (api)' } })
    expect((await admin(target, 'POST', '/draft')).status).toBe(409)

    const added = await admin(target, 'POST', '/draft/rules', {
      name: 'Night desk',
      priority: 1,
      caller: '0539999999',
      action: 'go_to_layer',
      to_layer: 88,
    })
    expect(added.status).toBe(201)
    expect(await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })).toEqual(before)
    const draft = await admin(target, 'GET', '/draft')
    expect(draft.body.differences).toEqual([{ id: added.body.id, kind: 'added', columns: [] }])

    const published = await admin(target, 'POST', '/draft/publish', {})
    expect(published).toMatchObject({ status: 200, body: { changed: 1 } })
    expect(await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 88 })
    expect((await admin(target, 'GET', '/draft')).status).toBe(404)
    const history = target.openSideConnection().prepare("SELECT action, via, entity_id FROM change_log WHERE entity = 'rules'").all()
    expect(history).toEqual([{ action: 'publish', via: 'api', entity_id: added.body.id }])
  })

  it('previews on recorded calls: lists the steps the draft would answer differently, old and new side by side', async () => {
    const target = await start()
    // Recorded calls: an unknown caller twice, a VIP, and an account number typed at layer 5.
    await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })
    await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })
    await step(target, { CALLER_ID: '0501234567', LAYER_ID: '1' })
    await step(target, { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '1234' })
    await target.settle()
    await admin(target, 'POST', '/draft')
    await admin(target, 'POST', '/draft/rules', {
      name: 'Night desk',
      priority: 1,
      caller: '0539999999',
      from_layer: '1',
      action: 'go_to_layer',
      to_layer: 88,
    })
    const preview = await admin(target, 'POST', '/draft/preview', { hours: 1 })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({ replayed: 4, skipped: 0, timedOut: false })
    expect(preview.body.rerouted).toHaveLength(2)
    for (const call of preview.body.rerouted) {
      expect(call).toMatchObject({ provider: 'voicenter', layer: '1', draft: { rule: 'Night desk', action: 'go_to_layer' } })
      expect(JSON.parse(call.draft.answer)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 88 })
      expect(call.live.rule).not.toBe('Night desk')
    }
    // Nothing was written by the preview.
    const side = target.openSideConnection()
    expect(side.prepare('SELECT count(*) AS n FROM decisions').get()).toEqual({ n: 4 })
    expect((await admin(target, 'POST', '/draft/preview', { hours: 0 })).body.error.message).toBe('hours: must be at least 1')
    expect((await admin(target, 'POST', '/draft/preview', { limit: 2.5 })).body.error.message).toBe('limit: must be a whole number')
  })

  it('lets a call in progress finish on the rules it started with; a new call gets the published ones', async () => {
    const target = await start()
    const callId = 'call-in-progress'
    // Step one: an unknown caller is asked for an account number (layer 5).
    expect(await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1', IVR_UNIQUE_ID: callId })).toMatchObject({ ACTION: 'GO_TO_LAYER' })
    const accountTyped = { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '1234' }
    const oldAnswer = await step(target, { ...accountTyped, IVR_UNIQUE_ID: 'reference-call' })
    await admin(target, 'POST', '/draft')
    await admin(target, 'POST', '/draft/rules', {
      name: 'Account numbers to the new desk',
      priority: 1,
      from_layer: '5',
      identify_by: 'none',
      action: 'go_to_layer',
      to_layer: 99,
    })
    expect((await admin(target, 'POST', '/draft/publish', {})).status).toBe(200)

    // Step two of the call begun before the publish: the old rules. A new call: the new ones.
    expect(await step(target, { ...accountTyped, IVR_UNIQUE_ID: callId })).toEqual(oldAnswer)
    expect(await step(target, { ...accountTyped, IVR_UNIQUE_ID: 'new-call' })).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 99 })
    await target.settle()
    const revisions = target.openSideConnection().prepare('SELECT call_id, revision FROM decisions ORDER BY id').all() as {
      call_id: string
      revision: number
    }[]
    const byCall = Object.groupBy(revisions, (row) => row.call_id)
    expect(new Set(byCall[callId]?.map((row) => row.revision)).size).toBe(1)
    expect(byCall['new-call']?.[0]?.revision).toBeGreaterThan(byCall[callId]?.[0]?.revision as number)
  })

  it('refuses to publish over live edits made since the draft began, unless told to', async () => {
    const target = await start()
    await admin(target, 'POST', '/draft')
    await admin(target, 'POST', '/draft/rules', {
      name: 'Draft rule',
      priority: 1,
      caller: '0539999999',
      action: 'go_to_layer',
      to_layer: 88,
    })
    const live = await admin(target, 'POST', '/rules', {
      name: 'Live edit',
      priority: 2,
      caller: '0539999999',
      action: 'go_to_layer',
      to_layer: 77,
    })
    expect(live.status).toBe(201)
    const refused = await admin(target, 'POST', '/draft/publish', {})
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } })
    expect(refused.body.error.message).toContain('Live routing was changed since this draft was started')
    expect(await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })).toMatchObject({ LAYER: 77 })
    expect((await admin(target, 'POST', '/draft/publish', { replace_live_changes: true })).status).toBe(200)
    expect(await step(target, { CALLER_ID: '0539999999', LAYER_ID: '1' })).toMatchObject({ LAYER: 88 })
    expect(target.openSideConnection().prepare("SELECT count(*) AS n FROM rules WHERE name = 'Live edit'").get()).toEqual({ n: 0 })
  })

  it('refuses a draft rule the service could not use, in the API and at publish time, and changes nothing', async () => {
    const target = await start()
    await admin(target, 'POST', '/draft')
    const refused = await admin(target, 'POST', '/draft/rules', { name: 'Dials nobody', action: 'dial' })
    expect(refused.status).toBe(400)
    // Written past the API (an SQLite tool): publish still refuses it.
    target.openSideConnection().prepare("INSERT INTO draft_rules (name, action, priority) VALUES ('Broken', 'dial', 3)").run()
    const liveBefore = target.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()
    const publish = await admin(target, 'POST', '/draft/publish', {})
    expect(publish.status).toBe(400)
    expect(publish.body.error.message).toContain('“Broken”')
    expect(target.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()).toEqual(liveBefore)
    expect((await admin(target, 'DELETE', '/draft')).status).toBe(204)
    expect((await admin(target, 'POST', '/draft/rules', { action: 'hangup' })).status).toBe(404)
  })
})
