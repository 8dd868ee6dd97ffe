import type { ProviderContract } from './provider-contract.ts'

/**
 * RingCentral wants an empty 204 at once for every callback; what the rules decide goes out afterwards as
 * REST commands (see ringcentral.test.ts). A refused request gets the adapter's empty command list.
 */
export const ringcentralContract: ProviderContract = {
  provider: 'ringcentral',
  answerFormat: 'text',
  okStatus: 204,
  requests: [
    {
      name: 'on-call-enter',
      body: {
        accountId: '400131141008',
        extensionId: '400131147008',
        inParty: { id: 'cs172622609264474468-2', from: { phoneNumber: '+972539999999' }, to: { phoneNumber: '+16505550100' } },
        partyId: 'cs172622609264474468-1',
        sessionId: 's-a77e0ce8-c8cb-4ee6-8e31-2f5ab8f6a3f5',
      },
    },
  ],
  hostileRequests: (text) => [
    // Ids go into command URLs (a lone surrogate made encodeURIComponent throw).
    {
      name: 'on-call-enter with hostile ids and numbers',
      body: {
        accountId: text,
        inParty: { id: `cs1-2${text}`, from: { phoneNumber: `+97253${text}` }, to: { phoneNumber: text } },
        partyId: `cs1-1${text}`,
        sessionId: `s-${text}`,
      },
    },
    {
      name: 'on-call-enter with hostile numbers only',
      body: {
        inParty: { id: 'cs2-2', from: { phoneNumber: `+97253${text}` }, to: { phoneNumber: text } },
        partyId: 'cs2-1',
        sessionId: 's-hostile-numbers',
      },
    },
    {
      name: 'Collect update with a hostile session',
      body: { sessionId: `s-${text}`, partyId: 'p', command: 'Collect', status: 'Completed', parameters: { digits: text } },
    },
  ],
  isValidAnswer: (body) => body === '' || body === '[]',
  isProviderDefault: (body) => body === '[]',
}
