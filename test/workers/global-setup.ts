import type { TestProject } from 'vitest/node'
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import { startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import { startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { startFakeStringee } from '../helpers/fake-stringee.ts'

/**
 * Runs in Node: the outside world (a fake HubSpot, RingCentral and Stringee SMS API on 127.0.0.1) for the Worker under
 * test to call. Anything else it tries to reach is refused (test/setup/workers-outbound.ts).
 */
export default async function setup(project: TestProject) {
  const hubspot = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
  const ringcentral = await startFakeRingCentral()
  project.provide('hubspotUrl', hubspot.url)
  project.provide('hubspotToken', hubspot.token)
  project.provide('ringcentralUrl', ringcentral.url)
  project.provide('ringcentralToken', ringcentral.token)
  const stringee = await startFakeStringee()
  project.provide('stringeeSms', {
    url: stringee.url,
    keySid: stringee.keySid,
    keySecret: stringee.keySecret,
    brandname: stringee.brandname,
  })
  const pipedrive = await (await import('../helpers/fake-pipedrive.ts')).startFakePipedriveCompany()
  project.provide('pipedrive', { url: pipedrive.url, apiToken: pipedrive.apiToken })
  const httpCrm = await (await import('../helpers/fake-http-crm.ts')).startFakeHttpCrm()
  project.provide('httpCrmUrl', httpCrm.url)
  const salesforce = await (await import('../helpers/fake-salesforce.ts')).startFakeSalesforce()
  project.provide('salesforce', {
    url: salesforce.url,
    clientId: salesforce.clientId,
    clientSecret: salesforce.clientSecret,
    username: salesforce.username,
    audience: salesforce.audience,
    privateKeyPem: salesforce.privateKeyPem,
  })
  return async () => {
    await salesforce.close()
    await httpCrm.close()
    await pipedrive.close()
    await hubspot.close()
    await ringcentral.close()
    await stringee.close()
  }
}
