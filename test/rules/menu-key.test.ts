import { describe, expect, it } from 'vitest'
import type { RenderCheck } from '../../src/model/call-event.ts'
import type { CompiledRule } from '../../src/rules/compile-rule.ts'
import { compileRule } from '../../src/rules/compile-rule.ts'
import { evaluate } from '../../src/rules/engine.ts'
import { type MenuKeyInput, menuKeyRule, repeatedMenuKeys, sameMenuKey } from '../../src/rules/menu-key.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { DEFAULTS } from './rows.ts'

const DECISION_DEFAULTS = { language: 'EN', maxCallDuration: 3600, maxDialDuration: 45, record: false }
const accept: RenderCheck = () => undefined

let nextId = 1
const key = (overrides: Partial<MenuKeyInput>): MenuKeyInput => ({
  id: nextId++,
  layer: 'menu',
  key: '1',
  provider: null,
  action: 'go_to_layer',
  target: 'sales',
  say: null,
  priority: 1000,
  enabled: 1,
  options: null,
  ...overrides,
})

const compiled = (row: MenuKeyInput): CompiledRule => {
  const rule = menuKeyRule(row)
  if ('reason' in rule) throw new Error(rule.reason)
  const result = compileRule(rule.row, DEFAULTS)
  if (!result.ok) throw new Error(result.reason)
  return result.value
}

/** A menu as the loader orders it (priority, then id), and which key answers the digits typed. */
const menu = (rows: MenuKeyInput[]) => {
  const rules = rows.map(compiled).sort((a, b) => a.priority - b.priority || Math.abs(a.id) - Math.abs(b.id))
  return (dtmf: string, provider = 'voipnow', check = accept) =>
    evaluate(
      { revision: 1, rules, fallbacks: [], invalid: [] },
      { event: sampleCall({ provider, layer: 'menu', dtmf }), at: new Date('2026-11-23T12:00:00Z'), attempt: 1, lookups: {} },
      DECISION_DEFAULTS,
      check,
    )
}

describe('menu keys', () => {
  it('* is the star key, not a glob: other keys, nothing typed and several digits reach INVALID_KEY and EMPTY_KEY', () => {
    const press = menu([
      key({ key: '1', target: 'sales' }),
      key({ key: '*', target: 'operator' }),
      key({ key: 'EMPTY_KEY', target: 'menu-again' }),
      key({ key: 'INVALID_KEY', target: 'menu-invalid' }),
    ])
    const target = (dtmf: string) => {
      const { decision } = press(dtmf)
      return decision.action === 'go_to_layer' ? decision.layer : decision.action
    }
    expect(['1', '*', '8', '#', '', '12', '**', '1*'].map(target)).toEqual([
      'sales',
      'operator',
      'menu-invalid',
      'menu-invalid',
      'menu-again',
      'menu-invalid',
      'menu-invalid',
      'menu-invalid',
    ])
  })

  it('# is the pound key alone', () => {
    const press = menu([key({ key: '#', target: 'pound' }), key({ key: 'INVALID_KEY', target: 'invalid' })])
    expect(press('#').decision).toMatchObject({ layer: 'pound' })
    expect(press('1#').decision).toMatchObject({ layer: 'invalid' })
  })

  it("a dial key comes back to the menu's own layer when the destination cannot be reached, unless options.failed_layer says otherwise", () => {
    expect(menu([key({ key: '3', action: 'extension', target: '103' })])('3').decision).toMatchObject({
      action: 'dial',
      targets: [{ type: 'extension', value: '103' }],
      failedLayer: 'menu',
    })
    const elsewhere = key({ key: '3', action: 'extension', target: '103', options: '{"failed_layer": 20}' })
    expect(menu([elsewhere])('3').decision).toMatchObject({ failedLayer: '20' })
  })

  it('a voicemail key (Stringee action 1) needs no target: the key says its prompt and takes the message', () => {
    const row = key({
      key: '4',
      action: 'voicemail',
      target: null,
      say: 'text:Please leave a message',
      options: '{"max_message_seconds": 60}',
    })
    expect(menu([row])('4', 'stringee').decision).toEqual({
      action: 'voicemail',
      prompt: [{ type: 'text', value: 'Please leave a message' }],
      language: 'EN',
      maxSeconds: 60,
      customData: {},
    })
  })

  it('an SMS key (Stringee action 5) says its goodbye, hangs up and texts its target to the caller', () => {
    const row = key({ key: '5', action: 'sms', target: 'Pay online at example.com/pay', say: 'text:We have sent you a text. Goodbye.' })
    expect(menu([row])('5', 'stringee').decision).toEqual({
      action: 'hangup',
      items: [{ type: 'text', value: 'We have sent you a text. Goodbye.' }],
      language: 'EN',
      sms: 'Pay online at example.com/pay',
    })
    // The key's other options are kept; the target is the SMS, whatever options.sms said.
    const withOptions = key({ key: '5', action: 'sms', target: 'Hi', options: '{"sms": "old", "providers": {}}' })
    expect(menuKeyRule(withOptions)).toMatchObject({ row: { action: 'hangup', options: '{"sms":"Hi","providers":{}}' } })
    expect(menuKeyRule(key({ key: '5', action: 'sms', target: ' ' }))).toEqual({ reason: 'target: sms needs a target' })
  })

  it("carries a provider's own answer in options.providers, as a rule does", () => {
    const row = key({
      key: '1',
      target: '31',
      options: JSON.stringify({ providers: { stringee: { action: 'collect', say: 'text:Sales. Press 1 for new orders.' } } }),
    })
    const rule = compiled(row)
    expect(rule.then.byProvider.stringee).toMatchObject({ action: 'collect', ownColumns: ['action', 'say'] })
    const press = menu([row])
    // The key's target is the step the provider's collect comes back from.
    expect(press('1', 'stringee').decision).toEqual({
      action: 'collect',
      layer: '31',
      prompt: [{ type: 'text', value: 'Sales. Press 1 for new orders.' }],
      timeoutSeconds: 10,
      language: 'EN',
      customData: {},
    })
    expect(press('1', 'voicenter').decision).toMatchObject({ action: 'go_to_layer', layer: '31' })
  })

  it('refuses options that do not compile, naming the field', () => {
    const rule = menuKeyRule(key({ options: '{"providers": {"stringee": {"action": "queue"}}}' }))
    if ('reason' in rule) throw new Error(rule.reason)
    expect(compileRule(rule.row, DEFAULTS)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^options\.providers\.stringee: action: must be one of/),
    })
    const broken = menuKeyRule(key({ options: '{"providers": ' }))
    if ('reason' in broken) throw new Error(broken.reason)
    expect(compileRule(broken.row, DEFAULTS)).toMatchObject({ ok: false, reason: expect.stringContaining('options: is not valid JSON') })
  })

  it('the same key is the same layer, key and provider scope, whatever the case, spaces and order of the providers', () => {
    const first = key({ layer: '7', key: '1', provider: 'voicenter, routee' })
    expect(sameMenuKey(first, key({ layer: ' 7 ', key: '1', provider: 'Routee,voicenter' }))).toBe(true)
    expect(sameMenuKey(first, key({ layer: '7', key: '1', provider: 'voicenter' }))).toBe(false)
    expect(sameMenuKey(first, key({ layer: '7', key: '2', provider: 'voicenter, routee' }))).toBe(false)
    expect(sameMenuKey(key({ provider: null }), key({ provider: '' }))).toBe(true)
  })

  it('of repeated enabled keys, those after the first in the engine order never answer', () => {
    const a = key({ id: 10, layer: '7', key: '1', priority: 1000 })
    const b = key({ id: 11, layer: '7', key: '1', priority: 500 })
    const c = key({ id: 12, layer: '7', key: '1', enabled: 0 })
    const d = key({ id: 13, layer: '7', key: '2' })
    expect(repeatedMenuKeys([a, b, c, d]).map(({ key, first }) => [key.id, first.id])).toEqual([[10, 11]])
  })
})
