import type { TestProject } from 'vitest/node'
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import { startFakeHubSpot } from '../helpers/fake-hubspot.ts'

/** Runs in Node: the outside world (a fake HubSpot on 127.0.0.1) for the Worker under test to call. */
export default async function setup(project: TestProject) {
  const fake = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
  project.provide('hubspotUrl', fake.url)
  project.provide('hubspotToken', fake.token)
  return () => fake.close()
}
