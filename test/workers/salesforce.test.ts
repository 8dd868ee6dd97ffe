import { env } from 'cloudflare:test'
import { drizzle } from 'drizzle-orm/d1'
import { describe, expect, inject, it } from 'vitest'
import { salesforce } from '../../plugins/salesforce.ts'
import type { CrmClient } from '../../src/crm/plugin.ts'
import { createPluginChain } from '../../src/crm/plugin-chain.ts'
import type { Database } from '../../src/db/database.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import * as schema from '../../src/db/schema.ts'
import { createLogger } from '../../src/lib/logger.ts'
import { testCrmPluginContract } from '../plugins/plugin-contract.ts'
import { startWorkerHarness } from './worker-harness.ts'

const DANA = '003Dn00000Dana01AA'

const CLIENT_CREDENTIALS = () => {
  const fake = inject('salesforce')
  return {
    SALESFORCE_LOGIN_URL: fake.url,
    SALESFORCE_CLIENT_ID: fake.clientId,
    SALESFORCE_CLIENT_SECRET: fake.clientSecret,
    SALESFORCE_PIN_FIELD: 'Account_Number__c',
    SALESFORCE_SEGMENT_FIELD: 'Customer_Tier__c',
  }
}

const JWT_BEARER = () => {
  const fake = inject('salesforce')
  return {
    SALESFORCE_LOGIN_URL: fake.url,
    SALESFORCE_CLIENT_ID: fake.clientId,
    SALESFORCE_PRIVATE_KEY: fake.privateKeyPem,
    SALESFORCE_USERNAME: fake.username,
    SALESFORCE_AUDIENCE: fake.audience,
    SALESFORCE_SEGMENT_FIELD: 'Customer_Tier__c',
  }
}

/** The fake Salesforce's switches, over HTTP: it runs in Node (test/workers/global-setup.ts). */
const control = (url: string) => {
  const next = async (kind: string, count: number, value = 0) => {
    await fetch(`${url}/__fake/next`, { method: 'POST', body: JSON.stringify({ kind, count, value }) })
  }
  return {
    rateLimitNext: (count: number) => next('rateLimit', count),
    failNext: (count: number, status: number) => next('fail', count, status),
    dropNext: (count: number) => next('drop', count),
    delayNext: (count: number, ms: number) => next('delay', count, ms),
    requestCount: async () => ((await (await fetch(`${url}/__fake/request-count`)).json()) as { count: number }).count,
    loggedCalls: async () => (await (await fetch(`${url}/__fake/tasks`)).json()) as { id: string; fields: Record<string, unknown> }[],
    grants: async () => (await (await fetch(`${url}/__fake/grants`)).json()) as string[],
    revokeTokens: async () => {
      await fetch(`${url}/__fake/revoke`, { method: 'POST' })
    },
  }
}

const openClient = async (vars: Record<string, string>): Promise<CrmClient> => {
  const db = drizzle(env.DB, { schema }) as unknown as Database
  await seedDemoData(db)
  const [entry] = await createPluginChain({
    available: [salesforce()],
    enabled: ['salesforce'],
    env: vars,
    db,
    revisions: createRevisionReader(db, 0),
    log: createLogger('warn'),
  })
  return entry?.client as CrmClient
}

const options = () => ({ signal: new AbortController().signal })

/** The Salesforce plugin inside workerd (fetch and crypto.subtle only), against the fake Salesforce on 127.0.0.1. */
describe('Salesforce in the Worker', () => {
  const fake = control(inject('salesforce').url)

  testCrmPluginContract({
    pluginId: 'salesforce',
    setup: async () => ({ client: await openClient(CLIENT_CREDENTIALS()), close: async () => {} }),
    known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
    unknown: { phone: '+972539999999', pin: '999' },
    fake,
  })

  it('logs in with a JWT signed by crypto.subtle in workerd, and again after the session is revoked', async () => {
    const client = await openClient(JWT_BEARER())
    const before = (await fake.grants()).length
    expect(await client.findByPhone?.('+972501234567', options())).toMatchObject({ id: DANA, segment: 'VIP' })
    await fake.revokeTokens()
    expect(await client.findByPhone?.('+972541112233', options())).toMatchObject({
      name: 'Moshe Cohen',
      owner: { name: 'Rachel Green', extension: '205' },
    })
    expect((await fake.grants()).slice(before)).toEqual([
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ])
  })

  it("finds the caller in Salesforce, routes to the owner's extension, and logs the call there as a Task", async () => {
    const harness = await startWorkerHarness({ CRM_PLUGINS: 'salesforce', CALL_LOG_DELAY_SECONDS: '0', ...CLIENT_CREDENTIALS() })
    const callId = `worker-sf-${Math.random().toString(36).slice(2)}`
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
      CUSTOM_DATA: { CRM_SOURCE: 'salesforce', CRM_ID: DANA },
    })
    await harness.settle()
    expect((await harness.deliverCallLogs()).failed).toBe(0)
    const task = (await fake.loggedCalls()).find((logged) => logged.fields.CallObject === `voicenter:${callId}`)
    expect(task?.fields).toMatchObject({
      Status: 'Completed',
      TaskSubtype: 'Call',
      CallType: 'Inbound',
      WhoId: DANA,
      OwnerId: '005Dn00000JDoe01AA',
    })
    await harness.close()
  })
})
