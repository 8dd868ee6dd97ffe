import { testProviderContract } from '../providers/provider-contract.ts'
import { voicenterContract } from '../providers/voicenter-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

testProviderContract(voicenterContract, startWorkerHarness)
