import caseExample from '../fixtures/voicenter/case-example.json' with { type: 'json' }
import layerInput from '../fixtures/voicenter/layer-input.json' with { type: 'json' }
import type { ProviderContract } from './provider-contract.ts'
import { isVoicenterAnswer } from './voicenter-answer.ts'

export const voicenterContract: ProviderContract = {
  provider: 'voicenter',
  requests: [
    { name: 'request example', body: layerInput },
    { name: 'case example (ID typed)', body: caseExample },
    {
      name: 'form-encoded fields',
      body: new URLSearchParams({ ...layerInput.DATA, METHOD: 'IVR_LAYER_INPUT' }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    },
  ],
  isValidAnswer: isVoicenterAnswer,
  isProviderDefault: (body) => (body as { STATUS?: number }).STATUS === 1,
}
