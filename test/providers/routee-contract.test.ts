import { startNodeHarness } from '../helpers/node-harness.ts'
import { routeeContract } from './routee-contract.ts'
import { testProviderContract } from './provider-contract.ts'

testProviderContract(routeeContract, startNodeHarness)
