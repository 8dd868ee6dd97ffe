import { env } from 'cloudflare:test'
import { CALL_LOG_SQL, type DecisionRow, type StartRouteeFlows, testRouteeFlows } from '../providers/routee-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/** The Worker in workerd over D1, the decision log read from the same D1. */
const startWorker: StartRouteeFlows = async (vars) => {
  const harness = await startWorkerHarness(vars)
  return {
    ...harness,
    callLog: async (provider, callId) => {
      await harness.settle()
      return (await env.DB.prepare(CALL_LOG_SQL).bind(provider, callId).all<DecisionRow>()).results
    },
  }
}

testRouteeFlows(startWorker)
