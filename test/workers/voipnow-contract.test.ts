import { testProviderContract } from '../providers/provider-contract.ts'
import { voipnowContract } from '../providers/voipnow-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

testProviderContract(voipnowContract, startWorkerHarness)
