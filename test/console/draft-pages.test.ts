import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const ruleForm = (fields: Record<string, string>) => ({
  name: '',
  priority: '100',
  enabled: 'on',
  identify_by: 'caller',
  options: '',
  ...fields,
})

const unknownCaller = async (target: TestServer) =>
  (await (await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1' }))).json()) as Record<
    string,
    unknown
  >

describe('console draft', () => {
  it('edits the draft apart from live routing, and discarding it leaves live rules as they were', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const admin = consoleClient(server.url)
    await admin.signIn(ADMIN_TOKEN)
    expect(textOf((await admin.get('/console/draft')).html)).toContain('No draft is open')
    // Nowhere to put a draft rule before a draft is started.
    const early = await admin.post('/console/draft/rules', ruleForm({ action: 'hangup' }))
    expect(early.location).toBe('/console/draft?error=Start%20a%20draft%20first.')

    await admin.post('/console/draft/start')
    const live = server.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()
    const created = await admin.post(
      '/console/draft/rules',
      ruleForm({ name: 'Draft only', priority: '1', caller: '0539999999', action: 'go_to_layer', to_layer: '55' }),
    )
    expect(created.location).toMatch(/^\/console\/draft\?done=/)
    const bad = await admin.post('/console/draft/rules', ruleForm({ name: 'Dials nobody', action: 'dial' }))
    expect(bad.status).toBe(400)
    const page = await admin.get('/console/draft')
    expect(textOf(page.html)).toContain('new Draft only')
    expect(server.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()).toEqual(live)
    expect(await unknownCaller(server)).not.toMatchObject({ LAYER: 55 })
    // Draft edits are not in the live history.
    expect(server.openSideConnection().prepare('SELECT count(*) AS n FROM change_log').get()).toEqual({ n: 0 })

    await admin.post('/console/draft/discard')
    expect(textOf((await admin.get('/console/draft')).html)).toContain('No draft is open')
    expect(server.openSideConnection().prepare('SELECT count(*) AS n FROM draft_rules').get()).toEqual({ n: 0 })
  })

  it('asks before publishing over live edits made since the draft began', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const admin = consoleClient(server.url)
    await admin.signIn(ADMIN_TOKEN)
    await admin.post('/console/draft/start')
    await admin.post(
      '/console/draft/rules',
      ruleForm({ name: 'Draft desk', priority: '1', caller: '0539999999', action: 'go_to_layer', to_layer: '55' }),
    )
    await admin.post('/console/rules/1/toggle')
    const page = await admin.get('/console/draft')
    expect(textOf(page.html)).toContain('Live routing was changed since this draft was started')
    expect(page.html).toContain('name="replace_live_changes"')
    const refused = await admin.post('/console/draft/publish')
    expect(refused.location).toMatch(/^\/console\/draft\?error=Live%20routing%20was%20changed/)
    expect(await unknownCaller(server)).not.toMatchObject({ LAYER: 55 })
    const published = await admin.post('/console/draft/publish', { replace_live_changes: 'on' })
    expect(published.location).toMatch(/^\/console\/rules\?done=Draft%20published/)
    expect(await unknownCaller(server)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 55 })
    const history = await admin.get('/console/rules/history')
    expect(textOf(history.html)).toMatch(/Draft desk .*publish/)
  })

  it('lets a viewer look at the draft and its preview, never change it', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    await server.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1' }))
    await server.settle()
    const admin = consoleClient(server.url)
    await admin.signIn(ADMIN_TOKEN)
    await admin.post('/console/draft/start')
    await admin.post(
      '/console/draft/rules',
      ruleForm({ name: 'Draft desk', priority: '1', caller: '0539999999', action: 'go_to_layer', to_layer: '55' }),
    )

    const viewer = consoleClient(server.url)
    await viewer.signIn(VIEWER_TOKEN)
    const page = await viewer.get('/console/draft')
    expect(page.html).not.toContain('action="/console/draft/publish"')
    expect(page.html).not.toContain('New rule in the draft')
    const preview = await viewer.get('/console/draft/preview?hours=24')
    expect(textOf(preview.html)).toContain('1 call step since')
    // The callers' numbers are masked for a viewer (the rules' own conditions are settings, shown as they are).
    const section = /<section id="preview">[\s\S]*?<\/section>/.exec(preview.html)?.[0] ?? ''
    expect(section).toContain('•')
    expect(section).not.toMatch(/0539999999|539999999/)
    for (const path of ['/console/draft/publish', '/console/draft/discard', '/console/draft/start', '/console/draft/rules']) {
      expect((await viewer.post(path, ruleForm({ action: 'hangup' }))).status, path).toBe(403)
    }
    expect((await viewer.get('/console/draft/preview?hours=5')).status).toBe(400)
    expect(textOf((await viewer.get('/console/draft/preview?hours=5')).html)).toContain('hours: must be one of 1, 6, 24, 72, 168')
  })
})
