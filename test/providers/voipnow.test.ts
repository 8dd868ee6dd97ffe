import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallEvent, Decision } from '../../src/model/call-event.ts'
import { createVoipNow } from '../../src/providers/voipnow/index.ts'
import hangupForm from '../fixtures/voipnow/assembled-hangup-form.json' with { type: 'json' }
import ivrGet from '../fixtures/voipnow/ucom4b-call-interactive-ivr-get.json' with { type: 'json' }
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isVoipNowAnswer } from './voipnow-answer.ts'
import { ALL_UNSAFE, HOSTILE, wireProblems } from './wire-safety.ts'

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

  it("VoipNow's own IVR request (CallStatus ANSWER) is a routing step, as is every request without the hangup flag", () => {
    expect(adapter.classify({ method: 'GET', query: { ...ivrGet.query, layer: '1' }, body: undefined })).toMatchObject({
      kind: 'call',
      event: { callId: '5205dc5cc5a411e5ab9eb3691b90ea15', callerRaw: '000*306', did: '332', layer: '1' },
    })
    for (const CallStatus of ['ANSWER', 'CALLING', 'NOANSWER', 'UNKNOWN', 'BUSY', 'FAILED', '']) {
      expect(adapter.classify({ method: 'GET', query: { CallID: 'c', CallStatus }, body: undefined }).kind, CallStatus).toBe('call')
    }
    for (const event of ['dial-in', 'dial-out', 'Dial-In']) {
      expect(adapter.classify({ method: 'GET', query: { CallID: 'c', CallStatus: 'ANSWER', event }, body: undefined }).kind).toBe('call')
    }
  })

  it("the Hangup event's script URL (?event=hangup) makes a notice, whatever CallStatus says", () => {
    const body = Object.fromEntries(new URLSearchParams(hangupForm.body))
    expect(adapter.classify({ method: 'POST', query: hangupForm.query, body })).toEqual({
      kind: 'status',
      status: { callId: '5205dc5cc5a411e5ab9eb3691b90ea15', status: 'NOANSWER', final: true, from: '000*306', to: '332' },
      answer: {
        status: 200,
        contentType: 'text/xml; charset=utf-8',
        body: '<?xml version="1.0" encoding="UTF-8"?>\n<Response></Response>',
      },
    })
    for (const event of ['hangup', 'Hangup', 'HANG-UP', 'hang_up']) {
      expect(adapter.classify({ method: 'GET', query: { CallID: 'c', CallStatus: 'ANSWER', event }, body: undefined })).toMatchObject({
        kind: 'status',
        status: { callId: 'c', status: 'ANSWER', final: true },
      })
    }
    // A notice is recorded even when it lacks fields a routing step needs; its event flag is never read from the body.
    expect(adapter.classify({ method: 'GET', query: { event: 'hangup' }, body: undefined })).toMatchObject({
      kind: 'status',
      status: { callId: '', status: 'HANGUP' },
    })
    expect(adapter.classify({ method: 'POST', query: {}, body: { CallID: 'c', event: 'hangup' } }).kind).toBe('call')
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

  it('SetCaller only with a caller number: VoipNow aborts the whole answer when its number is missing', () => {
    const decision: Decision = { action: 'go_to_layer', layer: 'reception', callerName: 'Unidentified caller', customData: {} }
    for (const callerRaw of ['', ' ', 'anonymous', 'Private']) {
      const body = adapter.render(decision, { ...event, callerRaw }).body
      expect(body, callerRaw).not.toContain('SetCaller')
      expect(body).toContain('<Jump context="reception" option="s" priority="1"/>')
      expect(isVoipNowAnswer(body)).toBe(true)
    }
    expect(adapter.render(decision, { provider: 'voipnow' }).body).not.toContain('SetCaller')
    expect(xml(decision)).toContain('<SetCaller name="Unidentified caller" number="0501234567"/>')
    expect(adapter.render(decision, { ...event, callerRaw: '0003*306' }).body).toContain('number="0003*306"')
    expect(adapter.render({ ...decision, callerName: ' ' }, event).body).not.toContain('SetCaller')
  })

  it('the answer checker refuses a SetCaller without a number', () => {
    const answer = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Response>${inner}</Response>`
    expect(isVoipNowAnswer(answer('<SetCaller name="Dana" number="0501234567"/>'))).toBe(true)
    expect(isVoipNowAnswer(answer('<SetCaller name="Dana" number=""/>'))).toBe(false)
    expect(isVoipNowAnswer(answer('<SetCaller name="Dana"/>'))).toBe(false)
    expect(isVoipNowAnswer(answer('<SetVar name="A">\u0001</SetVar>'))).toBe(false)
  })

  it('the XML writer never writes a document XML 1.0 refuses, even given raw control characters', () => {
    // The provider as written, without the core's safe-text wrapper: the XML writer itself must hold.
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: false })
    for (const hostile of [HOSTILE, ALL_UNSAFE, `0501${HOSTILE}`]) {
      const from: CallEvent = { ...event, callerRaw: `0501234567${hostile}`, layer: hostile, did: hostile }
      const items = [
        { type: 'text' as const, value: hostile },
        { type: 'recording' as const, value: hostile },
        { type: 'digits' as const, value: `12${hostile}😀` },
      ]
      const decisions: Decision[] = [
        { action: 'go_to_layer', layer: `ctx:${hostile}`, callerName: hostile, customData: { CRM_ID: hostile, [hostile]: hostile } },
        { action: 'say', items, nextLayer: hostile, language: hostile, customData: { NAME: hostile } },
        { action: 'collect', layer: hostile, prompt: items, timeoutSeconds: 5, language: 'en', customData: { NAME: hostile } },
        { action: 'hangup', items, language: hostile },
      ]
      for (const decision of decisions) {
        const body = createVoipNow({ language: hostile, voice: hostile }).render(decision, from).body
        expect(XMLValidator.validate(body), `${decision.action}: ${JSON.stringify(body)}`).toBe(true)
        expect(wireProblems(body), `${decision.action}: ${JSON.stringify(body)}`).toEqual([])
        expect(isVoipNowAnswer(body), body).toBe(true)
        expect(parser.parse(body).Response).toBeDefined()
      }
    }
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

  it("GET with the parameters in the query routes by the rules; the Hangup event's URL is logged and answered empty", async () => {
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
    const hangup = await fetch(
      `${server.url}/webhooks/voipnow?${new URLSearchParams({ CallID: 'vn-1', CallStatus: 'ANSWER', event: 'hangup' })}`,
    )
    expect(hangup.headers.get('content-type')).toContain('text/xml')
    expect(await hangup.text()).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Response></Response>')
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT action FROM decisions WHERE call_id = 'vn-1' ORDER BY id`).all()
    expect(rows).toEqual([{ action: 'go_to_layer' }, { action: 'status:ANSWER' }])
  })
})
