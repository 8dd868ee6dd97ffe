import { testProviderContract } from '../providers/provider-contract.ts'
import { routeeContract } from '../providers/routee-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

testProviderContract(routeeContract, startWorkerHarness)
