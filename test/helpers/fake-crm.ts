import * as v from 'valibot'
import { type CrmClient, definePlugin } from '../../src/crm/plugin.ts'

/** A CRM plugin whose client the test writes: the outside world, failing the way a test needs. */
export const fakeCrm = (id: string, client: CrmClient) =>
  definePlugin({ id, version: '1.0.0', envPrefix: `${id.toUpperCase().replace(/-/g, '_')}_`, config: v.object({}), setup: () => client })

export const hangingCrm = (id = 'hanging-crm', timeoutMs?: number) => fakeCrm(id, { timeoutMs, findByPhone: () => new Promise(() => {}) })

export const throwingCrm = (id = 'throwing-crm', message = 'CRM is down') =>
  fakeCrm(id, {
    findByPhone: async () => {
      throw new Error(message)
    },
  })
