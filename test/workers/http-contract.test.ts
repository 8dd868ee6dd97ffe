import { inject } from 'vitest'
import { httpCrm } from '../../plugins/http.ts'
import type { CrmClient } from '../../src/crm/plugin.ts'
import { createPluginChain } from '../../src/crm/plugin-chain.ts'
import { silentLogger } from '../../src/lib/logger.ts'
import { fakeCrmControl } from '../helpers/fake-crm-control.ts'
import { ACME_DESK_API_KEY, acmeDeskEnv, DANA_PHONE, DANA_PIN } from '../helpers/http-crm-fixture.ts'
import { testCrmPluginContract } from '../plugins/plugin-contract.ts'

/**
 * The generic HTTP plugin inside workerd, against the fake in-house CRM that test/workers/global-setup.ts
 * runs in Node; the fake's switches are reached over HTTP.
 */
const url = inject('httpCrmUrl')
const control = fakeCrmControl(url)

testCrmPluginContract({
  pluginId: 'http',
  async setup() {
    const [entry] = await createPluginChain({
      available: [httpCrm()],
      enabled: ['http'],
      env: acmeDeskEnv(url),
      db: undefined as never,
      revisions: undefined as never,
      log: silentLogger,
    })
    return { client: (entry as { client: CrmClient }).client, close: async () => {} }
  },
  known: { phone: DANA_PHONE, pin: DANA_PIN, name: 'Dana Levi' },
  unknown: { phone: '+972539999999', pin: '000000' },
  fake: {
    ...control,
    loggedCalls: async () => {
      const response = await fetch(`${url}/api/v2/calls`, { headers: { 'x-api-key': ACME_DESK_API_KEY } })
      return ((await response.json()) as { data: unknown[] }).data
    },
  },
})
