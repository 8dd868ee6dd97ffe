import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { voicenterBody } from '../bench/voicenter-calls.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'

const TOKEN = 'workers-schedules-token-0123456789'

/** The Worker's service over the test's D1 with the demo data, on a clock the test moves. */
const startWorker = async () => {
  const clock = { now: MONDAY_MORNING }
  const bindings = { ...(env as unknown as WorkerEnv), SEED_DEMO: 'true', RULES_REFRESH_MS: '0', ADMIN_TOKEN: TOKEN }
  const service = await createWorkerService(bindings, { clock: () => clock.now })
  const send = async (path: string, method: string, body: unknown, headers: Record<string, string> = {}) => {
    const ctx = createExecutionContext()
    const answer = await service.app.fetch(
      new Request(`http://worker.test${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
      }),
      bindings,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    return answer
  }
  const admin = async (method: string, path: string, body?: unknown) => {
    const answer = await send(`/admin${path}`, method, body, { authorization: `Bearer ${TOKEN}` })
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> & { id: number } }
  }
  let calls = 0
  /** A Voicenter caller at the greeting (layer 1), as Voicenter sends it; the answer it gets. */
  const callIn = async () => {
    calls += 1
    const body = voicenterBody({ CALLER_ID: '0539999999', LAYER_ID: '1', DTMF: '0', IVR_UNIQUE_ID: `schedule-call-${calls}` })
    return (await (await send('/webhooks/voicenter', 'POST', body)).json()) as Record<string, unknown>
  }
  return { clock, admin, callIn }
}

const TO_VOICEMAIL = { ACTION: 'GO_TO_LAYER', LAYER: 30 }

describe('schedules on the Worker (D1)', () => {
  it('routes a closed:Office hours rule by the hours and holidays kept in D1', async () => {
    const { clock, admin, callIn } = await startWorker()
    const office = (await env.DB.prepare("SELECT id FROM schedules WHERE name = 'Office hours'").first()) as { id: number }
    const rule = await admin('POST', '/rules', {
      name: 'After hours',
      priority: 1,
      from_layer: '1',
      identify_by: 'none',
      schedule: 'closed:Office hours',
      action: 'go_to_layer',
      to_layer: 30,
    })
    expect(rule.status).toBe(201)
    // Monday 10:00 in Israel: open.
    expect(await callIn()).not.toMatchObject(TO_VOICEMAIL)
    // Saturday: closed.
    clock.now = new Date('2026-11-28T08:00:00Z')
    expect(await callIn()).toMatchObject(TO_VOICEMAIL)
    // A holiday on the Monday closes it too.
    clock.now = MONDAY_MORNING
    expect((await admin('POST', '/holidays', { schedule_id: office.id, date: '2026-11-23', name: 'Staff day' })).status).toBe(201)
    expect(await callIn()).toMatchObject(TO_VOICEMAIL)
    const unknown = await admin('POST', '/rules', { name: 'x', schedule: 'open:Nights', action: 'hangup' })
    expect(unknown).toMatchObject({ status: 400, body: { error: { message: 'schedule: no schedule named "Nights"' } } })
  })
})
