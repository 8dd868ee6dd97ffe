import { env } from 'cloudflare:test'
import { inject } from 'vitest'
import {
  DECISION_ROWS_SQL,
  type DecisionRow,
  type ReceivedCommand,
  type StartRingCentralFlowHarness,
  testRingCentralFlows,
} from '../providers/ringcentral-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/** The Worker in workerd over D1; its commands land on the fake RingCentral of test/workers/global-setup.ts. */
const startWorker: StartRingCentralFlowHarness = async (vars = {}) => {
  const harness = await startWorkerHarness(vars)
  return {
    ...harness,
    commands: async (session) =>
      (await (await fetch(`${inject('ringcentralUrl')}/fake/commands?session=${encodeURIComponent(session)}`)).json()) as ReceivedCommand[],
    decisions: async (callId) => {
      await harness.settle()
      return (await env.DB.prepare(DECISION_ROWS_SQL).bind('ringcentral', callId).all<DecisionRow>()).results
    },
  }
}

testRingCentralFlows(startWorker)
