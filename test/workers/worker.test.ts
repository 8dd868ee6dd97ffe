import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker, { type WorkerEnv } from '../../src/runtime/worker.ts'
import layerInput from '../fixtures/voicenter/layer-input.json' with { type: 'json' }

describe('the Worker over D1', () => {
  it('serves health and answers Voicenter from rules in D1', async () => {
    expect(await (await SELF.fetch('http://worker/healthz')).text()).toBe('ok')
    await env.DB.prepare(
      `INSERT INTO rules (name, from_layer, identify_by, action, to_layer) VALUES ('all', '5', 'none', 'go_to_layer', '12')`,
    ).run()
    const ctx = createExecutionContext()
    const response = await worker.fetch(
      new Request('http://worker/webhooks/voicenter', {
        method: 'POST',
        body: JSON.stringify(layerInput),
        headers: { 'content-type': 'application/json' },
      }),
      env as unknown as WorkerEnv,
      ctx,
    )
    expect(await response.json()).toEqual({ STATUS: 0, ACTION: 'GO_TO_LAYER', LAYER: 12, CUSTOM_DATA: {} })
    await waitOnExecutionContext(ctx)
    const row = await env.DB.prepare('SELECT rule_name, action FROM decisions').first()
    expect(row).toEqual({ rule_name: 'all', action: 'go_to_layer' })
  })
})
