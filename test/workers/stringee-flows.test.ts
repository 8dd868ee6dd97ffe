import { inject } from 'vitest'
import { stringeeHarness, testStringeeFlows } from '../providers/stringee-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

// SMS go to the fake Stringee SMS API that test/workers/global-setup.ts runs on 127.0.0.1.
testStringeeFlows(stringeeHarness(startWorkerHarness, inject('stringeeSms')))
