import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Every field of the rule form, as a browser posts it (empty inputs included). */
const ruleForm = (fields: Record<string, string>) => ({
  name: '',
  priority: '100',
  enabled: 'on',
  provider: '',
  did: '',
  caller: '',
  from_layer: '',
  dtmf: '',
  identify_by: 'caller',
  lookup: '',
  contact_match: '',
  attempt: '',
  days: '',
  time_from: '',
  time_to: '',
  time_zone: '',
  action: '',
  to_layer: '',
  say: '',
  dial: '',
  language: '',
  options: '',
  note: '',
  ...fields,
})

/** An unknown caller at the first layer, as Voicenter sends it; the answer it gets. */
const unknownCallerAnswer = async (target: TestServer) => {
  const answer = await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1' }))
  return (await answer.json()) as Record<string, unknown>
}

const count = (target: TestServer, table: string) =>
  (target.openSideConnection().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

describe('console rules', () => {
  it('refuses a bad rule with the error beside its field and changes nothing', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const rulesBefore = count(server, 'rules')
    const answer = await browser.post('/console/rules', ruleForm({ name: 'No number to dial', action: 'dial', priority: 'first' }))
    expect(answer.status).toBe(400)
    const text = textOf(answer.html)
    expect(text).toContain('The rule was not saved')
    expect(answer.html).toMatch(
      /<div class="field invalid">\s*<label for="f-priority">[\s\S]*?<span class="error" id="f-priority-error">must be a number<\/span>/,
    )
    // The form keeps what was typed.
    expect(answer.html).toContain('value="No number to dial"')
    const missingTarget = await browser.post('/console/rules', ruleForm({ name: 'No number to dial', action: 'dial' }))
    expect(missingTarget.status).toBe(400)
    expect(missingTarget.html).toMatch(/<div class="field invalid">\s*<label for="f-dial">/)
    const badJson = await browser.post('/console/rules', ruleForm({ action: 'hangup', options: '{"record": tru' }))
    expect(badJson.html).toMatch(/<span class="error" id="f-options-error">is not valid JSON/)
    expect(count(server, 'rules')).toBe(rulesBefore)
    expect(count(server, 'change_log')).toBe(0)
  })

  it('routes a live call by a new rule, and by the old routing again once it is reverted', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const before = await unknownCallerAnswer(server)
    expect(before.ACTION).not.toBe('DIAL')

    const created = await browser.post(
      '/console/rules',
      ruleForm({ name: 'Night desk for 053', priority: '1', caller: '0539999999', action: 'go_to_layer', to_layer: '77' }),
    )
    expect(created.status).toBe(303)
    const list = await browser.get(created.location as string)
    expect(textOf(list.html)).toContain('Rule “Night desk for 053” created.')
    expect(textOf(list.html)).toContain('Night desk for 053')
    expect(await unknownCallerAnswer(server)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 77 })

    const history = await browser.get('/console/rules/history')
    const entry = /id="change-(\d+)"/.exec(history.html)?.[1]
    expect(textOf(history.html)).toContain('admin (console)')
    const reverted = await browser.post(`/console/rules/history/${entry}/revert`)
    expect(reverted.status).toBe(303)
    expect(await unknownCallerAnswer(server)).toEqual(before)
  })

  it('edits, switches off and reorders rules, each change in the history with its diff', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const side = server.openSideConnection()
    const order = () => (side.prepare('SELECT id FROM rules ORDER BY priority, id').all() as { id: number }[]).map(({ id }) => id)
    const [first, second] = order() as [number, number]

    await browser.post(`/console/rules/${second}/move`, { direction: 'up' })
    expect(order().slice(0, 2)).toEqual([second, first])

    await browser.post(`/console/rules/${first}/toggle`)
    expect(side.prepare('SELECT enabled FROM rules WHERE id = ?').get(first)).toEqual({ enabled: 0 })

    const edit = await browser.get(`/console/rules/${first}/edit`)
    const name = /name="name" value="([^"]*)"/.exec(edit.html)?.[1] as string
    const changed = await browser.post(
      `/console/rules/${first}`,
      ruleForm({ name: `${name} (edited)`, action: 'hangup', say: 'text:Goodbye', enabled: '' }),
    )
    expect(changed.status).toBe(303)
    const page = await browser.get(`/console/rules/${first}`)
    const text = textOf(page.html)
    expect(text).toContain(`${name} (edited)`)
    expect(text).toMatch(/action ?: go_to_layer → hangup/)
    expect(text).toMatch(/enabled ?: 1 → 0/)
  })

  it('keeps changes made through the admin API in the same history, and reverts a deleted rule with its id', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const created = await server.post(
      '/admin/rules',
      { name: 'From the API', priority: 2, caller: '0539999999', action: 'go_to_layer', to_layer: 44 },
      auth,
    )
    const { id } = (await created.json()) as { id: number }
    expect(await unknownCallerAnswer(server)).toMatchObject({ LAYER: 44 })
    const deleted = await fetch(`${server.url}/admin/rules/${id}`, { method: 'DELETE', headers: auth })
    expect(deleted.status).toBe(204)

    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const page = await browser.get(`/console/rules/${id}`)
    expect(textOf(page.html)).toContain('(deleted)')
    expect(textOf(page.html)).toContain('admin (api)')
    const deletion = [...page.html.matchAll(/id="change-(\d+)"/g)].map((match) => Number(match[1]))[0]
    await browser.post(`/console/rules/history/${deletion}/revert`)
    expect(server.openSideConnection().prepare('SELECT name FROM rules WHERE id = ?').get(id)).toEqual({ name: 'From the API' })
    expect(await unknownCallerAnswer(server)).toMatchObject({ LAYER: 44 })
  })

  it('shows a viewer the rules without a way to edit, and refuses their edits on the server', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const viewer = consoleClient(server.url)
    const page = await viewer.signIn(VIEWER_TOKEN)
    expect(textOf(page.html)).toContain('viewer')
    expect(page.html).not.toContain('/toggle')
    expect(page.html).not.toContain('New rule')
    expect(page.html).not.toContain('/edit')
    const before = server.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()
    for (const [path, fields] of [
      ['/console/rules', ruleForm({ action: 'hangup' })],
      ['/console/rules/2/toggle', {}],
      ['/console/rules/2/move', { direction: 'up' }],
      ['/console/rules/2/delete', {}],
    ] as const) {
      const answer = await viewer.post(path, fields)
      expect(answer.status, path).toBe(403)
    }
    expect((await viewer.get('/console/rules/new')).status).toBe(403)
    expect(server.openSideConnection().prepare('SELECT * FROM rules ORDER BY id').all()).toEqual(before)
  })

  it('escapes what rules hold: a rule name is text, never markup', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    server.openSideConnection().prepare("INSERT INTO rules (name, action) VALUES ('<img src=x onerror=alert(1)>', 'hangup')").run()
    const browser = consoleClient(server.url)
    const page = await browser.signIn(ADMIN_TOKEN)
    expect(page.html).not.toContain('<img src=x')
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})
