import { env } from 'cloudflare:test'
import { type FlowDecision, type StartFlowHarness, testVoipNowFlows } from '../providers/voipnow-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/** The Worker in workerd over D1; the call's decisions read back from D1 once the answers' work is done. */
const startWorkerFlows: StartFlowHarness = async (vars = {}) => {
  const harness = await startWorkerHarness(vars)
  return {
    ...harness,
    decisions: async (callId) => {
      await harness.settle()
      const rows = await env.DB.prepare(
        'SELECT layer, dtmf, attempt, rule_name, action, reason FROM decisions WHERE call_id = ? ORDER BY id',
      )
        .bind(callId)
        .all<FlowDecision>()
      return rows.results
    },
  }
}

testVoipNowFlows(startWorkerFlows)
