import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

const TOKEN = 'admin-token-0123456789abcdef'

/** Key-press menus through the admin API and the providers' webhooks, on the real server over SQLite. */
describe('key-press menus', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN }, seed: false })
  })
  afterAll(() => server.close())

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  const created = async (body: Record<string, unknown>) => {
    const response = await call('POST', '/menu-keys', body)
    expect(response, JSON.stringify(body)).toMatchObject({ status: 201 })
    return response.body as { id: number; warnings: string[] }
  }
  const count = () => (server.openSideConnection().prepare('SELECT count(*) AS n FROM menu_keys').get() as { n: number }).n

  describe("a provider's own answer for a key (options.providers)", () => {
    const STRINGEE_MENU = { layer: '7', key: '1', action: 'go_to_layer', target: '31' }
    const OWN_ANSWER = {
      providers: { stringee: { action: 'collect', say: 'text:Sales. Press 1 for new orders, 2 for an existing order.' } },
    }

    it('is refused with a 400 naming the field and the provider when no provider the key is for can answer', async () => {
      const before = count()
      expect(await call('POST', '/menu-keys', { ...STRINGEE_MENU, provider: 'stringee' })).toEqual({
        status: 400,
        body: {
          error: {
            code: 'BAD_REQUEST',
            message:
              'action: no provider this menu key applies to can answer "go_to_layer" (stringee) — give options.providers.<id> or scope the menu key with provider',
          },
        },
      })
      expect(count()).toBe(before)
    })

    it('is what rules:check and the warnings advise, and the admin API takes it', async () => {
      const all = await created({ ...STRINGEE_MENU, layer: '6' })
      expect(all.warnings).toEqual([
        'routee: has no go_to_layer (give options.providers.routee)',
        'stringee: has no go_to_layer (give options.providers.stringee)',
        'ringcentral: has no go_to_layer (give options.providers.ringcentral)',
      ])
      const own = await call('PATCH', `/menu-keys/${all.id}`, { provider: 'voicenter, stringee', options: OWN_ANSWER })
      expect(own).toMatchObject({ status: 200, body: { options: OWN_ANSWER, warnings: [] } })
      expect((await call('GET', `/menu-keys/${all.id}`)).body).toMatchObject({ options: OWN_ANSWER })
      expect(
        (await call('PATCH', `/menu-keys/${all.id}`, { options: { providers: { stringee: { action: 'queue' } } } })).body.error.message,
      ).toMatch(/^options\.providers\.stringee: action: must be one of go_to_layer/)
    })
  })

  describe('one menu, each key once', () => {
    it('lists the keys of one layer with ?layer=', async () => {
      await created({ layer: '40', key: '1', provider: 'voicenter', action: 'go_to_layer', target: '41' })
      await created({ layer: '40', key: '2', provider: 'voicenter', action: 'go_to_layer', target: '42' })
      await created({ layer: '400', key: '1', provider: 'voicenter', action: 'go_to_layer', target: '41' })
      const menu = await call('GET', '/menu-keys?layer=40')
      expect(menu.status).toBe(200)
      expect(menu.body.map((key: { layer: string; key: string }) => `${key.layer}:${key.key}`)).toEqual(['40:1', '40:2'])
      expect(menu.body[0]).toMatchObject({ problem: null, warnings: [] })
      expect((await call('GET', '/menu-keys?layer=nowhere')).body).toEqual([])
      expect((await call('GET', '/menu-keys')).body.length).toBe(count())
    })

    it('refuses a key its menu already has for the same providers, with a 400 naming the field', async () => {
      const first = await created({ layer: '50', key: '1', provider: 'voicenter, routee', action: 'phone', target: '+972541234567' })
      const before = count()
      const repeat = await call('POST', '/menu-keys', {
        layer: 50,
        key: '1',
        provider: 'Routee,voicenter',
        action: 'phone',
        target: '+972541111111',
      })
      expect(repeat).toEqual({
        status: 400,
        body: {
          error: {
            code: 'BAD_REQUEST',
            message: `key: layer 50 already has key 1 for routee, voicenter (menu key #${first.id}); change that key, or give this one another key, layer or provider`,
          },
        },
      })
      expect(count()).toBe(before)
      // Other providers, another key, or a key switched off are not the same key.
      await created({ layer: '50', key: '1', provider: 'voicenter', action: 'go_to_layer', target: '51' })
      const second = await created({ layer: '50', key: '2', provider: 'voicenter, routee', action: 'phone', target: '+972541111111' })
      const off = await created({ layer: '50', key: '1', provider: 'voicenter, routee', action: 'hangup', enabled: false })

      expect((await call('PATCH', `/menu-keys/${second.id}`, { key: '1' })).body.error.message).toMatch(
        new RegExp(`^key: layer 50 already has key 1 for routee, voicenter \\(menu key #${first.id}\\)`),
      )
      expect((await call('PATCH', `/menu-keys/${off.id}`, { enabled: true })).status).toBe(400)
      // A key may be changed in place, and switched off.
      expect((await call('PATCH', `/menu-keys/${first.id}`, { target: '+972542222222' })).status).toBe(200)
      expect((await call('PATCH', `/menu-keys/${first.id}`, { enabled: false })).status).toBe(200)
      expect((await call('PATCH', `/menu-keys/${off.id}`, { enabled: true })).status).toBe(200)
    })

    it('lists a repeated key written with SQL with why it never answers', async () => {
      const first = await created({ layer: '60', key: '#', action: 'hangup', provider: 'routee' })
      const side = server.openSideConnection()
      const { lastInsertRowid } = side
        .prepare("INSERT INTO menu_keys (layer, key, provider, action, target) VALUES ('60', '#', 'routee', 'phone', '+972541234567')")
        .run()
      const menu = (await call('GET', '/menu-keys?layer=60')).body as { id: number; problem: string | null }[]
      expect(menu.map((key) => [key.id, key.problem])).toEqual([
        [first.id, null],
        [
          Number(lastInsertRowid),
          `key: layer 60 already has key # for routee (menu key #${first.id}); change that key, or give this one another key, layer or provider`,
        ],
      ])
    })
  })
})
