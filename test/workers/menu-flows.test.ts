import { testMenuFlows } from '../admin/menu-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

testMenuFlows(startWorkerHarness)
