import { describe, expect, inject, it } from 'vitest'
import { startWorkerHarness } from './worker-harness.ts'

/** The real @hubspot/api-client inside workerd (nodejs_compat), against the fake HubSpot on 127.0.0.1. */
describe('HubSpot in the Worker', () => {
  it('finds the caller in HubSpot and routes to the owner', async () => {
    const harness = await startWorkerHarness({
      CRM_PLUGINS: 'hubspot,local-directory',
      HUBSPOT_ACCESS_TOKEN: inject('hubspotToken'),
      HUBSPOT_BASE_URL: inject('hubspotUrl'),
      HUBSPOT_SEGMENT_PROPERTY: 'segment',
    })
    const body = {
      METHOD: 'IVR_LAYER_INPUT',
      DATA: { DID: '0722776772', CALLER_ID: '0501234567', IVR_UNIQUE_ID: 'worker-hs-1', DTMF: '0', LAYER_ID: '1' },
    }
    const answer = await (await harness.post('/webhooks/voicenter', body)).json()
    expect(answer).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Dana Levi',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { CRM_SOURCE: 'hubspot', CRM_ID: '101' },
    })
    await harness.close()
  })
})
