import { startNodeHarness } from '../helpers/node-harness.ts'
import { voicenterContract } from './voicenter-contract.ts'
import { testProviderContract } from './provider-contract.ts'

testProviderContract(voicenterContract, startNodeHarness)
