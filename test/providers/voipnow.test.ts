import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Decision } from '../../src/model/call-event.ts'
import { createVoipNow } from '../../src/providers/voipnow/index.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isVoipNowAnswer } from './voipnow-answer.ts'

const adapter = createVoipNow({ defaultCountry: 'IL' })
const event = { provider: 'voipnow' as const, callId: 'c', did: '0722776772', callerRaw: '0501234567', dtmf: '', layer: '1' }
const xml = (decision: Decision) => adapter.render(decision, event).body.replace('<?xml version="1.0" encoding="UTF-8"?>\n', '')

describe('voipnow parse', () => {
  it('reads the default parameters and our layer and digits', () => {
    const parsed = adapter.classify({
      method: 'GET',
      query: {
        CallID: '5205dc',
        CallerIDNum: '0501234567',
        CalledDID: '0722776772',
        CallStatus: 'CALLING',
        CallFlow: 'IN',
        layer: 'pin',
        digits: '1234#',
      },
      body: undefined,
    })
    expect(parsed).toEqual({
      kind: 'call',
      event: {
        provider: 'voipnow',
        callId: '5205dc',
        did: '0722776772',
        didE164: '+972722776772',
        callerRaw: '0501234567',
        caller: '+972501234567',
        dtmf: '1234#',
        layer: 'pin',
      },
    })
  })

  it('an interactive variable VoipNow did not substitute is no digits; extended extensions are not phone numbers', () => {
    const parsed = adapter.classify({ method: 'GET', query: { CallID: 'c', CallerIDNum: '0003*306', digits: '$account' }, body: undefined })
    expect(parsed).toMatchObject({ kind: 'call', event: { dtmf: '', caller: undefined, callerRaw: '0003*306' } })
  })

  it('a request without CallID is refused, keeping the layer for the fallback', () => {
    expect(adapter.classify({ method: 'POST', query: { layer: '5' }, body: {} })).toMatchObject({
      kind: 'invalid',
      partial: { layer: '5' },
    })
  })

  it('hangup events are status notices, dial-in is not', () => {
    expect(adapter.classify({ method: 'GET', query: { CallID: 'c', CallStatus: 'ANSWER' }, body: undefined })).toMatchObject({
      kind: 'status',
      status: { callId: 'c', status: 'ANSWER', final: true },
    })
    expect(adapter.classify({ method: 'GET', query: { CallID: 'c', CallStatus: 'CALLING' }, body: undefined })).toMatchObject({
      kind: 'call',
    })
  })
})

describe('voipnow render', () => {
  it('go_to_layer: SetCaller with the CRM name, SetVar for the screen pop, Jump', () => {
    expect(
      xml({ action: 'go_to_layer', layer: 'sales:2:3', callerName: 'Dana "VIP" <Acme>', customData: { CRM_ID: '1&2', 'bad key': 'x' } }),
    ).toBe(
      '<Response><SetCaller name="Dana &quot;VIP&quot; &lt;Acme&gt;" number="0501234567"/><SetVar name="CRM_ID">1&amp;2</SetVar><Jump context="sales" option="2" priority="3"/></Response>',
    )
  })

  it('say: sounds and TTS, then Jump with option s and priority 1', () => {
    const body = xml({
      action: 'say',
      items: [
        { type: 'recording', value: 'balance' },
        { type: 'number', value: '112' },
        { type: 'digits', value: '42' },
      ],
      nextLayer: 'main',
      language: 'EN',
      customData: {},
    })
    expect(body).toBe(
      '<Response><PlaySound language="en">balance</PlaySound><PlayTTS voice="Alice-8KHz">112</PlayTTS><PlayTTS voice="Alice-8KHz">4 2</PlayTTS><Jump context="main" option="s" priority="1"/></Response>',
    )
  })

  it('hangup and the provider default', () => {
    expect(xml({ action: 'hangup', items: [{ type: 'text', value: 'Bye' }], language: 'en' })).toBe(
      '<Response><PlayTTS voice="Alice-8KHz">Bye</PlayTTS><Hangup/></Response>',
    )
    expect(xml({ action: 'provider_default' })).toBe('<Response></Response>')
  })

  it('check refuses dialling and context names VoipNow cannot jump to', () => {
    const dial: Decision = {
      action: 'dial',
      targets: [{ type: 'extension', value: '1' }],
      announce: [],
      language: 'en',
      maxCallDuration: 1,
      maxDialDuration: 1,
      record: false,
      customData: {},
    }
    expect(adapter.check(dial)).toContain('cannot dial')
    expect(adapter.check({ action: 'go_to_layer', layer: 'sales team', customData: {} })).toContain('is not a VoipNow context')
    expect(adapter.check({ action: 'go_to_layer', layer: 'sales:1:2', customData: {} })).toBeUndefined()
  })

  it('every answer is well-formed for VoipNow', () => {
    expect(
      isVoipNowAnswer(adapter.render({ action: 'go_to_layer', layer: 'x', callerName: 'A&B', customData: { A: '<b>' } }, event).body),
    ).toBe(true)
  })
})

describe('voipnow over HTTP', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { VOIPNOW_DEFAULT_COUNTRY: 'IL' } })
  })
  afterAll(() => server.close())

  it('GET with the parameters in the query routes by the rules; the hangup event is logged and answered empty', async () => {
    const query = new URLSearchParams({
      CallID: 'vn-1',
      CallerIDNum: '0501234567',
      CalledDID: '0722776772',
      CallStatus: 'CALLING',
      layer: '1',
    })
    const answer = await (await fetch(`${server.url}/webhooks/voipnow?${query}`)).text()
    expect(answer).toContain('<SetCaller name="Dana Levi" number="0501234567"/>')
    expect(answer).toContain('<Jump context="agents" option="101" priority="1"/>')
    expect(answer).toContain('<SetVar name="CRM_ID">1</SetVar>')
    const hangup = await fetch(`${server.url}/webhooks/voipnow?${new URLSearchParams({ CallID: 'vn-1', CallStatus: 'ANSWER' })}`)
    expect(hangup.headers.get('content-type')).toContain('text/xml')
    expect(await hangup.text()).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response></Response>')
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT action FROM decisions WHERE call_id = 'vn-1' ORDER BY id`).all()
    expect(rows).toEqual([{ action: 'go_to_layer' }, { action: 'status:ANSWER' }])
  })
})
