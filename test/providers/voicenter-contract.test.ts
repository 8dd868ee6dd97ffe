import { startNodeHarness } from '../helpers/node-harness.ts'
import { testProviderContract } from './provider-contract.ts'
import { voicenterContract } from './voicenter-contract.ts'

testProviderContract(voicenterContract, startNodeHarness)
