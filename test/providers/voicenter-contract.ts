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
  hostileRequests: (text) => [
    // The caller's number is echoed as CALLER_ID; CUSTOM_DATA comes back in every GO_TO_LAYER and DIAL.
    {
      name: 'caller id and custom data from an unknown caller at layer 1',
      body: {
        METHOD: 'IVR_LAYER_INPUT',
        DATA: { ...layerInput.DATA, LAYER_ID: '1', DTMF: '0', CALLER_ID: `050${text}`, CUSTOM_DATA: { [`k${text}`]: text, note: text } },
      },
    },
    {
      name: 'custom data as a JSON string, typed digits',
      body: {
        METHOD: 'IVR_LAYER_INPUT',
        DATA: { ...layerInput.DATA, PREVIOUS_LAYER_ID: text, CUSTOM_DATA: JSON.stringify({ CRM_ID: text }) },
      },
    },
    {
      name: 'form-encoded',
      body: new URLSearchParams({ ...layerInput.DATA, LAYER_ID: '1', CALLER_ID: text, METHOD: 'IVR_LAYER_INPUT' }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    },
  ],
  isValidAnswer: isVoicenterAnswer,
  isProviderDefault: (body) => (body as { STATUS?: number }).STATUS === 1,
}
