import { describe, expect, it } from 'vitest'
import type { CallEvent, Decision } from '../../src/model/call-event.ts'
import { createRoutee } from '../../src/providers/routee/index.ts'
import { routeeNumber } from '../../src/providers/routee/routee-number.ts'
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

  it.each([
    ['empty', ''],
    ['the pound key alone', '#'],
  ])('a COLLECT post with no tones (%s) is a status notice, not a step: Routee sends it when the call is over', async (_, tones) => {
    const state = await stateOf(collect)
    const body = { messageId: 'm', conversationTrackingId: 'c-1', from: '+306911111111', to: '+302111234567', collectedTones: tones }
    for (const query of [{ state }, {}] as Record<string, string>[]) {
      expect(await adapter.classify({ method: 'POST', query, body })).toEqual({
        kind: 'status',
        status: { callId: 'c-1', status: 'NoInput', final: false, from: '+306911111111', to: '+302111234567' },
        answer: { status: 200, contentType: 'application/json', body: '{}' },
      })
    }
  })

  it('tones posted without our state are not a new call: the step they answer is unknown', async () => {
    expect(
      await adapter.classify({
        method: 'POST',
        query: {},
        body: { messageId: 'm', conversationTrackingId: 'c-1', from: '+306911111111', to: '+302111234567', collectedTones: '1' },
      }),
    ).toEqual({
      kind: 'invalid',
      reason: 'Routee COLLECT post without the state of an eventUrl we handed out',
      partial: {
        provider: 'routee',
        callId: 'c-1',
        did: '+302111234567',
        didE164: '+302111234567',
        callerRaw: '+306911111111',
        caller: '+306911111111',
      },
    })
  })

  it('a JSON body sent with a form content type is read as JSON', async () => {
    const json = JSON.stringify({ messageId: 'm=1&x', conversationTrackingId: 'c-9', from: '+306911111111', to: '+302111234567' })
    // What the webhook route hands over for a form: the fields URLSearchParams makes of the text, and the text.
    const request = { method: 'POST', query: {}, body: Object.fromEntries(new URLSearchParams(json)), rawBody: json }
    expect(await adapter.classify(request)).toMatchObject({ kind: 'call', event: { callId: 'c-9', caller: '+306911111111', layer: '1' } })
    const status = JSON.stringify({ conversationTrackingId: 'c-9', status: { name: 'Completed' }, duration: 3 })
    expect(
      await adapter.classify({ method: 'POST', query: {}, body: Object.fromEntries(new URLSearchParams(status)), rawBody: status }),
    ).toMatchObject({ kind: 'status', status: { callId: 'c-9', status: 'Completed', durationMs: 3000 } })
  })

  it.each([
    ['+306911111111', 'GR', '+306911111111'],
    ['306911111111', 'GR', '+306911111111'],
    ['306911111111', 'IL', '+306911111111'],
    ['972501234567', 'GR', '+972501234567'],
    ['447911123456', 'GR', '+447911123456'],
    ['14155550101', 'GR', '+14155550101'],
    // Not valid in international form: read in the default country, as a network may send it.
    ['6911111111', 'GR', '+306911111111'],
    ['0501234567', 'IL', '+972501234567'],
    ['anonymous', 'GR', undefined],
  ])('reads Routee number %s (default country %s) as %s', (raw, country, e164) => {
    expect(routeeNumber(raw, country)).toBe(e164)
  })

  it('an inbound call from a number without its plus is read internationally, as Routee writes numbers', async () => {
    const il = createRoutee({ stateSecret: SECRET, defaultCountry: 'IL', publicUrl: 'https://ivr.example.com' })
    expect(
      await il.classify({ method: 'POST', query: {}, body: { conversationTrackingId: 'c-2', from: '306911111111', to: '972722776772' } }),
    ).toMatchObject({ kind: 'call', event: { caller: '+306911111111', didE164: '+972722776772', callerRaw: '306911111111' } })
    const state = new URL(
      JSON.parse(
        (
          await il.render(collect, {
            ...event,
            callerRaw: '972501234567',
            did: '302111234567',
            caller: undefined,
            didE164: undefined,
          })
        ).body,
      ).verbs[1].eventUrl,
    ).searchParams.get('state') as string
    expect(
      await il.classify({ method: 'POST', query: { state }, body: { conversationTrackingId: 'c-1', collectedTones: '1' } }),
    ).toMatchObject({
      kind: 'call',
      event: { caller: '+972501234567', didE164: '+302111234567' },
    })
  })

  it('refuses a body without conversationTrackingId', async () => {
    expect(await adapter.classify({ method: 'POST', query: {}, body: { from: '+30' } })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('conversationTrackingId'),
    })
  })
})

describe('routee render and check', () => {
  it('collect: prompt without barge-in, COLLECT back to the public URL, PAUSE, then the no-input path', async () => {
    const noInput: Decision = { action: 'hangup', items: [{ type: 'text', value: 'Goodbye' }], language: 'en-GB' }
    const plan = JSON.parse((await adapter.render(collect, event, { noInput })).body)
    expect(isRouteeDialPlan(plan)).toBe(true)
    expect(plan.verbs).toEqual([
      // With barge-in the first tone would post alone: "1" of the PIN. Without, the COLLECT gathers them all.
      { type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'PIN please' }, bargeIn: false },
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

  it('a one-key collect keeps barge-in: the first tone is all it takes', async () => {
    const menu: Decision = { ...collect, maxDigits: 1, prompt: [{ type: 'recording', value: 'https://cdn.example.com/menu.wav' }] }
    const plan = JSON.parse((await adapter.render(menu, event)).body)
    expect(plan.verbs[0]).toEqual({ type: 'PLAY', fileURL: 'https://cdn.example.com/menu.wav', bargeIn: true })
    expect(plan.verbs[1]).toMatchObject({ type: 'COLLECT', maxDigits: 1 })
  })

  const again: Decision = { ...collect, prompt: [{ type: 'text', value: 'Not found, again please' }], timeoutSeconds: 6 }
  const person: Decision = {
    action: 'dial',
    targets: [{ type: 'phone', value: '+972722776700' }],
    announce: [{ type: 'text', value: 'Connecting you' }],
    language: 'EN',
    maxCallDuration: 7200,
    maxDialDuration: 60,
    record: false,
    customData: {},
  }
  const verbsOf = async (decision: Decision, extras: Parameters<typeof adapter.render>[2], at: Partial<CallEvent> = event) => {
    const plan = JSON.parse((await adapter.render(decision, at, extras)).body)
    expect(isRouteeDialPlan(plan), JSON.stringify(plan)).toBe(true)
    return plan.verbs as { type: string; message?: { text: string }; eventUrl?: string; bargeIn?: boolean }[]
  }

  it('a re-prompt on the no-input path has no COLLECT of its own: the plan has one, whose eventUrl gets every tone', async () => {
    const verbs = await verbsOf(collect, { noInput: again })
    expect(verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY', 'PAUSE', 'SAY'])
    expect(verbs[3]).toMatchObject({ message: { text: 'Not found, again please' }, bargeIn: false })
    expect(verbs[4]).toEqual({ type: 'PAUSE', duration: 6 })
    // What follows the re-prompt is not known from one no-input answer: the apology, not silence.
    expect(verbs[5]?.message?.text).toBe('Sorry, we cannot take your call right now. Please try again later.')
  })

  it('the whole no-input path, when the router gives it: re-prompts, then where the rules send a silent caller', async () => {
    const verbs = await verbsOf(collect, { noInput: again, noInputPath: [again, again, person] })
    expect(verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY', 'PAUSE', 'SAY', 'PAUSE', 'SAY', 'DIAL'])
    expect(verbs.at(-1)).toEqual({
      type: 'DIAL',
      from: '+302111234567',
      to: { phone: '+972722776700' },
      hangupDelay: 60,
      maxDuration: 7200,
      record: false,
    })
  })

  it('a no-input path that asks at another step stops there: that step cannot be collected from this plan', async () => {
    const verbs = await verbsOf(collect, { noInputPath: [{ ...again, layer: '7' }, person] })
    expect(verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY'])
    expect(verbs[3]?.message?.text).toMatch(/^Sorry, we cannot take your call/)
  })

  it('DIAL from: the rule, else ROUTEE_CALLER_ID, else the number called', async () => {
    expect((await verbsOf(person, {})).at(-1)).toMatchObject({ from: '+302111234567' })
    expect((await verbsOf({ ...person, callerId: '+302100000000' }, {})).at(-1)).toMatchObject({ from: '+302100000000' })
    const configured = createRoutee({ stateSecret: SECRET, callerId: '+302109999999' })
    expect(JSON.parse((await configured.render(person, event)).body).verbs.at(-1)).toMatchObject({ from: '+302109999999' })
    // The number called as Routee writes it, without its plus.
    expect((await verbsOf(person, {}, { ...event, did: '302111234567', didE164: undefined })).at(-1)).toMatchObject({
      from: '+302111234567',
    })
  })

  it('a DIAL with no number called to send from is not answered as one: the render fails, so the router answers the failover', async () => {
    await expect(adapter.render(person, { provider: 'routee' })).rejects.toThrow('dial: no DIAL `from`')
    // At the end of a no-input path it is the apology instead, and the rest of the plan stands.
    const verbs = await verbsOf(collect, { noInput: person }, { ...event, did: '', didE164: undefined })
    expect(verbs.map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY'])
    expect(verbs[3]?.message?.text).toMatch(/^Sorry, we cannot take your call/)
  })

  it('a goodbye with nothing to say is still a plan', async () => {
    expect(await verbsOf({ action: 'hangup', items: [], language: 'EN' }, {})).toEqual([{ type: 'PAUSE', duration: 1 }])
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
    expect((await status('No Answer'))?.final).toBe(true)
    expect(
      await adapter.classify({ method: 'POST', query: {}, body: { conversationTrackingId: 'c-1', from: '+30', to: '+30' } }),
    ).toMatchObject({ kind: 'call' })
  })

  it.each<[string, Record<string, unknown>, { status: string; durationMs?: number; final: boolean }]>([
    // Routee's callback docs give every type as a string in their example: "duration": "number".
    ['a duration as text', { status: { name: 'Completed' }, duration: '95' }, { status: 'Completed', durationMs: 95_000, final: true }],
    [
      'a fractional duration',
      { status: { name: 'Completed' }, duration: '12.5' },
      { status: 'Completed', durationMs: 12_500, final: true },
    ],
    ['an empty duration', { status: { name: 'Ringing' }, duration: '' }, { status: 'Ringing', final: false }],
    ['a duration that is no number', { status: { name: 'Ringing' }, duration: 'n/a' }, { status: 'Ringing', final: false }],
    [
      'every field as the docs write it',
      {
        status: { name: 'InProgress', updatedDate: '2026-11-23T08:05:00Z' },
        direction: 'Inbound',
        originatingService: 'Voice',
        respectQuietHours: 'false',
        duration: 'null',
        price: '0.02',
      },
      { status: 'InProgress', final: false },
    ],
    ['a status that is a bare name', { status: 'Busy', duration: 0 }, { status: 'Busy', durationMs: 0, final: true }],
    ['a status without a name', { status: {}, duration: 5 }, { status: 'Unknown', durationMs: 5000, final: false }],
    ['a status that is null', { status: null }, { status: 'Unknown', final: false }],
  ])('a status callback with %s is a status, never a new call', async (_, fields, expected) => {
    const classified = await adapter.classify({
      method: 'POST',
      query: {},
      body: { messageId: 'm', conversationTrackingId: 'c-1', from: '+302111234567', to: '+306911111111', ...fields },
    })
    expect(classified).toMatchObject({ kind: 'status', status: { callId: 'c-1', ...expected } })
    if (classified.kind === 'status' && expected.durationMs === undefined) expect(classified.status.durationMs).toBeUndefined()
  })
})
