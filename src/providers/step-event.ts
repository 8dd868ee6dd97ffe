import { toE164 } from '../lib/phone.ts'
import type { CallEvent, ProviderId } from '../model/call-event.ts'

/** A call event of a provider whose IVR steps we drive ourselves (Routee, Stringee, RingCentral). */
export const stepEvent = (
  provider: ProviderId,
  defaultCountry: string,
  call: { callId: string; from: string; to: string; step: string; attempt: number; dtmf: string },
): CallEvent => ({
  provider,
  callId: call.callId,
  did: call.to,
  didE164: toE164(call.to, defaultCountry),
  callerRaw: call.from,
  caller: toE164(call.from, defaultCountry),
  dtmf: call.dtmf,
  layer: call.step,
  attempt: call.attempt,
})
