import { type StartStringeeHarness, testStringeeFlows } from '../providers/stringee-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/** The Worker in workerd over D1 (worker-harness.ts); a call's rows are its Stringee decisions. */
const startWorkerStringeeHarness: StartStringeeHarness = async (vars = {}) => {
  const harness = await startWorkerHarness(vars)
  return { ...harness, rows: (callId) => harness.decisions(callId, 'stringee') }
}

testStringeeFlows(startWorkerStringeeHarness)
