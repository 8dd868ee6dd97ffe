import type { ProviderContract } from './provider-contract.ts'
import { isStringeeScco, isStringeeSorry } from './stringee-answer.ts'

/** answer_url is a GET in Stringee; the contract posts the same fields, which the adapter reads alike. */
export const stringeeContract: ProviderContract = {
  provider: 'stringee',
  requests: [
    { name: 'answer_url from an unknown caller', body: { from: '84901234567', to: '842471001234', uuid: 'a1b2c3', fromInternal: false } },
    { name: 'answer_url from a known caller', body: { from: '+972501234567', to: '842471001234', uuid: 'a1b2c4', fromInternal: false } },
  ],
  hostileRequests: (text) => [
    { name: 'answer_url from and uuid', body: { from: `84901234567${text}`, to: `842471001234${text}`, uuid: text, fromInternal: false } },
  ],
  isValidAnswer: isStringeeScco,
  isProviderDefault: isStringeeSorry,
}
