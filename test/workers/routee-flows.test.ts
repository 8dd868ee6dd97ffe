import { testRouteeFlows } from '../providers/routee-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

testRouteeFlows(startWorkerHarness)
