import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { localDirectory } from '../../plugins/local-directory.ts'
import { hangingCrm, throwingCrm } from '../helpers/fake-crm.ts'
import { CALL_DECISIONS_SQL, callDecisionsParams, type DecisionRecord } from '../helpers/harness.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { isVoicenterAnswer } from '../providers/voicenter-answer.ts'

const answerOf = async (server: TestServer, body: unknown) => {
  const response = await server.post('/webhooks/voicenter', body)
  const json = await response.json()
  expect(isVoicenterAnswer(json), JSON.stringify(json)).toBe(true)
  return json
}

const decisionsOf = async (server: TestServer, callId: string) => {
  await server.settle()
  return server
    .openSideConnection()
    .prepare(CALL_DECISIONS_SQL)
    .all(...callDecisionsParams(callId)) as DecisionRecord[]
}

describe('PIN retry loop keyed by IVR_UNIQUE_ID', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it('loops back to the entry layer twice, then a person takes the call', async () => {
    const call = { IVR_UNIQUE_ID: 'pin-loop-1', LAYER_ID: '5' }
    expect(await answerOf(server, voicenterRequest({ ...call, DTMF: '999' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 5 })
    expect(await answerOf(server, voicenterRequest({ ...call, DTMF: '0' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 5 })
    expect(await answerOf(server, voicenterRequest({ ...call, DTMF: '888' }))).toMatchObject({
      ACTION: 'DIAL',
      CALLER_NAME: 'Unidentified caller',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '100' }],
    })
    const rows = await decisionsOf(server, 'pin-loop-1')
    expect(rows.map((row) => [row.attempt, row.lookup_outcome, row.rule_id])).toEqual([
      [1, 'not_found', 7],
      [2, 'not_found', 7],
      [3, 'not_found', 8],
    ])
  })

  it('a correct PIN on the second try is accepted, and other calls keep their own count', async () => {
    const call = { IVR_UNIQUE_ID: 'pin-loop-2', LAYER_ID: '5' }
    expect(await answerOf(server, voicenterRequest({ ...call, DTMF: '111' }))).toMatchObject({ LAYER: 5 })
    expect(await answerOf(server, voicenterRequest({ IVR_UNIQUE_ID: 'pin-loop-3', LAYER_ID: '5', DTMF: '111' }))).toMatchObject({
      LAYER: 5,
    })
    expect(await answerOf(server, voicenterRequest({ ...call, DTMF: '4321' }))).toMatchObject({
      ACTION: 'GO_TO_LAYER',
      LAYER: 12,
      CALLER_NAME: 'Avi Mizrahi',
    })
  })
})

describe('every call gets an answer', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it('malformed JSON → the global fallback, reason logged', async () => {
    expect(await answerOf(server, '{"METHOD":')).toEqual({ STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 20, CUSTOM_DATA: {} })
    const warning = server.logs.find((entry) => entry.message === 'call answered with a fallback')
    expect(String(warning?.fields?.reason)).toContain('invalid Voicenter request')
    // Said once: the fallback names the problem, and the problem list does not repeat it.
    expect(String(warning?.fields?.reason).split('invalid Voicenter request')).toHaveLength(2)
  })

  it('missing IVR_UNIQUE_ID on layer 5 → the layer 5 fallback', async () => {
    const body = { METHOD: 'IVR_LAYER_INPUT', DATA: { DID: '0722776772', CALLER_ID: '0501234567', LAYER_ID: '5', DTMF: '1' } }
    expect(await answerOf(server, body)).toMatchObject({ ACTION: 'DIAL', TARGETS: [{ TYPE: 'EXTENSION', TARGET: '100' }], NEXT_VO_ID: 20 })
  })

  it('a layer no rule knows → the global fallback', async () => {
    expect(await answerOf(server, voicenterRequest({ LAYER_ID: '77' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })
  })

  it('a body over 64 KiB → 413 with the Voicenter failover answer', async () => {
    const response = await server.post('/webhooks/voicenter', voicenterRequest({ CUSTOM_DATA: { big: 'x'.repeat(70_000) } }))
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
  })

  it('GET with the fields in the query is answered like POST', async () => {
    const query = new URLSearchParams({
      METHOD: 'IVR_LAYER_INPUT',
      DID: '0722776772',
      CALLER_ID: '0501234567',
      IVR_UNIQUE_ID: 'get-1',
      DTMF: '12345678',
      LAYER_ID: '5',
    })
    const response = await fetch(`${server.url}/webhooks/voicenter?${query}`)
    expect(await response.json()).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 12, CALLER_NAME: 'Dana Levi' })
  })

  it('an unknown provider is a 404, not a crash', async () => {
    const response = await server.post('/webhooks/nope', {})
    expect(response.status).toBe(404)
  })
})

describe('a broken rule row never stops routing', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it('skips the invalid row, logs why, and the next rule answers', async () => {
    server
      .openSideConnection()
      .prepare(
        `INSERT INTO rules (name, priority, from_layer, action, to_layer, identify_by) VALUES ('typo', 1, '1', 'go_to_lair', '9', 'none')`,
      )
      .run()
    expect(await answerOf(server, voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0539999999' }))).toMatchObject({ LAYER: 5 })
    const skipped = server.logs.find((entry) => entry.message === 'routing row skipped')
    expect(skipped?.fields).toMatchObject({ table: 'rules', name: 'typo' })
    expect(String(skipped?.fields?.reason)).toContain('action: must be one of')
  })

  it('a rule whose template has no value for this contact is passed over', async () => {
    server
      .openSideConnection()
      .prepare(
        `INSERT INTO rules (name, priority, from_layer, lookup, action, dial, options) VALUES ('mobile', 2, '1', 'found', 'dial', 'phone:{{fields.mobile_phone}}', '{"failed_layer": 20}')`,
      )
      .run()
    expect(await answerOf(server, voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0501234567', IVR_UNIQUE_ID: 'tpl-1' }))).toMatchObject({
      ACTION: 'DIAL',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
    })
  })
})

describe('rules edited in the database take effect without a restart', () => {
  let server: TestServer
  afterEach(() => server.close())

  it('sees an UPDATE made through another connection', async () => {
    server = await startTestServer()
    const body = () => voicenterRequest({ LAYER_ID: '5', DTMF: '12345678' })
    expect(await answerOf(server, body())).toMatchObject({ LAYER: 12 })
    server.openSideConnection().prepare(`UPDATE rules SET to_layer = '14' WHERE id = 6`).run()
    expect(await answerOf(server, body())).toMatchObject({ LAYER: 14 })
    server.openSideConnection().prepare(`UPDATE rules SET enabled = 0 WHERE id = 6`).run()
    expect(await answerOf(server, body())).toMatchObject({ ACTION: 'DIAL', TARGETS: [{ TYPE: 'EXTENSION', TARGET: '100' }] })
  })

  it('reads rules from memory between checks', async () => {
    server = await startTestServer({ env: { RULES_REFRESH_MS: '60000' } })
    const body = () => voicenterRequest({ LAYER_ID: '5', DTMF: '12345678' })
    expect(await answerOf(server, body())).toMatchObject({ LAYER: 12 })
    server.openSideConnection().prepare(`UPDATE rules SET to_layer = '14' WHERE id = 6`).run()
    expect(await answerOf(server, body())).toMatchObject({ LAYER: 12 })
  })
})

describe('a slow or failing CRM', () => {
  let server: TestServer
  afterEach(() => server.close())

  const hanging = hangingCrm()
  const throwing = throwingCrm()

  it('a hung CRM: the deadline holds and the rules see an error', async () => {
    server = await startTestServer({
      plugins: [hanging, localDirectory()],
      env: { CRM_PLUGINS: 'hanging-crm,local-directory', VOICENTER_LOOKUP_DEADLINE_MS: '200' },
    })
    const started = performance.now()
    const answer = await answerOf(server, voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'hang-1' }))
    expect(performance.now() - started).toBeLessThan(2000)
    const [row] = await decisionsOf(server, 'hang-1')
    expect(answer, JSON.stringify(row)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })
    expect(row?.lookup_outcome).toBe('error')
    const plugins = JSON.parse(row?.lookups ?? '[]')[0].plugins
    expect(plugins).toMatchObject([
      { plugin: 'hanging-crm', outcome: 'error', reason: 'no answer within 200 ms' },
      { plugin: 'local-directory', outcome: 'skipped', reason: 'deadline reached' },
    ])
  })

  it('a CRM with its own timeout leaves the rest of the deadline to the next plugin', async () => {
    const slowButBounded = hangingCrm('bounded-crm', 100)
    server = await startTestServer({
      plugins: [slowButBounded, localDirectory()],
      env: { CRM_PLUGINS: 'bounded-crm,local-directory', VOICENTER_LOOKUP_DEADLINE_MS: '400' },
    })
    expect(await answerOf(server, voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'bounded-1' }))).toMatchObject({ ACTION: 'DIAL' })
    const [row] = await decisionsOf(server, 'bounded-1')
    expect(JSON.parse(row?.lookups ?? '[]')[0].plugins).toMatchObject([
      { plugin: 'bounded-crm', outcome: 'error', reason: 'no answer within 100 ms' },
      { plugin: 'local-directory', outcome: 'found' },
    ])
  })

  it('a throwing CRM: the next plugin in the chain still finds the caller, the error is recorded', async () => {
    server = await startTestServer({
      plugins: [throwing, localDirectory()],
      env: { CRM_PLUGINS: 'throwing-crm,local-directory' },
    })
    const answer = await answerOf(server, voicenterRequest({ LAYER_ID: '1', IVR_UNIQUE_ID: 'throw-1' }))
    expect(answer).toMatchObject({ ACTION: 'DIAL', CALLER_NAME: 'Dana Levi' })
    const [row] = await decisionsOf(server, 'throw-1')
    expect(row?.lookup_outcome).toBe('found')
    expect(JSON.parse(row?.lookups ?? '[]')[0].plugins).toMatchObject([
      { plugin: 'throwing-crm', outcome: 'error', reason: 'CRM is down' },
      { plugin: 'local-directory', outcome: 'found' },
    ])
  })

  it('a throwing CRM alone: the rules route on "error"', async () => {
    server = await startTestServer({ plugins: [throwing], env: { CRM_PLUGINS: 'throwing-crm' } })
    server
      .openSideConnection()
      .prepare(
        `INSERT INTO rules (name, priority, from_layer, lookup, action, to_layer) VALUES ('crm down', 1, '1', 'error', 'go_to_layer', '40')`,
      )
      .run()
    expect(await answerOf(server, voicenterRequest({ LAYER_ID: '1' }))).toMatchObject({ LAYER: 40 })
  })
})

describe('no fallback configured', () => {
  it('answers STATUS 1 so Voicenter uses the layer failover', async () => {
    const server = await startTestServer({ seed: false })
    try {
      expect(await answerOf(server, voicenterRequest({ LAYER_ID: '1' }))).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
      expect(server.logs.some((entry) => String(entry.fields?.reason).includes('no fallback row'))).toBe(true)
    } finally {
      await server.close()
    }
  })
})

describe('decision log', () => {
  it('stores the request, the lookup, the rule, the exact answer and the time taken', async () => {
    const server = await startTestServer()
    try {
      const response = await server.post(
        '/webhooks/voicenter',
        voicenterRequest({ LAYER_ID: '5', DTMF: '12345678', IVR_UNIQUE_ID: 'log-1' }),
      )
      const sent = await response.text()
      const [row] = await decisionsOf(server, 'log-1')
      expect(row).toMatchObject({
        call_id: 'log-1',
        caller: '+972501234567',
        dtmf: '12345678',
        layer: '5',
        attempt: 1,
        lookup_key: 'pin',
        lookup_outcome: 'found',
        contact_id: 'local-directory:1',
        rule_id: 6,
        rule_name: 'Account number found: to the representatives',
        action: 'go_to_layer',
        answer: sent,
        reason: null,
      })
      expect(row?.duration_ms).toBeGreaterThan(0)
      expect(JSON.parse(row?.request ?? '{}')).toMatchObject({ DATA: { IVR_UNIQUE_ID: 'log-1' } })
    } finally {
      await server.close()
    }
  })
})
