import { afterAll, beforeAll } from 'vitest'
import { HUBSPOT_CONTACTS, HUBSPOT_OWNERS } from '../fixtures/hubspot/portal.ts'
import { type FakeHubSpot, startFakeHubSpot } from '../helpers/fake-hubspot.ts'
import { startNodeHarness } from '../helpers/node-harness.ts'
import { testVoipNowFlows } from './voipnow-flows.ts'

let hubspot: FakeHubSpot
beforeAll(async () => {
  hubspot = await startFakeHubSpot({ contacts: HUBSPOT_CONTACTS, owners: HUBSPOT_OWNERS })
})
afterAll(() => hubspot.close())

testVoipNowFlows(startNodeHarness, () => ({
  env: { HUBSPOT_ACCESS_TOKEN: hubspot.token, HUBSPOT_BASE_URL: hubspot.url },
  loggedCalls: async () => hubspot.calls.map((call) => call.properties),
}))
