import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { startWorkerHarness } from './worker-harness.ts'

const HUBSPOT = () => ({
  CRM_PLUGINS: 'hubspot,local-directory',
  HUBSPOT_ACCESS_TOKEN: inject('hubspotToken'),
  HUBSPOT_BASE_URL: inject('hubspotUrl'),
  HUBSPOT_SEGMENT_PROPERTY: 'segment',
})

const voicenterCall = (callId: string, callerId: string) => ({
  METHOD: 'IVR_LAYER_INPUT',
  DATA: { DID: '0722776772', CALLER_ID: callerId, IVR_UNIQUE_ID: callId, DTMF: '0', LAYER_ID: '1' },
})

const contactOf = async (callId: string) =>
  (
    (await env.DB.prepare('SELECT contact_id FROM decisions WHERE call_id = ?').bind(callId).first()) as {
      contact_id: string | null
    } | null
  )?.contact_id

/** The calls the fake HubSpot holds, read through HubSpot's own list endpoint (the fake runs in Node). */
const hubspotCalls = async () => {
  const url = `${inject('hubspotUrl')}/crm/v3/objects/calls?limit=100&properties=hs_call_status,hs_call_duration,hs_call_body`
  const response = await fetch(url, { headers: { authorization: `Bearer ${inject('hubspotToken')}` } })
  const page = (await response.json()) as { results: { properties: Record<string, string | null> }[] }
  return page.results.map((call) => call.properties)
}

/** The real @hubspot/api-client inside workerd (nodejs_compat), against the fake HubSpot on 127.0.0.1. */
describe('HubSpot in the Worker', () => {
  it('finds the caller in HubSpot and routes to the owner', async () => {
    const harness = await startWorkerHarness(HUBSPOT())
    const answer = await (await harness.post('/webhooks/voicenter', voicenterCall('worker-hs-1', '0501234567'))).json()
    expect(answer).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Dana Levi',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { CRM_SOURCE: 'hubspot', CRM_ID: '101' },
    })
    await harness.close()
  })

  it('finds the real French and US contacts (test/fixtures/hubspot) from E.164 callers', async () => {
    const harness = await startWorkerHarness(HUBSPOT())
    for (const [callId, caller, contact] of [
      ['worker-hs-fr-phone', '+33655555555', 'hubspot:5751'],
      ['worker-hs-fr-mobile', '+33644444444', 'hubspot:5751'],
      ['worker-hs-us', '+15132271572', 'hubspot:10301'],
    ]) {
      expect((await harness.post('/webhooks/voicenter', voicenterCall(callId as string, caller as string))).status).toBe(200)
      await harness.settle()
      expect(await contactOf(callId as string)).toBe(contact)
    }
    await harness.close()
  })

  it("a Routee call that ends NoAnswer is logged in HubSpot as NO_ANSWER by the Worker's outbox", async () => {
    const secret = 'routee-webhook-secret-0123456789'
    const bindings = {
      ...(env as unknown as WorkerEnv),
      SEED_DEMO: 'true',
      ...HUBSPOT(),
      WEBHOOK_SECRET: secret,
      ROUTEE_CALLER_ID: '+302111234567',
      CALL_LOG_DELAY_SECONDS: '0',
    }
    const service = await createWorkerService(bindings, { clock: () => MONDAY_MORNING })
    const post = async (body: unknown) => {
      const ctx = createExecutionContext()
      const request = new Request(`http://worker.test/webhooks/routee/${secret}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      const response = await service.app.fetch(request, bindings, ctx)
      await waitOnExecutionContext(ctx)
      return response
    }
    const call = { messageId: 'm-worker-rt', conversationTrackingId: 'worker-rt-1', from: '+972501234567', to: '+302111234567' }
    expect(await (await post(call)).json()).toMatchObject({ verbs: expect.arrayContaining([expect.objectContaining({ type: 'DIAL' })]) })
    const notice = await post({
      ...call,
      status: { name: 'NoAnswer', updatedDate: '2026-11-23T08:01:00Z' },
      direction: 'Inbound',
      duration: 77,
    })
    expect(notice.status).toBe(200)
    await service.drain()
    expect((await service.callLogs.deliverDue()).failed).toBe(0)
    expect((await hubspotCalls()).filter((properties) => properties.hs_call_duration === '77000')).toEqual([
      expect.objectContaining({ hs_call_status: 'NO_ANSWER', hs_call_body: expect.stringMatching(/\nCall ended: NoAnswer$/) }),
    ])
  })
})
