import { startNodeHarness } from '../helpers/node-harness.ts'
import { testMenuFlows } from './menu-flows.ts'

testMenuFlows(startNodeHarness)
