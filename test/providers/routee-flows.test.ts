import { startNodeHarness } from '../helpers/node-harness.ts'
import { testRouteeFlows } from './routee-flows.ts'

testRouteeFlows(startNodeHarness)
