import { testVoicenterFlows } from '../providers/voicenter-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

testVoicenterFlows(startWorkerHarness)
