import { startNodeHarness } from '../helpers/node-harness.ts'
import { testVoicenterFlows } from './voicenter-flows.ts'

testVoicenterFlows(startNodeHarness)
