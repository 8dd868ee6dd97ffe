import { startNodeHarness } from '../helpers/node-harness.ts'
import { testProviderContract } from './provider-contract.ts'
import { stringeeContract } from './stringee-contract.ts'

testProviderContract(stringeeContract, startNodeHarness)
