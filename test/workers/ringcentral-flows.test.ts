import { inject } from 'vitest'
import { type ReceivedCommand, type StartRingCentralFlowHarness, testRingCentralFlows } from '../providers/ringcentral-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/** The Worker in workerd over D1; its commands land on the fake RingCentral of test/workers/global-setup.ts. */
const startWorker: StartRingCentralFlowHarness = async (vars = {}) => {
  const harness = await startWorkerHarness(vars)
  return {
    ...harness,
    commands: async (session) =>
      (await (await fetch(`${inject('ringcentralUrl')}/fake/commands?session=${encodeURIComponent(session)}`)).json()) as ReceivedCommand[],
  }
}

testRingCentralFlows(startWorker)
