import { testProviderContract } from '../providers/provider-contract.ts'
import { stringeeContract } from '../providers/stringee-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

testProviderContract(stringeeContract, startWorkerHarness)
