import { describe, expect, it } from 'vitest'
import type { Decision } from '../../src/model/call-event.ts'
import { createRoutee } from '../../src/providers/routee/index.ts'
import { isRouteeDialPlan } from './routee-answer.ts'

const SECRET = 'state-secret-0123456789abcdef'
let clock = Date.parse('2026-11-23T08:00:00Z')
const adapter = createRoutee({ stateSecret: SECRET, publicUrl: 'https://ivr.example.com/', now: () => clock })
const event = {
  provider: 'routee' as const,
  callId: 'c-1',
  did: '+302111234567',
  didE164: '+302111234567',
  callerRaw: '+306911111111',
  layer: '1',
  attempt: 1,
}

const collect: Decision = {
  action: 'collect',
  layer: '5',
  prompt: [{ type: 'text', value: 'PIN please' }],
  maxDigits: 4,
  timeoutSeconds: 8,
  language: 'EN',
  customData: {},
}

const stateOf = async (decision: Decision) => {
  const plan = JSON.parse((await adapter.render(decision, event)).body)
  return new URL(plan.verbs.find((verb: { type: string }) => verb.type === 'COLLECT').eventUrl).searchParams.get('state') as string
}

describe('routee classify', () => {
  it('reads an inbound call at the entry step', async () => {
    expect(
      await adapter.classify({
        method: 'POST',
        query: {},
        body: { messageId: 'm', conversationTrackingId: 'c-1', from: '+306911111111', to: '+302111234567' },
      }),
    ).toEqual({
      kind: 'call',
      event: {
        provider: 'routee',
        callId: 'c-1',
        did: '+302111234567',
        didE164: '+302111234567',
        callerRaw: '+306911111111',
        caller: '+306911111111',
        dtmf: '',
        layer: '1',
        attempt: 1,
      },
    })
  })

  it.each([
    ['1,2,3,4', '1234'],
    ['1234', '1234'],
    ['1234#', '1234'],
    [' 1, 2 ,3 ', '123'],
    ['', ''],
  ])('reads tones %j as %j, with the step, attempt and caller from the signed state', async (tones, dtmf) => {
    const state = await stateOf(collect)
    const parsed = await adapter.classify({
      method: 'POST',
      query: { state },
      body: { messageId: 'm', conversationTrackingId: 'c-1', collectedTones: tones },
    })
    expect(parsed).toMatchObject({ kind: 'call', event: { dtmf, layer: '5', attempt: 1, caller: '+306911111111', did: '+302111234567' } })
  })

  it('counts attempts when the same step asks again', async () => {
    const state = await stateOf(collect)
    const parsed = await adapter.classify({
      method: 'POST',
      query: { state },
      body: { conversationTrackingId: 'c-1', collectedTones: '1' },
    })
    if (parsed.kind !== 'call') throw new Error(`not a call: ${parsed.kind}`)
    const again = await stateOf({ ...collect })
    const next = JSON.parse((await adapter.render(collect, parsed.event)).body).verbs[1].eventUrl as string
    const reparsed = await adapter.classify({
      method: 'POST',
      query: { state: new URL(next).searchParams.get('state') as string },
      body: { conversationTrackingId: 'c-1', collectedTones: '2' },
    })
    expect(again).not.toBe('')
    expect(reparsed).toMatchObject({ kind: 'call', event: { layer: '5', attempt: 2 } })
  })

  it('refuses an expired state', async () => {
    const state = await stateOf(collect)
    clock += 3601_000
    try {
      const parsed = await adapter.classify({
        method: 'POST',
        query: { state },
        body: { conversationTrackingId: 'c-1', collectedTones: '1' },
      })
      expect(parsed).toMatchObject({ kind: 'invalid', reason: 'Routee state token is forged, tampered with or expired' })
    } finally {
      clock -= 3601_000
    }
  })

  it('refuses a state signed with another secret', async () => {
    const other = createRoutee({ stateSecret: 'another-secret-0123456789abcdef', publicUrl: 'https://x.example' })
    const plan = JSON.parse((await other.render(collect, event)).body)
    const state = new URL(plan.verbs[1].eventUrl).searchParams.get('state') as string
    expect(
      await adapter.classify({ method: 'POST', query: { state }, body: { conversationTrackingId: 'c-1', collectedTones: '1' } }),
    ).toMatchObject({ kind: 'invalid' })
  })

  it('refuses a body without conversationTrackingId', async () => {
    expect(await adapter.classify({ method: 'POST', query: {}, body: { from: '+30' } })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('conversationTrackingId'),
    })
  })
})

describe('routee render and check', () => {
  it('collect: prompt with barge-in, COLLECT back to the public URL, PAUSE, then the no-input path', async () => {
    const noInput: Decision = { action: 'hangup', items: [{ type: 'text', value: 'Goodbye' }], language: 'en-GB' }
    const plan = JSON.parse((await adapter.render(collect, event, { noInput })).body)
    expect(isRouteeDialPlan(plan)).toBe(true)
    expect(plan.verbs).toEqual([
      { type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'PIN please' }, bargeIn: true },
      {
        type: 'COLLECT',
        eventUrl: expect.stringMatching(/^https:\/\/ivr\.example\.com\/webhooks\/routee\?state=/),
        submitOnHash: true,
        maxDigits: 4,
      },
      { type: 'PAUSE', duration: 8 },
      { type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'Goodbye' }, bargeIn: false },
    ])
  })

  it('digits are read one by one and recordings are played from their URL', async () => {
    const decision: Decision = {
      action: 'hangup',
      items: [
        { type: 'digits', value: '1234' },
        { type: 'recording', value: 'https://cdn.example.com/bye.wav' },
      ],
      language: 'DE',
    }
    expect(JSON.parse((await adapter.render(decision, event)).body).verbs).toEqual([
      { type: 'SAY', message: { language: 'de-DE', gender: 'female', text: '1 2 3 4' }, bargeIn: false },
      { type: 'PLAY', fileURL: 'https://cdn.example.com/bye.wav', bargeIn: false },
    ])
  })

  it.each<[string, Decision, string | undefined]>([
    ['a layer', { action: 'go_to_layer', layer: '1', customData: {} }, 'Routee has no layers'],
    ['an announcement without input', { action: 'say', items: [], nextLayer: '1', language: 'EN', customData: {} }, 'cannot continue'],
    [
      'an extension',
      {
        action: 'dial',
        targets: [{ type: 'extension', value: '101' }],
        announce: [],
        language: 'EN',
        maxCallDuration: 1,
        maxDialDuration: 1,
        record: false,
        customData: {},
      },
      'not extensions',
    ],
    ['Hebrew', { action: 'hangup', items: [{ type: 'text', value: 'שלום' }], language: 'HE' }, 'does not speak HE'],
    ['a recording file name', { action: 'hangup', items: [{ type: 'recording', value: 'bye.mp3' }], language: 'EN' }, 'from a URL'],
    ['a collect in English', collect, undefined],
  ])('check: %s', (_, decision, problem) => {
    const result = adapter.check(decision)
    if (problem === undefined) expect(result).toBeUndefined()
    else expect(result).toContain(problem)
  })

  it('reads status callbacks, final or not', async () => {
    const status = async (name: string) => {
      const classified = await adapter.classify({
        method: 'POST',
        query: {},
        body: { conversationTrackingId: 'c-1', status: { name }, duration: 12 },
      })
      return classified.kind === 'status' ? classified.status : undefined
    }
    expect(await status('Completed')).toEqual({
      callId: 'c-1',
      status: 'Completed',
      final: true,
      durationMs: 12_000,
      from: undefined,
      to: undefined,
    })
    expect((await status('Ringing'))?.final).toBe(false)
    expect(
      await adapter.classify({ method: 'POST', query: {}, body: { conversationTrackingId: 'c-1', collectedTones: '1' } }),
    ).toMatchObject({ kind: 'call' })
  })
})
