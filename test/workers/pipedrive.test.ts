import { env } from 'cloudflare:test'
import { drizzle } from 'drizzle-orm/d1'
import { describe, expect, inject, it } from 'vitest'
import { pipedrive } from '../../plugins/pipedrive.ts'
import type { CrmClient } from '../../src/crm/plugin.ts'
import { createPluginChain } from '../../src/crm/plugin-chain.ts'
import type { Database } from '../../src/db/database.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import * as schema from '../../src/db/schema.ts'
import { createLogger } from '../../src/lib/logger.ts'
import company from '../fixtures/pipedrive/company.json' with { type: 'json' }
import { testCrmPluginContract } from '../plugins/plugin-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

const PIN_FIELD = company.personFields.find((field) => field.name === 'Account number')?.key as string

const PIPEDRIVE = () => ({
  CRM_PLUGINS: 'pipedrive',
  PIPEDRIVE_API_TOKEN: inject('pipedrive').apiToken,
  PIPEDRIVE_BASE_URL: inject('pipedrive').url,
  PIPEDRIVE_PIN_FIELD: PIN_FIELD,
})

/** The fake Pipedrive's switches, over HTTP: it runs in Node (test/workers/global-setup.ts). */
const control = (url: string) => {
  const next = async (kind: string, count: number, value = 0) => {
    await fetch(`${url}/__fake/next`, { method: 'POST', body: JSON.stringify({ kind, count, value }) })
  }
  return {
    rateLimitNext: (count: number, retryAfterSeconds: number) => next('rateLimit', count, retryAfterSeconds),
    failNext: (count: number, status: number) => next('fail', count, status),
    dropNext: (count: number) => next('drop', count),
    delayNext: (count: number, ms: number) => next('delay', count, ms),
    requestCount: async () => ((await (await fetch(`${url}/__fake/request-count`)).json()) as { count: number }).count,
  }
}

/** The call logs the fake Pipedrive holds, read through Pipedrive's own list endpoint. */
const pipedriveCallLogs = async () => {
  const { url, apiToken } = inject('pipedrive')
  const page = (await (await fetch(`${url}/api/v1/callLogs?limit=50`, { headers: { 'x-api-token': apiToken } })).json()) as {
    data: Record<string, unknown>[]
  }
  return page.data
}

const openClient = async (): Promise<CrmClient> => {
  const db = drizzle(env.DB, { schema }) as unknown as Database
  await seedDemoData(db)
  const [entry] = await createPluginChain({
    available: [pipedrive()],
    enabled: ['pipedrive'],
    env: PIPEDRIVE(),
    db,
    revisions: createRevisionReader(db, 0),
    log: createLogger('warn'),
  })
  return entry?.client as CrmClient
}

/** The Pipedrive plugin inside workerd (fetch, btoa and AbortSignal only), against the fake Pipedrive on 127.0.0.1. */
describe('Pipedrive in the Worker', () => {
  testCrmPluginContract({
    pluginId: 'pipedrive',
    setup: async () => ({ client: await openClient(), close: async () => {} }),
    known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
    unknown: { phone: '+972539999999', pin: '999' },
    fake: control(inject('pipedrive').url),
  })

  it("finds the caller in Pipedrive, routes to the owner's extension, and logs the call there", async () => {
    const harness = await startWorkerHarness({ ...PIPEDRIVE(), CALL_LOG_DELAY_SECONDS: '0' })
    const callId = `worker-pd-${Math.random().toString(36).slice(2)}`
    const answer = await (
      await harness.post('/webhooks/voicenter', {
        METHOD: 'IVR_LAYER_INPUT',
        DATA: { DID: '0722776772', CALLER_ID: '0501234567', IVR_UNIQUE_ID: callId, DTMF: '0', LAYER_ID: '1' },
      })
    ).json()
    expect(answer).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Dana Levi',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { CRM_SOURCE: 'pipedrive', CRM_ID: '101' },
    })
    await harness.settle()
    const before = (await pipedriveCallLogs()).length
    expect((await harness.deliverCallLogs()).failed).toBe(0)
    const logs = await pipedriveCallLogs()
    expect(logs.length).toBeGreaterThan(before)
    expect(logs.at(-1)).toMatchObject({ person_id: 101, user_id: 1042, outcome: 'connected', from_phone_number: '+972501234567' })
    await harness.close()
  })
})
