import { inject } from 'vitest'
import { testVoipNowFlows } from '../providers/voipnow-flows.ts'
import { startWorkerHarness } from './worker-harness.ts'

testVoipNowFlows(startWorkerHarness, () => ({
  env: { HUBSPOT_ACCESS_TOKEN: inject('hubspotToken'), HUBSPOT_BASE_URL: inject('hubspotUrl') },
  // The fake HubSpot runs in Node: its calls are read through HubSpot's own list endpoint, page by page.
  loggedCalls: async () => {
    const calls: Record<string, string | null>[] = []
    let after: string | undefined
    do {
      const url = `${inject('hubspotUrl')}/crm/v3/objects/calls?limit=100&properties=hs_call_status,hs_call_duration,hs_call_body${after ? `&after=${after}` : ''}`
      const response = await fetch(url, { headers: { authorization: `Bearer ${inject('hubspotToken')}` } })
      const page = (await response.json()) as {
        results: { properties: Record<string, string | null> }[]
        paging?: { next?: { after: string } }
      }
      calls.push(...page.results.map((call) => call.properties))
      after = page.paging?.next?.after
    } while (after)
    return calls
  },
}))
