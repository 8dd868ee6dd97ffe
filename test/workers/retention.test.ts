import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config.ts'
import worker, { type WorkerEnv, workerRetention } from '../../src/runtime/worker.ts'

const DAY = 86_400_000

const insertDecisions = async (callId: string, at: Date, n: number) => {
  const insert = env.DB.prepare(`INSERT INTO decisions (at, provider, call_id) VALUES (?, 'voicenter', ?)`)
  await env.DB.batch(Array.from({ length: n }, () => insert.bind(at.toISOString(), callId)))
}
const decisionsOf = async (callId: string) =>
  ((await env.DB.prepare('SELECT count(*) AS n FROM decisions WHERE call_id = ?').bind(callId).first()) as { n: number }).n

describe('retention over D1', () => {
  beforeEach(async () => {
    await env.DB.exec('DELETE FROM decisions; DELETE FROM call_state; DELETE FROM outbox')
  })

  it('the cron deletes expired decisions, call state and delivered call logs, and keeps the rest', async () => {
    await insertDecisions('old', new Date(Date.now() - 31 * DAY), 3)
    await insertDecisions('recent', new Date(Date.now() - DAY), 2)
    await env.DB.prepare(
      `INSERT INTO call_state (provider, call_id, data, updated_at) VALUES ('voicenter', 'stale', '{}', ?), ('voicenter', 'live', '{}', ?)`,
    )
      .bind(Date.now() - 25 * 3_600_000, Date.now())
      .run()
    await env.DB.prepare(
      `INSERT INTO outbox (plugin, kind, provider, call_id, payload, attempts, next_attempt_at, created_at, delivered_at)
       VALUES ('hubspot', 'log_call', 'voicenter', 'delivered-old', '{}', 1, 0, '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:01.000Z'),
              ('hubspot', 'log_call', 'voicenter', 'pending', '{}', 2, ?, '2020-01-01T00:00:00.000Z', NULL)`,
    )
      .bind(Date.now() + 60_000)
      .run()

    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), env as unknown as WorkerEnv, ctx)
    await waitOnExecutionContext(ctx)

    expect(await decisionsOf('old')).toBe(0)
    expect(await decisionsOf('recent')).toBe(2)
    expect((await env.DB.prepare('SELECT call_id FROM call_state').all()).results).toEqual([{ call_id: 'live' }])
    expect((await env.DB.prepare('SELECT call_id FROM outbox').all()).results).toEqual([{ call_id: 'pending' }])
  })

  it('takes a few small batches per run and leaves the rest for the next minute', async () => {
    await insertDecisions('old', new Date(Date.now() - 40 * DAY), 50)
    await insertDecisions('recent', new Date(Date.now() - DAY), 1)
    const retention = workerRetention(env as unknown as WorkerEnv, parseConfig({ RETENTION_BATCH_SIZE: '10' }))

    expect(await retention.run()).toMatchObject({ decisions: 40, more: true })
    expect(await decisionsOf('old')).toBe(10)
    expect(await retention.run()).toMatchObject({ decisions: 10, more: false })
    expect(await decisionsOf('old')).toBe(0)
    expect(await decisionsOf('recent')).toBe(1)
  })
})
