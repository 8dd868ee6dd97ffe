import type { ProviderContract } from './provider-contract.ts'
import { isRouteeDialPlan, isSorryPlan } from './routee-answer.ts'

export const routeeContract: ProviderContract = {
  provider: 'routee',
  requests: [
    {
      name: 'inbound call to the dial-plan URL',
      body: {
        messageId: 'bd62d22e-dc10-48de-b696-45f63c6d0aad',
        conversationTrackingId: '12fe3777-f32a-4350-996b-364018d457b5',
        from: '+972539999999',
        to: '+302111234567',
      },
    },
    {
      name: 'inbound call from a known caller',
      body: { messageId: 'm-2', conversationTrackingId: 'c-2', from: '+972501234567', to: '+302111234567' },
    },
  ],
  hostileRequests: (text) => [
    // The caller's number travels in the COLLECT eventUrl's state.
    {
      name: 'caller number',
      body: { messageId: text, conversationTrackingId: `c-${text}`, from: `+97253${text}`, to: `+302111234567${text}` },
    },
  ],
  isValidAnswer: isRouteeDialPlan,
  isProviderDefault: isSorryPlan,
}
