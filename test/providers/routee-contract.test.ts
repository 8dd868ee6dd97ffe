import { startNodeHarness } from '../helpers/node-harness.ts'
import { testProviderContract } from './provider-contract.ts'
import { routeeContract } from './routee-contract.ts'

testProviderContract(routeeContract, startNodeHarness)
