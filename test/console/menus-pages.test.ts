import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, type ConsoleClient, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Every field of the menu key form, as a browser posts it (empty inputs included). */
const keyForm = (fields: Record<string, string>) => ({
  layer: '40',
  key: '',
  action: '',
  target: '',
  say: '',
  provider: '',
  priority: '',
  enabled: 'on',
  options: '',
  ...fields,
})

/** A Voicenter caller at layer 40 who pressed `digits`, as Voicenter sends it; the answer it gets. */
const pressAtLayer40 = async (target: TestServer, digits: string) => {
  const answer = await target.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '40', PREVIOUS_LAYER_ID: '1', DTMF: digits }))
  expect(answer.status).toBe(200)
  return (await answer.json()) as Record<string, unknown>
}

const count = (target: TestServer, table: string) =>
  (target.openSideConnection().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
const menuKeyRows = (target: TestServer) => target.openSideConnection().prepare('SELECT * FROM menu_keys ORDER BY id').all()
const idOfKey = (target: TestServer, layer: string, key: string) =>
  (target.openSideConnection().prepare('SELECT id FROM menu_keys WHERE layer = ? AND key = ?').get(layer, key) as { id: number }).id

/** The change ids on a history page, newest first. */
const changeIds = (page: string) => [...page.matchAll(/id="change-(\d+)"/g)].map((match) => Number(match[1]))

const signedIn = async (target: TestServer, token = ADMIN_TOKEN): Promise<ConsoleClient> => {
  const browser = consoleClient(target.url)
  await browser.signIn(token)
  return browser
}

describe('console menus', () => {
  it('creates a menu and a key through the console, and a live Voicenter call at that layer routes by them', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = await signedIn(server)
    const before = await pressAtLayer40(server, '1')
    expect(before).not.toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })

    // The "new menu" form: a layer and its first key (the short form's fields only).
    const menus = await browser.get('/console/menus')
    expect(textOf(menus.html)).toContain('No menus yet.')
    expect(menus.html).toContain('aria-current="page">Menus</a>')
    const created = await browser.post('/console/menus', {
      layer: '40',
      key: '1',
      action: 'go_to_layer',
      target: '41',
      say: '',
      provider: 'voicenter',
      enabled: 'on',
    })
    expect(created.status).toBe(303)
    const list = await browser.get(created.location as string)
    const text = textOf(list.html)
    expect(text).toContain('Key 1 of layer 40 created.')
    expect(text).toContain('Menu at layer 40')
    expect(text).toContain('go to layer 41')
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })

    // The menu's own "add a key" form posts its layer as a hidden field.
    expect(list.html).toMatch(/<input type="hidden" name="layer" value="40" \/>/)
    const added = await browser.post('/console/menus', { layer: '40', key: '2', action: 'go_to_layer', target: '52', enabled: 'on' })
    expect(added.status).toBe(303)
    expect(await pressAtLayer40(server, '2')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 52 })
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })
    expect(count(server, 'change_log')).toBe(2)

    // Switched off, the key no longer answers; the call gets what it got before.
    await browser.post(`/console/menus/${idOfKey(server, '40', '1')}/toggle`)
    expect(await pressAtLayer40(server, '1')).toEqual(before)
  })

  it('refuses a bad key, action or target with the error beside its field and changes nothing', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = await signedIn(server)
    await browser.post('/console/menus', keyForm({ key: '1', action: 'go_to_layer', target: '41' }))
    const rowsBefore = menuKeyRows(server)
    const changesBefore = count(server, 'change_log')

    const badKey = await browser.post('/console/menus', keyForm({ key: '12', action: 'teleport', target: '41' }))
    expect(badKey.status).toBe(400)
    expect(textOf(badKey.html)).toContain('The menu key was not saved')
    expect(badKey.html).toMatch(
      /<div class="field invalid">\s*<label for="f-key">[\s\S]*?<span class="error" id="f-key-error">must be one of 0, 1/,
    )
    expect(badKey.html).toMatch(/<span class="error" id="f-action-error">must be one of go_to_layer, queue/)
    // The form keeps what was typed.
    expect(badKey.html).toMatch(/<input id="f-target" name="target" value="41"/)

    const noTarget = await browser.post('/console/menus', keyForm({ key: '2', action: 'go_to_layer' }))
    expect(noTarget.status).toBe(400)
    expect(noTarget.html).toMatch(/<span class="error" id="f-target-error">go_to_layer needs a target<\/span>/)

    // Held against the provider as the admin API does: Voicenter's layers are numbers.
    const notALayer = await browser.post(
      '/console/menus',
      keyForm({ key: '2', action: 'go_to_layer', target: 'sales', provider: 'voicenter' }),
    )
    expect(notALayer.status).toBe(400)
    expect(notALayer.html).toMatch(
      /<span class="error" id="f-target-error">[^<]*can go to layer &quot;sales&quot; \(voicenter: layers are numbers\)/,
    )

    const badJson = await browser.post('/console/menus', keyForm({ key: '3', action: 'hangup', options: '{"record": tru' }))
    expect(badJson.html).toMatch(/<span class="error" id="f-options-error">is not valid JSON/)
    const noLayer = await browser.post('/console/menus', keyForm({ layer: '', key: '3', action: 'hangup', priority: 'first' }))
    expect(noLayer.html).toMatch(/<span class="error" id="f-layer-error">is required<\/span>/)
    expect(noLayer.html).toMatch(/<span class="error" id="f-priority-error">must be a number<\/span>/)

    const editBad = await browser.post(`/console/menus/${idOfKey(server, '40', '1')}`, keyForm({ key: '1', action: 'phone' }))
    expect(editBad.status).toBe(400)
    expect(editBad.html).toMatch(/<span class="error" id="f-target-error">phone needs a target<\/span>/)

    expect(menuKeyRows(server)).toEqual(rowsBefore)
    expect(count(server, 'change_log')).toBe(changesBefore)
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })
  })

  it('refuses a key its menu already has, on create, edit and turning a key back on', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = await signedIn(server)
    await browser.post('/console/menus', keyForm({ key: '1', action: 'go_to_layer', target: '41', provider: 'voicenter' }))
    const first = idOfKey(server, '40', '1')

    const repeated = await browser.post('/console/menus', keyForm({ key: '1', action: 'hangup', provider: 'Voicenter' }))
    expect(repeated.status).toBe(400)
    expect(repeated.html).toMatch(
      new RegExp(`<span class="error" id="f-key-error">layer 40 already has key 1 for voicenter \\(menu key #${first}\\)`),
    )
    expect(count(server, 'menu_keys')).toBe(1)

    // Another key of the same menu may not become key 1 either.
    await browser.post('/console/menus', keyForm({ key: '2', action: 'go_to_layer', target: '52' }))
    const second = idOfKey(server, '40', '2')
    const edited = await browser.post(
      `/console/menus/${second}`,
      keyForm({ key: '1', action: 'go_to_layer', target: '52', provider: 'voicenter' }),
    )
    expect(edited.status).toBe(400)
    expect(edited.html).toContain('layer 40 already has key 1 for voicenter')

    // Switched off it may be stored, but not switched back on while key 1 answers.
    const off = await browser.post(
      `/console/menus/${second}`,
      keyForm({ key: '1', action: 'go_to_layer', target: '52', provider: 'voicenter', enabled: '' }),
    )
    expect(off.status).toBe(303)
    const on = await browser.post(`/console/menus/${second}/toggle`)
    expect(on.status).toBe(400)
    expect(textOf(on.html)).toContain('stays off: key: layer 40 already has key 1 for voicenter')
    expect(server.openSideConnection().prepare('SELECT enabled FROM menu_keys WHERE id = ?').get(second)).toEqual({ enabled: 0 })
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })
  })

  it('edits a key, and reverting the edit restores the old routing; a revert that would repeat a key is refused', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = await signedIn(server)
    await browser.post('/console/menus', keyForm({ key: '1', action: 'go_to_layer', target: '41' }))
    const id = idOfKey(server, '40', '1')

    const edit = await browser.get(`/console/menus/${id}/edit`)
    expect(edit.html).toMatch(/<input id="f-target" name="target" value="41"/)
    const saved = await browser.post(
      `/console/menus/${id}`,
      keyForm({ key: '1', action: 'go_to_layer', target: '42', say: 'recording:transfer' }),
    )
    expect(saved.status).toBe(303)
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 42 })

    const history = await browser.get('/console/menus/history')
    const text = textOf(history.html)
    expect(text).toMatch(/target ?: 41 → 42/)
    expect(text).toMatch(/say ?: ∅ → recording:transfer/)
    const [edited] = changeIds(history.html)
    const reverted = await browser.post(`/console/menus/history/${edited}/revert`)
    expect(reverted.status).toBe(303)
    expect(textOf((await browser.get(reverted.location as string)).html)).toContain('Reverted: layer 40 key 1 is back as it was')
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })
    expect(server.openSideConnection().prepare('SELECT target, say FROM menu_keys WHERE id = ?').get(id)).toEqual({
      target: '41',
      say: null,
    })

    // Deleted, then its menu given another key 1: putting the old one back would repeat it.
    await browser.post(`/console/menus/${id}/delete`)
    await browser.post('/console/menus', keyForm({ key: '1', action: 'go_to_layer', target: '43' }))
    const replacement = idOfKey(server, '40', '1')
    const deletion = changeIds((await browser.get(`/console/menus/${id}`)).html)[0]
    const rowsBefore = menuKeyRows(server)
    const refused = await browser.post(`/console/menus/history/${deletion}/revert`)
    expect(refused.status).toBe(409)
    expect(textOf(refused.html)).toContain(
      `layer 40 key 1 cannot be put back as it was: layer 40 already has key 1 for every provider (menu key #${replacement}). Change or turn off that key first. Nothing was changed.`,
    )
    expect(menuKeyRows(server)).toEqual(rowsBefore)

    // Once the replacement is gone, the deleted key comes back with its id.
    await browser.post(`/console/menus/${replacement}/delete`)
    expect((await browser.post(`/console/menus/history/${deletion}/revert`)).status).toBe(303)
    expect(idOfKey(server, '40', '1')).toBe(id)
    expect(await pressAtLayer40(server, '1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 41 })
  })

  it('lists changes made through the admin API beside the console’s, and reverts them', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const created = await server.post(
      '/admin/menu-keys',
      { layer: 40, key: '3', action: 'go_to_layer', target: 63 },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    )
    expect(created.status).toBe(201)
    expect(await pressAtLayer40(server, '3')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 63 })
    const browser = await signedIn(server)
    await browser.post('/console/menus', keyForm({ key: '4', action: 'go_to_layer', target: '64' }))

    const history = await browser.get('/console/menus/history')
    const rows = [...history.html.matchAll(/<tr id="change-(\d+)">([\s\S]*?)<\/tr>/g)].map(([, id, row]) => ({
      id: Number(id),
      text: textOf(row as string),
    }))
    expect(rows.map(({ text }) => text)).toEqual([
      expect.stringMatching(/admin \(console\) layer 40 key 4 create created: go to layer 64/),
      expect.stringMatching(/admin \(api\) layer 40 key 3 create created: go to layer 63/),
    ])
    // Reverting a create deletes the key: the call at layer 40 no longer goes to 63.
    const fromApi = rows[1]?.id as number
    expect((await browser.post(`/console/menus/history/${fromApi}/revert`)).status).toBe(303)
    expect(count(server, 'menu_keys')).toBe(1)
    expect(await pressAtLayer40(server, '3')).not.toMatchObject({ LAYER: 63 })
  })

  it('shows a viewer the menus without a way to edit, and refuses their changes on the server', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const admin = await signedIn(server)
    await admin.post('/console/menus', keyForm({ key: '1', action: 'go_to_layer', target: '41' }))
    const id = idOfKey(server, '40', '1')
    const change = changeIds((await admin.get('/console/menus/history')).html)[0]

    const viewer = await signedIn(server, VIEWER_TOKEN)
    for (const path of ['/console/menus', `/console/menus/${id}`, '/console/menus/history']) {
      const page = await viewer.get(path)
      expect(page.status, path).toBe(200)
      expect(page.html, path).not.toMatch(/<form method="post" action="\/console\/menus/)
      expect(page.html, path).not.toContain('/edit')
      expect(page.html, path).not.toContain('Add a key')
    }
    expect(textOf((await viewer.get('/console/menus')).html)).toContain('go to layer 41')

    const before = menuKeyRows(server)
    for (const [path, fields] of [
      ['/console/menus', keyForm({ key: '2', action: 'hangup' })],
      [`/console/menus/${id}`, keyForm({ key: '1', action: 'hangup' })],
      [`/console/menus/${id}/toggle`, {}],
      [`/console/menus/${id}/delete`, {}],
      [`/console/menus/history/${change}/revert`, {}],
    ] as const) {
      const answer = await viewer.post(path, fields)
      expect(answer.status, path).toBe(403)
    }
    expect((await viewer.get('/console/menus/new')).status).toBe(403)
    expect((await viewer.get(`/console/menus/${id}/edit`)).status).toBe(403)
    expect(menuKeyRows(server)).toEqual(before)
    expect(count(server, 'change_log')).toBe(1)
  })

  it('answers a malformed address with a 400 naming the part, and escapes what keys hold', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    server
      .openSideConnection()
      .prepare("INSERT INTO menu_keys (layer, key, action, say) VALUES ('<b>9</b>', '1', 'hangup', 'text:<img src=x onerror=alert(1)>')")
      .run()
    const browser = await signedIn(server)
    const page = await browser.get('/console/menus')
    expect(page.html).not.toContain('<img src=x')
    expect(page.html).not.toContain('<b>9</b>')
    expect(page.html).toContain('text:&lt;img src=x onerror=alert(1)&gt;')
    const bad = await browser.get('/console/menus/abc')
    expect(bad.status).toBe(400)
    expect(textOf(bad.html)).toContain('id: must be a whole number')
    expect((await browser.get('/console/menus/999')).status).toBe(404)
    expect((await browser.post('/console/menus/history/x1/revert')).status).toBe(400)
  })
})
