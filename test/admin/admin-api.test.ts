import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskPhone } from '../../src/admin/admin-api.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'

const TOKEN = 'admin-token-0123456789abcdef'

describe('admin API', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN } })
  })
  afterAll(() => server.close())

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined }
  }
  const count = (table: string) => (server.openSideConnection().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

  describe('auth', () => {
    it.each([
      ['no token', null],
      ['a wrong token', 'wrong-token-wrong-token-wrong'],
      ['a token that is a prefix', TOKEN.slice(0, -1)],
    ])('refuses %s with 401', async (_, token) => {
      expect((await call('GET', '/rules', undefined, token)).status).toBe(401)
    })

    it('is off without ADMIN_TOKEN', async () => {
      const plain = await startTestServer()
      try {
        const response = await fetch(`${plain.url}/admin/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })
        expect(response.status).toBe(404)
        expect(plain.logs.some((entry) => entry.message === 'ADMIN_TOKEN is not set: the admin API is off')).toBe(true)
      } finally {
        await plain.close()
      }
    })
  })

  describe('errors', () => {
    it('every error is answered in the one shape', async () => {
      expect(await call('GET', '/rules', undefined, null)).toEqual({
        status: 401,
        body: { error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } },
      })
      expect(await call('GET', '/rules/9999')).toEqual({
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: 'no rule with that id' } },
      })
      expect(await call('DELETE', '/menu-keys/9999')).toEqual({
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: 'no menu key with that id' } },
      })
      expect(await call('GET', '/rules/abc')).toEqual({
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: 'id: must be a number' } },
      })
      expect(await call('GET', '/calls/voicenter/nobody')).toEqual({
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: 'no decisions for that call' } },
      })
    })

    it('malformed JSON is a 400 that says so, not a 500', async () => {
      const before = count('rules')
      expect(await call('POST', '/rules', '{"action": "go_to_layer", ')).toEqual({
        status: 400,
        body: { error: { code: 'BAD_REQUEST', message: 'body: is not valid JSON' } },
      })
      expect(count('rules')).toBe(before)
    })
  })

  describe('rules', () => {
    it('create, get, list, patch and delete round-trip, and the live service uses the new rule', async () => {
      const created = await call('POST', '/rules', {
        name: 'Layer 9 to 40',
        priority: 1,
        from_layer: 9,
        identify_by: 'none',
        action: 'go_to_layer',
        to_layer: 40,
        options: { caller_name: 'Layer nine' },
      })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({
        name: 'Layer 9 to 40',
        from_layer: '9',
        to_layer: '40',
        enabled: 1,
        options: { caller_name: 'Layer nine' },
      })
      const id = created.body.id as number
      expect((await call('GET', `/rules/${id}`)).body).toEqual(created.body)
      const list = await call('GET', '/rules')
      expect(list.body.find((rule: { id: number }) => rule.id === id)).toMatchObject({ problem: null })

      const answer = async () => (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '9' }))).json()
      expect(await answer()).toMatchObject({ LAYER: 40, CALLER_NAME: 'Layer nine' })
      expect((await call('PATCH', `/rules/${id}`, { to_layer: '41' })).body).toMatchObject({ to_layer: '41', name: 'Layer 9 to 40' })
      expect(await answer()).toMatchObject({ LAYER: 41 })
      expect((await call('DELETE', `/rules/${id}`)).status).toBe(204)
      expect((await call('GET', `/rules/${id}`)).status).toBe(404)
      expect(await answer()).toMatchObject({ LAYER: 20 })
    })

    it.each([
      [{ name: 'no action' }, 'action: is required'],
      [{ action: 'go_to_layer', to_layer: 3, acton: 'x' }, 'acton: is not a field here'],
      [{ action: 'go_to_lair', to_layer: 3 }, 'action: must be one of go_to_layer'],
      [{ action: 'go_to_layer' }, 'to_layer: go_to_layer needs the layer to go to'],
      [{ action: 'go_to_layer', to_layer: 3, dtmf: '/[/' }, 'dtmf: invalid regular expression'],
      [{ action: 'go_to_layer', to_layer: 3, priority: 'high' }, 'priority: must be a number'],
      [{ action: 'go_to_layer', to_layer: 3, options: { recrod: true } }, 'options: recrod'],
    ])('refuses %j with a 400 that names the field, and changes nothing', async (body, message) => {
      const before = count('rules')
      const response = await call('POST', '/rules', body)
      expect(response.status).toBe(400)
      expect(response.body.error.message).toContain(message)
      expect(count('rules')).toBe(before)
    })

    it('a patch that would break a rule is refused and the rule stays as it was', async () => {
      const before = (await call('GET', '/rules/2')).body
      const response = await call('PATCH', '/rules/2', { dial: 'ext101' })
      expect(response.status).toBe(400)
      expect(response.body.error.message).toBe('dial: "ext101" must start with phone: or extension:')
      expect((await call('GET', '/rules/2')).body).toEqual(before)
    })

    it('bad ids are 400, missing ones 404', async () => {
      expect((await call('GET', '/rules/abc')).status).toBe(400)
      expect((await call('PATCH', '/rules/9999', { name: 'x' })).status).toBe(404)
      expect((await call('DELETE', '/rules/9999')).status).toBe(404)
    })
  })

  describe('owners, contacts and fallbacks', () => {
    it('an owner needs an id or an e-mail, and an E.164 phone', async () => {
      expect((await call('POST', '/owners', { name: 'Nobody' })).body.error.message).toBe(
        'crm_owner_id or email: give at least one, to match the CRM owner',
      )
      expect((await call('POST', '/owners', { email: 'x@example.com', phone: '050' })).body.error.message).toBe(
        'phone: must be E.164, e.g. +972501234567',
      )
      const created = await call('POST', '/owners', { crm_owner_id: 77, email: 'new@example.com', extension: 107 })
      expect(created).toMatchObject({ status: 201, body: { crm_owner_id: '77', extension: '107' } })
    })

    it('contacts are stored with E.164 numbers and found by the next call', async () => {
      const created = await call('POST', '/contacts', {
        name: 'Yael Bar',
        phone: '052-555-1234',
        segment: 'VIP',
        tags: ['new'],
        owner_email: 'john@example.com',
        fields: { balance: 5 },
      })
      expect(created).toMatchObject({ status: 201, body: { phone: '+972525551234', tags: ['new'], fields: { balance: '5' } } })
      const answer = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0525551234' }))).json()
      expect(answer).toMatchObject({ ACTION: 'DIAL', CALLER_NAME: 'Yael Bar' })
      expect((await call('POST', '/contacts', { phone: '+972' })).body.error.message).toBe('name: is required')
    })

    it('fallbacks are checked like rules', async () => {
      const response = await call('POST', '/fallbacks', { action: 'dial', dial: 'extension:1' })
      expect(response.status).toBe(201)
      expect((await call('POST', '/fallbacks', { action: 'say' })).body.error.message).toContain('say: say needs what to announce')
    })
  })

  describe('provider capabilities', () => {
    const NO_LAYERS = [
      'routee: has no go_to_layer (give options.providers.routee)',
      'stringee: has no go_to_layer (give options.providers.stringee)',
      'ringcentral: has no go_to_layer (give options.providers.ringcentral)',
    ]
    const layerRule = { name: 'Layer 8 to sales', priority: 2, from_layer: 8, identify_by: 'none', action: 'go_to_layer', to_layer: 40 }

    it('a rule some providers cannot answer is saved, and create, get, change and list say which', async () => {
      const created = await call('POST', '/rules', layerRule)
      expect(created).toMatchObject({ status: 201, body: { warnings: NO_LAYERS } })
      const id = created.body.id as number
      expect((await call('GET', `/rules/${id}`)).body.warnings).toEqual(NO_LAYERS)
      expect((await call('GET', '/rules')).body.find((rule: { id: number }) => rule.id === id)).toMatchObject({
        problem: null,
        warnings: NO_LAYERS,
      })
      const spoken = { action: 'hangup', say: 'text:Sales is closed.' }
      const answered = await call('PATCH', `/rules/${id}`, {
        options: {
          providers: {
            routee: spoken,
            stringee: spoken,
            ringcentral: { action: 'hangup', say: 'recording:https://example.com/closed.wav' },
          },
        },
      })
      expect(answered).toMatchObject({ status: 200, body: { warnings: [] } })
      await call('DELETE', `/rules/${id}`)
    })

    it('refuses a rule that can answer on none of the providers it applies to, and changes nothing', async () => {
      const before = count('rules')
      expect(await call('POST', '/rules', { ...layerRule, provider: 'routee, stringee' })).toEqual({
        status: 400,
        body: {
          error: {
            code: 'BAD_REQUEST',
            message:
              'action: no provider this rule applies to can answer "go_to_layer" (routee, stringee) — give options.providers.<id> or scope the rule with provider',
          },
        },
      })
      expect(
        (await call('POST', '/rules', { ...layerRule, action: 'dial', to_layer: null, dial: 'extension:101', provider: 'routee' })).body
          .error.message,
      ).toBe(
        'dial: no provider this rule applies to can dial extension targets (routee) — give options.providers.<id> or scope the rule with provider',
      )
      expect(count('rules')).toBe(before)
    })

    it('refuses a change that would leave a rule no provider can answer', async () => {
      const created = await call('POST', '/rules', { ...layerRule, provider: 'voicenter' })
      expect(created).toMatchObject({ status: 201, body: { warnings: [] } })
      const response = await call('PATCH', `/rules/${created.body.id}`, { provider: 'routee' })
      expect(response.status).toBe(400)
      expect(response.body.error.message).toContain('action: no provider this rule applies to can answer "go_to_layer" (routee)')
      expect((await call('GET', `/rules/${created.body.id}`)).body.provider).toBe('voicenter')
      await call('DELETE', `/rules/${created.body.id}`)
    })

    it('a row no provider can answer, written by SQL, can still be switched off, and only that', async () => {
      const side = server.openSideConnection()
      const { lastInsertRowid } = side
        .prepare(
          "INSERT INTO rules (name, priority, enabled, provider, from_layer, action, to_layer) VALUES ('written by SQL', 5, 1, 'routee', '9', 'go_to_layer', '3')",
        )
        .run()
      const id = Number(lastInsertRowid)
      expect((await call('PATCH', `/rules/${id}`, { name: 'renamed' })).status).toBe(400)
      expect((await call('PATCH', `/rules/${id}`, { enabled: false, name: 'renamed' })).status).toBe(400)
      expect(await call('PATCH', `/rules/${id}`, { enabled: false })).toMatchObject({
        status: 200,
        body: { enabled: 0, name: 'written by SQL' },
      })
      await call('DELETE', `/rules/${id}`)
    })

    it('refuses a scope naming a provider that is not registered', async () => {
      expect((await call('POST', '/rules', { ...layerRule, provider: 'voicenter, skype' })).body.error).toEqual({
        code: 'BAD_REQUEST',
        message: 'provider: "skype" is not a registered provider (voicenter, routee, voipnow, stringee, ringcentral)',
      })
    })

    it('holds fallbacks and menu keys to the same policy', async () => {
      const before = [count('fallbacks'), count('menu_keys')]
      expect(
        (await call('POST', '/fallbacks', { provider: 'voipnow', action: 'dial', dial: 'phone:+972501234567' })).body.error.message,
      ).toBe(
        'action: no provider this fallback applies to can answer "dial" (voipnow) — give options.providers.<id> or scope the fallback with provider',
      )
      expect(
        (await call('POST', '/menu-keys', { layer: 6, key: '1', provider: 'routee', action: 'queue', target: 31 })).body.error.message,
      ).toBe(
        'action: no provider this menu key applies to can answer "go_to_layer" (routee) — give options.providers.<id> or scope the menu key with provider',
      )
      expect([count('fallbacks'), count('menu_keys')]).toEqual(before)
      const key = await call('POST', '/menu-keys', {
        layer: 6,
        key: '1',
        provider: 'voicenter, routee',
        action: 'phone',
        target: '+972541234567',
      })
      expect(key).toMatchObject({ status: 201, body: { warnings: [] } })
      const queue = await call('PATCH', `/menu-keys/${key.body.id}`, { action: 'queue', target: 31 })
      expect(queue).toMatchObject({
        status: 200,
        body: { warnings: ['routee: has no go_to_layer (give options.providers.routee)'] },
      })
    })

    describe('rules that can never fire: what is fixed in them is held against the providers they are for', () => {
      const voicenterOnly = { name: 'never fires', provider: 'voicenter', identify_by: 'none' }
      const remedy = ' — give options.providers.<id> or scope the rule with provider'
      it.each([
        [
          'a dial with no failed layer',
          { action: 'dial', dial: 'extension:100' },
          'options.failed_layer: no provider this rule applies to can dial without a failed layer (voicenter)',
        ],
        [
          'a language Voicenter does not speak',
          { action: 'say', say: 'digits:{{call.dtmf}}', to_layer: 12, language: 'FR' },
          'language: no provider this rule applies to can speak FR (voicenter: speaks HE, EN, AR, RU)',
        ],
        [
          'text in SAY_DIGITS',
          { action: 'say', say: 'text:Your balance is, number:{{fields.balance}}', to_layer: 12 },
          'say: no provider this rule applies to can say text items (voicenter: says recording, digits, number, date, datetime items only)',
        ],
        [
          'a number that is not whole',
          { action: 'say', say: 'number:12.50', to_layer: 12 },
          'say: no provider this rule applies to can say the number 12.50 (voicenter: says whole numbers only)',
        ],
        [
          'a layer that is not a number',
          { action: 'go_to_layer', to_layer: 'abc' },
          'to_layer: no provider this rule applies to can go to layer "abc" (voicenter: layers are numbers)',
        ],
      ])('refuses %s with a 400 naming the field and the provider, and changes nothing', async (_, columns, message) => {
        const before = count('rules')
        expect(await call('POST', '/rules', { ...voicenterOnly, ...columns })).toEqual({
          status: 400,
          body: { error: { code: 'BAD_REQUEST', message: `${message}${remedy}` } },
        })
        expect(count('rules')).toBe(before)
      })

      it('keeps a row some of its providers can answer, with a warning for the others', async () => {
        const created = await call('POST', '/rules', {
          ...voicenterOnly,
          provider: 'voicenter, voipnow',
          action: 'go_to_layer',
          to_layer: 'sales',
        })
        expect(created).toMatchObject({
          status: 201,
          body: { warnings: ['voicenter: layers are numbers, not "sales" (give options.providers.voicenter)'] },
        })
        await call('DELETE', `/rules/${created.body.id}`)
      })

      it('never refuses a value a template fills in on the call', async () => {
        const created = await call('POST', '/rules', { ...voicenterOnly, action: 'go_to_layer', to_layer: '{{owner.layer}}' })
        expect(created).toMatchObject({ status: 201, body: { warnings: [] } })
        await call('DELETE', `/rules/${created.body.id}`)
      })
    })

    it('the demo rows answer on every provider they apply to', async () => {
      for (const [table, demoRows] of [
        ['/rules', 8],
        ['/fallbacks', 2],
      ] as const) {
        for (const row of (await call('GET', table)).body.filter((row: { id: number }) => row.id <= demoRows)) {
          expect([table, row.id, row.problem, row.warnings]).toEqual([table, row.id, null, []])
        }
      }
    })
  })

  describe('simulator', () => {
    it('answers exactly what the live endpoint answers, with the trace and no side effects', async () => {
      const decisionsBefore = count('decisions')
      const simulated = await call('POST', '/simulate', {
        provider: 'voicenter',
        did: '0722776772',
        caller: '0501234567',
        dtmf: '12345678',
        layer: '5',
        at: '2026-11-23T08:00:00Z',
      })
      expect(simulated.status).toBe(200)
      await server.settle()
      expect(count('decisions')).toBe(decisionsBefore)
      const live = await (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '5', DTMF: '12345678' }))).json()
      expect(simulated.body.answer.body).toEqual(live)
      expect(simulated.body.call).toMatchObject({ caller: '+972501234567', dtmf: '12345678', layer: '5' })
      expect(simulated.body.lookups.pin).toMatchObject({ outcome: 'found', plugins: [{ plugin: 'local-directory', outcome: 'found' }] })
      expect(simulated.body.rules.at(-1)).toEqual({ ruleId: 6, name: 'Account number found: to the representatives', matched: true })
      expect(simulated.body.rules[4]).toEqual({
        ruleId: 5,
        name: 'Account number with a balance due: announce it',
        matched: false,
        reason: 'contact_match: fields.balance > 0',
      })
    })

    it('simulates a Routee call and a time of day', async () => {
      const saturday = await call('POST', '/simulate', {
        provider: 'routee',
        caller: '+972501234567',
        did: '+302111234567',
        at: '2026-11-28T09:00:00Z',
      })
      expect(saturday.body.rule.name).toBe('Closed on Saturday: voicemail')
      expect(saturday.body.answer.body.verbs[0].message.text).toBe('We are closed on Saturdays. Please call again tomorrow.')
    })

    it.each([
      ['voicenter', { did: '0722776772', caller: '0501234567', dtmf: '12345678', layer: '5' }],
      ['routee', { did: '+302111234567', caller: '+972501234567', dtmf: '12345678', layer: '5' }],
      ['voipnow', { did: '0722776772', caller: '0501234567', dtmf: '12345678', layer: '5' }],
      ['stringee', { did: '842471001234', caller: '972501234567', dtmf: '12345678', layer: '5' }],
      ['ringcentral', { did: '+16505550100', caller: '+972501234567', dtmf: '12345678', layer: '5' }],
    ])('simulates %s: the known caller typing the account number reaches the rule that finds it', async (provider, fields) => {
      const simulated = await call('POST', '/simulate', { provider, ...fields, at: '2026-11-23T08:00:00Z' })
      expect(simulated.status).toBe(200)
      expect(simulated.body.call).toMatchObject({ provider, layer: '5', dtmf: '12345678' })
      expect(simulated.body.lookups.pin).toMatchObject({ outcome: 'found' })
      expect(simulated.body.rule?.name).toBe('Account number found: to the representatives')
      expect(simulated.body.answer.status).toBeGreaterThanOrEqual(200)
      expect(simulated.body.answer.body).not.toBe('')
    })

    it('refuses a request that is not a call step, in the one error shape', async () => {
      const status = { messageId: 'm-1', conversationTrackingId: 'c-1', status: { name: 'Completed' } }
      const response = await call('POST', '/simulate', { provider: 'routee', request: status })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^request: /) })
    })

    it('refuses an unknown provider', async () => {
      expect((await call('POST', '/simulate', { provider: 'skype' })).body.error.message).toBe(
        'provider: must be one of voicenter, routee, voipnow, stringee, ringcentral',
      )
    })
  })

  describe('decision log', () => {
    it('filters by caller, rule and outcome; masks numbers unless asked; shows one call in order', async () => {
      await server.post(
        '/webhooks/voicenter',
        voicenterRequest({ LAYER_ID: '5', DTMF: '999', IVR_UNIQUE_ID: 'log-a', CALLER_ID: '0539876543' }),
      )
      await server.post(
        '/webhooks/voicenter',
        voicenterRequest({ LAYER_ID: '5', DTMF: '12345678', IVR_UNIQUE_ID: 'log-a', CALLER_ID: '0539876543' }),
      )
      await server.settle()
      const byCaller = (await call('GET', '/decisions?caller=0539876543')).body
      expect(byCaller.map((row: { call_id: string }) => row.call_id)).toEqual(['log-a', 'log-a'])
      expect(byCaller[0].caller).toBe('+972•••••••43')
      expect(byCaller[0].request).toBeUndefined()
      expect((await call('GET', '/decisions?caller=0539876543&unmask=true')).body[0].caller).toBe('+972539876543')
      expect((await call('GET', '/decisions?call=log-a&outcome=not_found')).body).toHaveLength(1)
      expect((await call('GET', '/decisions?rule=6&call=log-a')).body).toHaveLength(1)
      expect((await call('GET', '/decisions?from=2100-01-01T00:00:00Z')).body).toEqual([])
      expect((await call('GET', '/decisions?limit=0')).status).toBe(400)
      const trace = (await call('GET', '/calls/voicenter/log-a')).body
      expect(trace.map((row: { attempt: number }) => row.attempt)).toEqual([1, 2])
      expect(trace[1].answer).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 12 })
    })

    it('purges decisions older than N days', async () => {
      const side = server.openSideConnection()
      side.prepare(`INSERT INTO decisions (at, provider, call_id) VALUES ('2020-01-01T00:00:00Z', 'voicenter', 'ancient')`).run()
      expect((await call('POST', '/decisions/purge', { older_than_days: 30 })).body).toEqual({ deleted: 1 })
      expect((await call('POST', '/decisions/purge', { older_than_days: 0 })).status).toBe(400)
    })

    it('masks phone numbers keeping the country code and the last two digits', () => {
      expect(maskPhone('+972501234567')).toBe('+972•••••••67')
      expect(maskPhone(null)).toBeNull()
    })
  })

  describe('OpenAPI', () => {
    it('documents every admin route from the valibot schemas, without a token', async () => {
      const response = await fetch(`${server.url}/admin/openapi.json`)
      expect(response.status).toBe(200)
      const document = (await response.json()) as {
        openapi: string
        paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: object } }> } }>
        >
      }
      expect(document.openapi).toBe('3.1.0')
      const validation = await new Validator().validate(document as never)
      expect(validation.errors ?? [], JSON.stringify(validation.errors)).toEqual([])
      expect(validation.valid).toBe(true)
      for (const path of [
        '/rules',
        '/rules/{id}',
        '/owners',
        '/contacts',
        '/fallbacks',
        '/simulate',
        '/decisions',
        '/decisions/purge',
        '/routee/calls',
      ]) {
        expect(document.paths[path], path).toBeDefined()
      }
      const ruleBody = document.paths['/rules']?.post?.requestBody?.content['application/json']?.schema
      expect(ruleBody?.required).toEqual(['action'])
      expect(Object.keys(ruleBody?.properties ?? {})).toContain('contact_match')
      type Operation = { summary: string; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
      type Schema = { properties?: Record<string, Schema & { description?: string; enum?: string[] }>; items?: Schema }
      const operation = (path: string, method: string) =>
        (document.paths[path] as unknown as Record<string, Operation>)[method] as Operation
      const schemaOf = (path: string, method: string, status: number) =>
        operation(path, method).responses[status]?.content?.['application/json']?.schema
      for (const [resource, one, many] of [
        ['/rules', 'a rule', 'rules'],
        ['/fallbacks', 'a fallback', 'fallbacks'],
        ['/menu-keys', 'a menu key', 'menu keys'],
        ['/owners', 'an owner', 'owners'],
        ['/contacts', 'a contact', 'contacts'],
      ] as const) {
        const statuses = (method: string, path = `${resource}/{id}`) => Object.keys(operation(path, method).responses)
        expect([resource, operation(resource, 'get').summary, operation(resource, 'post').summary]).toEqual([
          resource,
          `List ${many}`,
          `Create ${one}`,
        ])
        expect(operation(`${resource}/{id}`, 'patch').summary).toBe(`Change ${one}`)
        expect(statuses('post', resource), resource).toEqual(['201', '400', '401', '413'])
        expect(statuses('get'), resource).toEqual(['200', '400', '401', '404'])
        expect(statuses('patch'), resource).toEqual(['200', '400', '401', '404', '413'])
        expect(statuses('delete'), resource).toEqual(['204', '400', '401', '404'])
        for (const status of [400, 404]) {
          expect(
            schemaOf(`${resource}/{id}`, 'delete', status)?.properties?.error?.properties?.code?.enum,
            `${resource} ${status}`,
          ).toContain('NOT_FOUND')
        }
        expect(schemaOf(resource, 'post', 413)?.properties?.error?.properties?.code?.enum).toContain('PAYLOAD_TOO_LARGE')
      }
      for (const [path, methods] of Object.entries(document.paths)) {
        for (const [method, described] of Object.entries(methods as unknown as Record<string, Operation>)) {
          expect(described.summary, `${method} ${path}`).not.toMatch(
            /one of|^(Get|Create|Change|Delete) (rules|fallbacks|menu keys|owners|contacts)$/,
          )
        }
      }
      // Answers carry the capability warnings, and list items say why a row is skipped.
      for (const resource of ['/rules', '/fallbacks', '/menu-keys']) {
        expect(schemaOf(resource, 'post', 201)?.properties?.warnings?.description, resource).toContain('cannot answer on')
        expect(Object.keys(schemaOf(resource, 'get', 200)?.items?.properties ?? {}), resource).toEqual(
          expect.arrayContaining(['warnings', 'problem']),
        )
      }
      expect(schemaOf('/owners', 'post', 201)?.properties?.warnings).toBeUndefined()
      // A provider's own admin route (mounted from its folder) is documented with its real answers.
      expect(Object.keys(operation('/routee/calls', 'post').responses)).toEqual(['202', '400', '401', '502', '503'])
      const docs = await fetch(`${server.url}/admin/docs`)
      expect(docs.status).toBe(200)
      expect(await docs.text()).toContain('/admin/openapi.json')
    })
  })
})

describe('key-press menus', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN } })
  })
  afterAll(() => server.close())

  const post = (path: string, body: unknown) =>
    fetch(`${server.url}/admin${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const press = async (dtmf: string) => (await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '7', DTMF: dtmf }))).json()

  it('keys, EMPTY_KEY and INVALID_KEY each lead to their action', async () => {
    for (const key of [
      { layer: 7, key: '1', action: 'go_to_layer', target: 31 },
      { layer: 7, key: '2', action: 'queue', target: 32 },
      { layer: 7, key: '3', action: 'extension', target: 103 },
      { layer: 7, key: '#', action: 'phone', target: '+972541234567' },
      { layer: 7, key: 'EMPTY_KEY', action: 'go_to_layer', target: 7 },
      { layer: 7, key: 'INVALID_KEY', action: 'go_to_layer', target: 8 },
    ]) {
      expect((await post('/menu-keys', key)).status).toBe(201)
    }
    expect(await press('1')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 31 })
    expect(await press('2')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 32 })
    expect(await press('3')).toMatchObject({ ACTION: 'DIAL', TARGETS: [{ TYPE: 'EXTENSION', TARGET: '103' }], NEXT_VO_ID: 7 })
    expect(await press('#')).toMatchObject({ ACTION: 'DIAL', TARGETS: [{ TYPE: 'PHONE', TARGET: '0541234567' }] })
    expect(await press('0')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 7 })
    expect(await press('9')).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 8 })
  })

  it('refuses keys and actions Stringee-style menus do not have, and targets that are missing', async () => {
    expect(
      ((await (await post('/menu-keys', { layer: 7, key: '10', action: 'hangup' })).json()) as { error: { message: string } }).error
        .message,
    ).toContain('key: must be one of 0, 1')
    expect(
      ((await (await post('/menu-keys', { layer: 7, key: '4', action: 'sms_later' })).json()) as { error: { message: string } }).error
        .message,
    ).toContain('action: must be one of go_to_layer')
    expect(
      ((await (await post('/menu-keys', { layer: 7, key: '4', action: 'extension' })).json()) as { error: { message: string } }).error
        .message,
    ).toBe('target: extension needs a target')
  })
})
