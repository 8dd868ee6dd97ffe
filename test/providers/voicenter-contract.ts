import caseExample from '../fixtures/voicenter/case-example.json' with { type: 'json' }
import docsCaseExample from '../fixtures/voicenter/docs-case-example-id-entry.json' with { type: 'json' }
import docsRequest from '../fixtures/voicenter/docs-request-example.json' with { type: 'json' }
import layerInput from '../fixtures/voicenter/layer-input.json' with { type: 'json' }
import sdkValues from '../fixtures/voicenter/sdk-readme-parameter-values.json' with { type: 'json' }
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
    // The shared corpus (test/fixtures/voicenter/docs-*, sdk-*: their source notes say where each is from).
    { name: 'corpus: docs request example', body: docsRequest.body },
    { name: 'corpus: docs case example (ID entry)', body: docsCaseExample.body },
    { name: 'corpus: SDK README parameter values', body: sdkValues.body },
    {
      name: 'a withheld caller and nothing typed, as null; nested CUSTOM_DATA',
      body: {
        METHOD: 'IVR_LAYER_INPUT',
        DATA: { ...layerInput.DATA, CALLER_ID: null, DTMF: null, CUSTOM_DATA: { order: { id: 7, items: ['a'] }, note: null } },
      },
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
