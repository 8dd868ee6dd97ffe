/** The Voicenter calls both benches send (test/bench/run.ts on Node, test/bench/worker.ts on workerd). */
export const voicenterBody = (data: Record<string, string>) =>
  JSON.stringify({ METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '0722776772', PREVIOUS_LAYER_ID: '1', ...data } })

/** The demo's flows: caller-ID lookups (a VIP, a known caller, an unknown one) and account numbers typed (balance due, none, unknown). */
export const VOICENTER_SCENARIOS = [
  { CALLER_ID: '0501234567', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0541112233', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0539999999', LAYER_ID: '1', DTMF: '0' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '1234' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '12345678' },
  { CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '777' },
]
