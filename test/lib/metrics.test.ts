import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localDirectory } from '../../plugins/local-directory.ts'
import { createMetrics } from '../../src/lib/metrics.ts'
import { throwingCrm } from '../helpers/fake-crm.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'

const TOKEN = 'metrics-token-0123456789'

describe('GET /metrics', () => {
  let server: TestServer
  const throwing = throwingCrm('throwing-crm', 'down')
  beforeAll(async () => {
    server = await startTestServer({
      env: { ADMIN_TOKEN: TOKEN, CRM_PLUGINS: 'throwing-crm,local-directory' },
      plugins: [throwing, localDirectory()],
    })
  })
  afterAll(() => server.close())

  it('counts requests, decisions per rule, fallbacks, lookups, CRM errors and latencies in Prometheus format', async () => {
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '1' }))
    await server.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '77' }))
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    const text = await response.text()
    expect(text).toContain('ivr_requests_total{provider="voicenter"} 2')
    expect(text).toContain('ivr_decisions_total{action="dial",provider="voicenter",rule="VIP callers ring their account manager"} 1')
    expect(text).toContain('ivr_decisions_total{action="go_to_layer",provider="voicenter",rule="fallback: Everything else: operators"} 1')
    expect(text).toContain('ivr_fallbacks_total{provider="voicenter"} 1')
    expect(text).toContain('ivr_lookups_total{cache="none",key="caller",outcome="found"} 1')
    expect(text).toContain('ivr_crm_errors_total{kind="error",plugin="throwing-crm"} 1')
    expect(text).toMatch(/ivr_request_duration_seconds_count\{provider="voicenter"\} 2/)
    expect(text).toMatch(/ivr_lookup_duration_seconds_bucket\{key="caller",le="\+Inf"\} 1/)
  })
})

describe('metrics registry', () => {
  it('renders counters with escaped labels and cumulative histogram buckets', () => {
    const metrics = createMetrics()
    metrics.decisions({ rule: 'say "hi"\\now', action: 'say', provider: 'x' })
    metrics.requestSeconds({ provider: 'x' }, 0.02)
    metrics.requestSeconds({ provider: 'x' }, 3)
    const text = metrics.render()
    expect(text).toContain('ivr_decisions_total{action="say",provider="x",rule="say \\"hi\\"\\\\now"} 1')
    expect(text).toContain('ivr_request_duration_seconds_bucket{provider="x",le="0.025"} 1')
    expect(text).toContain('ivr_request_duration_seconds_bucket{provider="x",le="5"} 2')
    expect(text).toContain('ivr_request_duration_seconds_sum{provider="x"} 3.02')
  })

  it('counts the same labels given in any order into one series, and labels that only look alike into two', () => {
    const metrics = createMetrics()
    metrics.decisions({ provider: 'x', rule: 'a', action: 'say' })
    metrics.decisions({ action: 'say', rule: 'a', provider: 'x' })
    // Free text (a rule's name) holding what a naive join would use as separators.
    metrics.decisions({ provider: 'x', rule: 'a:1', action: 'say' })
    metrics.decisions({ provider: 'x', rule: 'a', action: ':1say' })
    const lines = metrics
      .render()
      .split('\n')
      .filter((line) => line.startsWith('ivr_decisions_total{'))
    expect(lines.sort()).toEqual([
      'ivr_decisions_total{action=":1say",provider="x",rule="a"} 1',
      'ivr_decisions_total{action="say",provider="x",rule="a"} 2',
      'ivr_decisions_total{action="say",provider="x",rule="a:1"} 1',
    ])
  })
})
