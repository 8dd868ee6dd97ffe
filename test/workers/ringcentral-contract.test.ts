import { testProviderContract } from '../providers/provider-contract.ts'
import { ringcentralContract } from '../providers/ringcentral-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

testProviderContract(ringcentralContract, startWorkerHarness)
