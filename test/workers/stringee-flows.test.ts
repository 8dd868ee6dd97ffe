import { inject } from 'vitest'
import { type StartStringeeHarness, testStringeeFlows } from '../providers/stringee-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

/**
 * The Worker in workerd over D1 (worker-harness.ts); a call's rows are its Stringee decisions. SMS go to the
 * fake Stringee SMS API that test/workers/global-setup.ts runs on 127.0.0.1.
 */
const startWorkerStringeeHarness: StartStringeeHarness = async (vars = {}) => {
  const sms = inject('stringeeSms')
  const harness = await startWorkerHarness({
    STRINGEE_API_URL: sms.url,
    STRINGEE_API_KEY_SID: sms.keySid,
    STRINGEE_API_KEY_SECRET: sms.keySecret,
    STRINGEE_SMS_FROM: sms.brandname,
    ...vars,
  })
  return {
    ...harness,
    rows: (callId) => harness.decisions(callId, 'stringee'),
    smsTo: async (to) => {
      await harness.settle()
      return (await fetch(`${sms.url}/fake/sms?to=${encodeURIComponent(to)}`)).json()
    },
  }
}

testStringeeFlows(startWorkerStringeeHarness)
