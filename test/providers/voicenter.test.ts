import { describe, expect, it } from 'vitest'
import type { CallEvent, Decision } from '../../src/model/call-event.ts'
import { createVoicenter } from '../../src/providers/voicenter/index.ts'
import answerCaseExample from '../fixtures/voicenter/answer-case-example.json' with { type: 'json' }
import answerDial from '../fixtures/voicenter/answer-dial.json' with { type: 'json' }
import answerGoToLayer from '../fixtures/voicenter/answer-go-to-layer.json' with { type: 'json' }
import answerGoToLayerCustom from '../fixtures/voicenter/answer-go-to-layer-custom-data.json' with { type: 'json' }
import answerSayDigits from '../fixtures/voicenter/answer-say-digits.json' with { type: 'json' }
import caseExample from '../fixtures/voicenter/case-example.json' with { type: 'json' }
import layerInput from '../fixtures/voicenter/layer-input.json' with { type: 'json' }
import { isVoicenterAnswer } from './voicenter-answer.ts'

const adapter = createVoicenter({ defaultCountry: 'IL' })
const post = (body: unknown) => adapter.classify({ method: 'POST', query: {}, body })

const event: CallEvent = {
  provider: 'voicenter',
  callId: 'c1',
  did: '0722776772',
  didE164: '+972722776772',
  callerRaw: '0501234567',
  caller: '+972501234567',
  dtmf: '',
  layer: '1',
}

const rendered = (decision: Decision, from: Partial<CallEvent> = event) => JSON.parse(adapter.render(decision, from).body)

describe('the answer checker agrees with the docs', () => {
  it.each([
    ['GO_TO_LAYER', answerGoToLayer],
    ['GO_TO_LAYER with custom data', answerGoToLayerCustom],
    ['case example answer', answerCaseExample],
    ['SAY_DIGITS', answerSayDigits],
    ['DIAL', answerDial],
  ])('accepts the documented %s example', (_, body) => {
    expect(isVoicenterAnswer(body)).toBe(true)
  })

  it('rejects answers the docs do not allow', () => {
    expect(isVoicenterAnswer({ ...answerDial, TARGETS: [{ TYPE: 'phone', TARGET: '1' }] })).toBe(false)
    expect(isVoicenterAnswer({ ...answerSayDigits, LANGUAGE: 'FR' })).toBe(false)
    expect(isVoicenterAnswer({ ...answerGoToLayer, LAYER: '12' })).toBe(false)
  })
})

describe('voicenter classify', () => {
  it('reads the documented request', () => {
    expect(post(layerInput)).toEqual({
      kind: 'call',
      event: {
        provider: 'voicenter',
        callId: '1bcd7954224861f85a2d70612f2',
        did: '0722776772',
        didE164: '+972722776772',
        callerRaw: '0501234567',
        caller: '+972501234567',
        dtmf: '1234',
        layer: '5',
        previousLayer: '5',
        customData: undefined,
      },
    })
    expect(post(caseExample)).toMatchObject({ kind: 'call', event: { dtmf: '12345678' } })
  })

  it('treats DTMF "0" as nothing typed', () => {
    expect(post({ ...layerInput, DATA: { ...layerInput.DATA, DTMF: '0' } })).toMatchObject({ kind: 'call', event: { dtmf: '' } })
  })

  it('takes numbers where strings are documented and the other way round', () => {
    const parsed = post({
      METHOD: 'IVR_LAYER_INPUT',
      DATA: { ...layerInput.DATA, LAYER_ID: 5, PREVIOUS_LAYER_ID: 4, DTMF: 1234, DID: 722776772 },
    })
    expect(parsed).toMatchObject({ kind: 'call', event: { layer: '5', previousLayer: '4', dtmf: '1234', did: '722776772' } })
  })

  it('reads GET fields from the query, flat or with DATA as JSON', () => {
    const flat = adapter.classify({ method: 'GET', query: { METHOD: 'IVR_LAYER_INPUT', ...layerInput.DATA }, body: undefined })
    expect(flat).toMatchObject({ kind: 'call', event: { callId: '1bcd7954224861f85a2d70612f2', layer: '5', caller: '+972501234567' } })
    const nested = adapter.classify({
      method: 'GET',
      query: { METHOD: 'IVR_LAYER_INPUT', DATA: JSON.stringify(layerInput.DATA) },
      body: undefined,
    })
    expect(nested).toMatchObject({ kind: 'call', event: { dtmf: '1234' } })
  })

  it('reads DATA sent as a JSON string and CUSTOM_DATA echoed back', () => {
    const parsed = post({
      METHOD: 'IVR_LAYER_INPUT',
      DATA: JSON.stringify({ ...layerInput.DATA, CUSTOM_DATA: { crm: 12, vip: true, none: null } }),
    })
    expect(parsed).toMatchObject({ kind: 'call', event: { customData: { crm: '12', vip: 'true', none: '' } } })
  })

  it("takes null CALLER_ID and DTMF, as Voicenter's own SDK does: a withheld caller, nothing typed", () => {
    expect(post({ ...layerInput, DATA: { ...layerInput.DATA, CALLER_ID: null, DTMF: null } })).toMatchObject({
      kind: 'call',
      event: { callerRaw: '', caller: undefined, dtmf: '', layer: '5', callId: '1bcd7954224861f85a2d70612f2' },
    })
    const flat = adapter.classify({
      method: 'POST',
      query: {},
      body: { METHOD: 'IVR_LAYER_INPUT', DATA: { ...layerInput.DATA, DTMF: undefined } },
    })
    expect(flat).toMatchObject({ kind: 'call', event: { dtmf: '' } })
  })

  it('keeps nested CUSTOM_DATA values as JSON text, as the SDK writes them; CUSTOM_DATA that is no object is none', () => {
    const custom = { crm: { id: 12, tags: ['a', 'b'] }, list: [1, 2], flat: 'x', none: null }
    expect(post({ ...layerInput, DATA: { ...layerInput.DATA, CUSTOM_DATA: custom } })).toMatchObject({
      kind: 'call',
      event: { customData: { crm: '{"id":12,"tags":["a","b"]}', list: '[1,2]', flat: 'x', none: '' } },
    })
    expect(post({ ...layerInput, DATA: JSON.stringify({ ...layerInput.DATA, CUSTOM_DATA: JSON.stringify(custom) }) })).toMatchObject({
      kind: 'call',
      event: { customData: { crm: '{"id":12,"tags":["a","b"]}' } },
    })
    for (const CUSTOM_DATA of [[1, 2], 'not json', 7, true]) {
      expect(post({ ...layerInput, DATA: { ...layerInput.DATA, CUSTOM_DATA } }), JSON.stringify(CUSTOM_DATA)).toMatchObject({
        kind: 'call',
        event: { customData: {} },
      })
    }
  })

  it('keeps a withheld caller ID as no number', () => {
    expect(post({ ...layerInput, DATA: { ...layerInput.DATA, CALLER_ID: 'anonymous' } })).toMatchObject({
      kind: 'call',
      event: { callerRaw: 'anonymous', caller: undefined },
    })
  })

  it.each([
    ['no IVR_UNIQUE_ID', { METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '1', LAYER_ID: '5' } }, 'IVR_UNIQUE_ID'],
    ['an empty LAYER_ID', { ...layerInput, DATA: { ...layerInput.DATA, LAYER_ID: '' } }, 'LAYER_ID'],
    ['another METHOD', { ...layerInput, METHOD: 'CDR' }, 'METHOD'],
    ['DATA as an array', { METHOD: 'IVR_LAYER_INPUT', DATA: [1] }, 'DATA'],
    ['text', 'hello', 'JSON object with METHOD and DATA'],
  ])('refuses %s and keeps what it could read', (_, body, field) => {
    const parsed = post(body)
    expect(parsed.kind).toBe('invalid')
    if (parsed.kind === 'invalid') {
      expect(parsed.reason).toContain(field)
      expect(parsed.partial.provider).toBe('voicenter')
    }
  })

  it('keeps the layer of a request it cannot parse, for the layer fallback', () => {
    const parsed = post({ METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '0722776772', LAYER_ID: 5 } })
    expect(parsed).toMatchObject({ kind: 'invalid', partial: { layer: '5', did: '0722776772' } })
  })
})

describe('voicenter render', () => {
  it('GO_TO_LAYER with caller name and custom data', () => {
    expect(rendered({ action: 'go_to_layer', layer: '22', callerName: 'Shlomi', customData: { CRM_ID: '12345' } })).toEqual({
      STATUS: 0,
      ACTION: 'GO_TO_LAYER',
      LAYER: 22,
      CALLER_NAME: 'Shlomi',
      CUSTOM_DATA: { CRM_ID: '12345' },
    })
  })

  it('GO_TO_LAYER carries CUSTOM_DATA that came in with the call', () => {
    const body = rendered({ action: 'go_to_layer', layer: '3', customData: { NEW: 'n' } }, { ...event, customData: { OLD: 'o', NEW: 'x' } })
    expect(body).toEqual({ STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 3, CUSTOM_DATA: { OLD: 'o', NEW: 'n' } })
  })

  it('SAY_DIGITS with every record type', () => {
    const body = rendered({
      action: 'say',
      items: [
        { type: 'recording', value: 'a.mp3' },
        { type: 'digits', value: '0501234567' },
        { type: 'number', value: '112' },
        { type: 'date', value: '2019-12-14' },
        { type: 'datetime', value: '2019-12-14T10:12:59' },
      ],
      nextLayer: '2',
      failedLayer: '1',
      language: 'en',
      customData: {},
    })
    expect(body).toEqual({
      STATUS: 0,
      ACTION: 'SAY_DIGITS',
      NEXT_LAYER: 2,
      NEXT_LAYER_IF_FAILED: 1,
      LANGUAGE: 'EN',
      DATA: [
        { RecordType: 'Recording', Content: 'a.mp3' },
        { RecordType: 'Digits', Content: '0501234567' },
        { RecordType: 'Number', Content: '112' },
        { RecordType: 'Date', Content: '2019-12-14' },
        { RecordType: 'DateTime', Content: '2019-12-14T10:12:59' },
      ],
    })
    expect(isVoicenterAnswer(body)).toBe(true)
  })

  it('SAY_DIGITS continues to the next layer when no failure layer is given', () => {
    const body = rendered({ action: 'say', items: [{ type: 'number', value: '5' }], nextLayer: '7', language: 'HE', customData: {} })
    expect(body.NEXT_LAYER_IF_FAILED).toBe(7)
  })

  it('DIAL with every field, home numbers in national form', () => {
    const body = rendered({
      action: 'dial',
      targets: [
        { type: 'phone', value: '+972501234567' },
        { type: 'phone', value: '+4915112345678' },
        { type: 'extension', value: '101' },
      ],
      announce: [],
      language: 'EN',
      callerId: '0722776772',
      callerName: 'Voicenter',
      maxCallDuration: 1800,
      maxDialDuration: 60,
      failedLayer: '15',
      record: true,
      customData: { CRM_ID: '1' },
    })
    expect(body).toEqual({
      STATUS: 0,
      ACTION: 'DIAL',
      CALLER_ID: '0722776772',
      CALLER_NAME: 'Voicenter',
      MAX_CALL_DURATION: 1800,
      MAX_DIAL_DURATION: 60,
      NEXT_VO_ID: 15,
      RECORDING: 'yes',
      TARGETS: [
        { TYPE: 'PHONE', TARGET: '0501234567' },
        { TYPE: 'PHONE', TARGET: '+4915112345678' },
        { TYPE: 'EXTENSION', TARGET: '101' },
      ],
      CUSTOM_DATA: { CRM_ID: '1' },
    })
  })

  /** A plain dial to extension 100, as a rule without options decides it. */
  const DIAL: Decision = {
    action: 'dial',
    targets: [{ type: 'extension', value: '100' }],
    announce: [],
    language: 'EN',
    maxCallDuration: 7200,
    maxDialDuration: 30,
    failedLayer: '20',
    record: false,
    customData: {},
  }

  it('DIAL shows the caller their own number by default, and records only when asked', () => {
    const body = rendered(DIAL)
    expect(body).toMatchObject({ CALLER_ID: '0501234567', RECORDING: 'no', CUSTOM_DATA: {} })
    expect(body).not.toHaveProperty('CALLER_NAME')
  })

  it("DIAL's CALLER_ID is always a number: the rule's, else the caller's, else the DID", () => {
    const dial = DIAL
    const withheld = (callerRaw: string) => ({ ...event, callerRaw, caller: undefined })
    for (const callerRaw of ['Anonymous', '', 'private', '0']) {
      const body = rendered(dial, withheld(callerRaw))
      expect(body.CALLER_ID, callerRaw).toBe('0722776772')
      expect(isVoicenterAnswer(body)).toBe(true)
    }
    expect(rendered({ ...dial, callerId: 'Anonymous' }).CALLER_ID).toBe('0501234567')
    expect(rendered({ ...dial, callerId: 'Anonymous' }, withheld('Anonymous')).CALLER_ID).toBe('0722776772')
    expect(rendered({ ...dial, callerId: '+972722776700' }).CALLER_ID).toBe('0722776700')
    expect(rendered({ ...dial, callerId: '+4915112345678' }).CALLER_ID).toBe('+4915112345678')
    expect(rendered(dial, { ...event, callerRaw: '972501234567', caller: '+972501234567' }).CALLER_ID).toBe('0501234567')
  })

  it('provider default is STATUS 1 with the LAYER the answer table makes mandatory', () => {
    const body = rendered({ action: 'provider_default' })
    expect(body).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
    expect(isVoicenterAnswer(body)).toBe(true)
    expect(isVoicenterAnswer({ STATUS: 1, ACTION: 'GO_TO_LAYER' })).toBe(false)
    expect(rendered({ action: 'provider_default' }, { provider: 'voicenter' })).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
  })

  it('STATUS 1 names the failover layer the MiniExternalUrl gives (?failover=), for a call and a request it cannot read', () => {
    const call = adapter.classify({ method: 'POST', query: { failover: '20' }, body: layerInput })
    expect(call).toMatchObject({ kind: 'call', event: { providerContext: { failoverLayer: '20' } } })
    if (call.kind !== 'call') throw new Error('not a call')
    expect(rendered({ action: 'provider_default' }, call.event)).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 20 })
    const invalid = adapter.classify({ method: 'POST', query: { failover: '20' }, body: 'nonsense' })
    expect(invalid).toMatchObject({ kind: 'invalid', partial: { providerContext: { failoverLayer: '20' } } })
    for (const failover of ['x', '', '-1', '1.5', '12345678901']) {
      const ignored = adapter.classify({ method: 'POST', query: { failover }, body: layerInput })
      expect(ignored.kind === 'call' && ignored.event.providerContext, failover).toBeFalsy()
    }
  })
})

describe('voicenter check', () => {
  it.each<[string, Decision, string | undefined]>([
    ['a numeric layer', { action: 'go_to_layer', layer: '12', customData: {} }, undefined],
    ['a named layer', { action: 'go_to_layer', layer: 'sales', customData: {} }, 'layers are numbers'],
    [
      'French',
      { action: 'say', items: [{ type: 'number', value: '1' }], nextLayer: '1', language: 'FR', customData: {} },
      'speaks HE, EN, AR, RU',
    ],
    [
      'text to speech',
      { action: 'say', items: [{ type: 'text', value: 'hi' }], nextLayer: '1', language: 'EN', customData: {} },
      'cannot say text',
    ],
    [
      'a fraction',
      { action: 'say', items: [{ type: 'number', value: '1.5' }], nextLayer: '1', language: 'EN', customData: {} },
      'whole numbers',
    ],
    [
      'a dial without a failure layer',
      {
        action: 'dial',
        targets: [{ type: 'extension', value: '1' }],
        announce: [],
        language: 'EN',
        maxCallDuration: 1,
        maxDialDuration: 1,
        record: false,
        customData: {},
      },
      'NEXT_VO_ID',
    ],
  ])('%s', (_, decision, problem) => {
    const result = adapter.check(decision)
    if (problem === undefined) expect(result).toBeUndefined()
    else expect(result).toContain(problem)
  })
})
