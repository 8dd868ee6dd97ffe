import { describe, expect, it } from 'vitest'
import type { Decision } from '../../src/model/call-event.ts'
import { safeCallEvent, safeDecision, withSafeText } from '../../src/providers/safe-render.ts'
import { createStringee } from '../../src/providers/stringee/index.ts'
import { createVoicenter } from '../../src/providers/voicenter/index.ts'

const dial: Decision = {
  action: 'dial',
  targets: [{ type: 'extension', value: '101' }],
  announce: [{ type: 'text', value: 'Connecting you to John Doe.' }],
  language: 'EN',
  callerId: '+972722776772',
  callerName: 'Dana Levi',
  maxCallDuration: 7200,
  maxDialDuration: 30,
  failedLayer: '20',
  record: true,
  customData: { CRM_ID: '12345', NAME: 'Dana Levi' },
}

describe('safeDecision', () => {
  it('leaves a normal decision and call as they are', () => {
    expect(safeDecision(dial)).toEqual(dial)
    const event = {
      provider: 'voicenter' as const,
      callId: 'c-1',
      did: '0722776772',
      callerRaw: '0501234567',
      dtmf: '',
      customData: { a: 'b' },
    }
    expect(safeCallEvent(event)).toEqual(event)
  })

  it('drops say items left empty, so no provider is asked to speak nothing', () => {
    const decision = safeDecision({
      action: 'hangup',
      items: [
        { type: 'text', value: '\u0000\u0007' },
        { type: 'text', value: 'Bye' },
      ],
      language: 'EN',
    })
    expect(decision).toEqual({ action: 'hangup', items: [{ type: 'text', value: 'Bye' }], language: 'EN' })
  })

  it('keeps at most 100 screen-pop entries and drops keys left empty', () => {
    const customData = Object.fromEntries([['\u0000', 'x'], ...Array.from({ length: 300 }, (_, index) => [`k${index}`, 'v'])])
    const decision = safeDecision({ ...dial, customData }) as Extract<Decision, { action: 'dial' }>
    expect(Object.keys(decision.customData)).toEqual(Array.from({ length: 100 }, (_, index) => `k${index}`))
  })

  it('providers check the decision as they will render it: a target of control characters is refused', () => {
    const hostile: Decision = { ...dial, targets: [{ type: 'extension', value: '\u0000\u0001' }] }
    expect(withSafeText(createVoicenter()).check(hostile)).toBe('dial: empty target')
    expect(withSafeText(createStringee({ stateSecret: 'secret' })).check(hostile)).toBe('dial: empty target')
    expect(withSafeText(createVoicenter()).check(dial)).toBeUndefined()
  })
})
