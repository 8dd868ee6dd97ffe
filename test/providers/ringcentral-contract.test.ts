import { startNodeHarness } from '../helpers/node-harness.ts'
import { testProviderContract } from './provider-contract.ts'
import { ringcentralContract } from './ringcentral-contract.ts'

testProviderContract(ringcentralContract, startNodeHarness)
