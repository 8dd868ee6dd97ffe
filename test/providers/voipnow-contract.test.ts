import { startNodeHarness } from '../helpers/node-harness.ts'
import { testProviderContract } from './provider-contract.ts'
import { voipnowContract } from './voipnow-contract.ts'

testProviderContract(voipnowContract, startNodeHarness)
