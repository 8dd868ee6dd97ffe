import type { CallEvent } from '../../src/model/call-event.ts'

/** A Voicenter call from the docs' example caller on layer 5, with whatever a test changes. */
export const sampleCall = (overrides: Partial<CallEvent> = {}): CallEvent => ({
  provider: 'voicenter',
  callId: 'call-1',
  did: '0722776772',
  didE164: '+972722776772',
  callerRaw: '0501234567',
  caller: '+972501234567',
  dtmf: '',
  layer: '5',
  ...overrides,
})
