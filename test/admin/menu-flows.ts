import { describe, expect, it } from 'vitest'
import type { ServiceHarness, StartHarness } from '../helpers/harness.ts'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

/**
 * Menus and rules as a person writes them through the admin API, and as callers then live them through the
 * providers' webhooks: the same suite on Node (menu-flows.test.ts) and in workerd.
 */
export const testMenuFlows = (start: StartHarness) => {
  const admin = async (service: ServiceHarness, path: string, body: unknown) => {
    const response = await service.post(`/admin${path}`, body, { authorization: `Bearer ${ADMIN_TOKEN}` })
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
    }
  }
  const created = async (service: ServiceHarness, path: string, body: Record<string, unknown>) => {
    const response = await admin(service, path, body)
    expect(response, JSON.stringify(body)).toMatchObject({ status: 201 })
    return response.body as { id: number; warnings: string[] }
  }

  describe('menus, and rules that can never fire', () => {
    it('VoipNow: * leads to its own target only; 8, #, several digits reach INVALID_KEY and nothing typed EMPTY_KEY', async () => {
      const service = await start({ ADMIN_TOKEN })
      try {
        for (const [key, target] of [
          ['1', 'sales'],
          ['*', 'operator'],
          ['EMPTY_KEY', 'main-menu-again'],
          ['INVALID_KEY', 'main-menu-invalid'],
        ]) {
          await created(service, '/menu-keys', { layer: 'main-menu', key, provider: 'voipnow', action: 'go_to_layer', target })
        }
        /** VoipNow's Call Interactive request (CallStatus ANSWER, form-encoded), at our menu context with the digits typed. */
        const press = async (digits: string) => {
          const query = new URLSearchParams({ layer: 'main-menu', digits })
          const form = new URLSearchParams({
            CallID: `star-${digits || 'none'}`,
            CallerIDNum: '0501234567',
            CalledDID: '0722776772',
            CallStatus: 'ANSWER',
            CallFlow: 'IN',
          })
          const response = await service.post(`/webhooks/voipnow?${query}`, form.toString(), {
            'content-type': 'application/x-www-form-urlencoded',
          })
          const xml = await response.text()
          return /<Jump context="([^"]*)"/.exec(xml)?.[1] ?? xml
        }
        expect(await press('1')).toBe('sales')
        expect(await press('*')).toBe('operator')
        expect(await press('8')).toBe('main-menu-invalid')
        expect(await press('#')).toBe('main-menu-invalid')
        expect(await press('')).toBe('main-menu-again')
        expect(await press('12')).toBe('main-menu-invalid')
      } finally {
        await service.close()
      }
    })

    it('Stringee: a key that goes to a layer takes its own answer in options.providers, and the caller hears the next menu', async () => {
      const service = await start({ ADMIN_TOKEN })
      try {
        const key = { layer: '7', key: '1', action: 'go_to_layer', target: '31' }
        // Stringee alone cannot go to a layer: refused, naming the field and the provider.
        expect(await admin(service, '/menu-keys', { ...key, provider: 'stringee' })).toEqual({
          status: 400,
          body: {
            error: {
              code: 'BAD_REQUEST',
              message:
                'action: no provider this menu key applies to can answer "go_to_layer" (stringee) — give options.providers.<id> or scope the menu key with provider',
            },
          },
        })
        const own = { providers: { stringee: { action: 'collect', say: 'text:Sales. Press 1 for new orders, 2 for an existing order.' } } }
        expect((await created(service, '/menu-keys', { ...key, provider: 'voicenter, stringee', options: own })).warnings).toEqual([])
        await created(service, '/menu-keys', {
          layer: '7',
          key: 'INVALID_KEY',
          provider: 'stringee',
          action: 'hangup',
          say: 'text:Invalid',
        })
        await created(service, '/rules', {
          name: 'Main menu',
          priority: 1,
          provider: 'stringee',
          from_layer: '1',
          identify_by: 'none',
          action: 'collect',
          to_layer: '7',
          say: 'text:Press 1 for sales.',
        })

        type Action = { action: string; text?: string; eventUrl?: string }
        const spoken = (actions: Action[]) => actions.map((action) => action.text ?? action.action)
        const answer = await service.post('/webhooks/stringee', {
          from: '84901234567',
          to: '842471001234',
          uuid: 'menu-call-1',
          fromInternal: false,
        })
        const menu = (await answer.json()) as Action[]
        expect(spoken(menu)).toEqual(['Press 1 for sales.', 'input'])
        const eventUrl = new URL(menu[1]?.eventUrl as string)
        const pressed = await service.post(`${eventUrl.pathname}${eventUrl.search}`, { dtmf: '1', call_id: 'menu-call-1', timeout: false })
        expect(spoken((await pressed.json()) as Action[])).toEqual(['Sales. Press 1 for new orders, 2 for an existing order.', 'input'])
      } finally {
        await service.close()
      }
    })

    it('a key its menu already has for the same providers is refused with a 400 naming the field', async () => {
      const service = await start({ ADMIN_TOKEN })
      try {
        const first = await created(service, '/menu-keys', {
          layer: 50,
          key: '#',
          provider: 'voicenter, routee',
          action: 'phone',
          target: '+972541234567',
        })
        expect(await admin(service, '/menu-keys', { layer: '50', key: '#', provider: 'Routee,voicenter', action: 'hangup' })).toEqual({
          status: 400,
          body: {
            error: {
              code: 'BAD_REQUEST',
              message: `key: layer 50 already has key # for routee, voicenter (menu key #${first.id}); change that key, or give this one another key, layer or provider`,
            },
          },
        })
        await created(service, '/menu-keys', { layer: 50, key: '#', provider: 'voicenter', action: 'go_to_layer', target: 51 })
      } finally {
        await service.close()
      }
    })

    it.each([
      [
        'a Voicenter dial with no failed layer',
        { action: 'dial', dial: 'extension:100' },
        'options.failed_layer: no provider this rule applies to can dial without a failed layer (voicenter)',
      ],
      [
        'language FR on Voicenter',
        { action: 'say', say: 'digits:{{call.dtmf}}', to_layer: 12, language: 'FR' },
        'language: no provider this rule applies to can speak FR (voicenter: speaks HE, EN, AR, RU)',
      ],
      [
        'text in SAY_DIGITS',
        { action: 'say', say: 'text:Your balance is, number:{{fields.balance}}', to_layer: 12 },
        'say: no provider this rule applies to can say text items (voicenter: says recording, digits, number, date, datetime items only)',
      ],
      [
        'number:12.50 on Voicenter',
        { action: 'say', say: 'number:12.50', to_layer: 12 },
        'say: no provider this rule applies to can say the number 12.50 (voicenter: says whole numbers only)',
      ],
      [
        'to_layer "abc" on Voicenter',
        { action: 'go_to_layer', to_layer: 'abc' },
        'to_layer: no provider this rule applies to can go to layer "abc" (voicenter: layers are numbers)',
      ],
    ])('refuses %s with a 400 naming the field and the provider', async (_, columns, message) => {
      const service = await start({ ADMIN_TOKEN })
      try {
        expect(await admin(service, '/rules', { name: 'never fires', provider: 'voicenter', identify_by: 'none', ...columns })).toEqual({
          status: 400,
          body: { error: { code: 'BAD_REQUEST', message: `${message} — give options.providers.<id> or scope the rule with provider` } },
        })
      } finally {
        await service.close()
      }
    })
  })
}
