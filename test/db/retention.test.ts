import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCallStateStore } from '../../src/db/call-state-store.ts'
import { createDecisionLog } from '../../src/db/decision-log.ts'
import { createRetention, type RetentionSettings, runRetention } from '../../src/db/retention.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { startRetentionTimer } from '../../src/runtime/retention-timer.ts'
import { recordingLogger, startTestServer } from '../helpers/test-server.ts'

const NOW = Date.parse('2026-11-23T08:00:00.000Z')
const DAY = 86_400_000
const HOUR = 3_600_000
const ago = (ms: number) => new Date(NOW - ms).toISOString()

const SETTINGS: RetentionSettings = {
  decisionsDays: 30,
  callStateHours: 24,
  outboxDeliveredDays: 7,
  outboxGivenUpDays: 30,
  outboxMaxAttempts: 12,
  batchSize: 500,
  maxRowsPerRun: 20_000,
}

describe('retention', () => {
  let directory: string
  let database: NodeDatabase
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'retention-'))
    database = openDatabase(join(directory, 'retention.db'))
  })
  afterEach(() => {
    if (database.sqlite.open) database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const retention = (settings: Partial<RetentionSettings> = {}) =>
    createRetention({ db: database.db, ...SETTINGS, ...settings, now: () => NOW })
  const ids = (table: string, column: string) =>
    (database.sqlite.prepare(`SELECT ${column} AS id FROM ${table} ORDER BY ${column}`).all() as { id: string }[]).map((row) => row.id)
  const count = (table: string) => (database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

  const addDecisions = (callId: string, at: string, n = 1) => {
    const insert = database.sqlite.prepare(`INSERT INTO decisions (at, provider, call_id, request) VALUES (?, 'voicenter', ?, ?)`)
    database.sqlite.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(at, callId, '{"DATA":{"CALLER_ID":"0501234567"}}')
    })()
  }
  const addCallState = (callId: string, updatedAt: number) =>
    database.sqlite
      .prepare(`INSERT INTO call_state (provider, call_id, data, updated_at) VALUES ('voicenter', ?, '{"visits":{}}', ?)`)
      .run(callId, updatedAt)
  const addCallLog = (callId: string, fields: { deliveredAt?: string; attempts?: number; nextAttemptAt: number }) =>
    database.sqlite
      .prepare(
        `INSERT INTO outbox (plugin, kind, provider, call_id, payload, attempts, next_attempt_at, created_at, delivered_at)
         VALUES ('hubspot', 'log_call', 'voicenter', ?, '{}', ?, ?, ?, ?)`,
      )
      .run(callId, fields.attempts ?? 0, fields.nextAttemptAt, ago(60 * DAY), fields.deliveredAt ?? null)

  it('deletes rows older than each setting and keeps newer ones and every log still to be delivered', async () => {
    addDecisions('old', ago(31 * DAY), 3)
    addDecisions('new', ago(29 * DAY), 2)
    addCallState('stale', NOW - 25 * HOUR)
    addCallState('live', NOW - 23 * HOUR)
    addCallLog('delivered-old', { deliveredAt: ago(8 * DAY), nextAttemptAt: NOW - 8 * DAY })
    addCallLog('delivered-new', { deliveredAt: ago(6 * DAY), nextAttemptAt: NOW - 6 * DAY })
    // Undelivered and still being retried, however old: never deleted.
    addCallLog('pending-old', { attempts: 3, nextAttemptAt: NOW - 90 * DAY })
    addCallLog('pending-fresh', { nextAttemptAt: NOW + 30_000 })
    // Given up after CALL_LOG_MAX_ATTEMPTS: kept OUTBOX_FAILED_RETENTION_DAYS after the last attempt.
    addCallLog('given-up-old', { attempts: 12, nextAttemptAt: NOW - 31 * DAY })
    addCallLog('given-up-new', { attempts: 12, nextAttemptAt: NOW - 29 * DAY })

    expect(await retention().run()).toEqual({ decisions: 3, callState: 1, outboxDelivered: 1, outboxGivenUp: 1, more: false })
    expect(ids('decisions', 'call_id')).toEqual(['new', 'new'])
    expect(ids('call_state', 'call_id')).toEqual(['live'])
    expect(ids('outbox', 'call_id')).toEqual(['delivered-new', 'given-up-new', 'pending-fresh', 'pending-old'])
    expect(await retention().run()).toEqual({ decisions: 0, callState: 0, outboxDelivered: 0, outboxGivenUp: 0, more: false })
  })

  it('keeps decisions and call logs forever when their setting is 0', async () => {
    addDecisions('ancient', '2020-01-01T00:00:00Z')
    addCallLog('delivered-ancient', { deliveredAt: '2020-01-01T00:00:00.000Z', nextAttemptAt: 0 })
    addCallLog('given-up-ancient', { attempts: 12, nextAttemptAt: 0 })
    addCallState('stale', NOW - 25 * HOUR)

    const run = await retention({ decisionsDays: 0, outboxDeliveredDays: 0, outboxGivenUpDays: 0 }).run()
    expect(run).toEqual({ decisions: 0, callState: 1, outboxDelivered: 0, outboxGivenUp: 0, more: false })
    expect(count('decisions')).toBe(1)
    expect(count('outbox')).toBe(2)
  })

  it('stops a run at maxRowsPerRun and goes on from there in the next', async () => {
    addDecisions('old', ago(40 * DAY), 10_000)
    addDecisions('new', ago(DAY), 5)

    expect(await retention({ maxRowsPerRun: 3_000 }).run()).toMatchObject({ decisions: 3_000, more: true })
    expect(count('decisions')).toBe(7_005)
    expect(await retention({ maxRowsPerRun: 20_000 }).run()).toMatchObject({ decisions: 7_000, more: false })
    expect(ids('decisions', 'call_id')).toEqual(Array(5).fill('new'))
  })

  it('deletes in batches a concurrent call-state write gets in between', async () => {
    addDecisions('old', ago(40 * DAY), 10_000)
    const callState = createCallStateStore(database.db, {
      writes: createDecisionLog({ db: database.db, log: recordingLogger().log, schedule: setImmediate }),
    })
    const seen: number[] = []
    let finished = false
    const purge = retention({ batchSize: 500 })
      .run()
      .finally(() => {
        finished = true
      })
    // A call's writes, as the event loop would interleave them with the purge: each sees how far it has got.
    const calls = (async () => {
      for (let step = 0; !finished; step++) {
        await callState.visit('voicenter', `live-${step}`, '5')
        seen.push(count('decisions'))
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
    })()
    const [run] = await Promise.all([purge, calls])

    expect(run.decisions).toBe(10_000)
    const during = seen.filter((n) => n > 0 && n < 10_000)
    // A single DELETE would leave only 10,000 or 0 to be seen; batches leave multiples of 500 in between.
    expect(new Set(during).size).toBeGreaterThanOrEqual(10)
    expect(during.every((n) => n % 500 === 0)).toBe(true)
    expect(count('call_state')).toBe(seen.length)
  })

  it('logs what a run deleted', async () => {
    addDecisions('old', ago(31 * DAY), 2)
    const { log, entries } = recordingLogger()
    await runRetention(retention(), log)
    expect(entries).toEqual([
      {
        level: 'info',
        message: 'retention: expired rows deleted',
        fields: { decisions: 2, callState: 0, outboxDelivered: 0, outboxGivenUp: 0, more: false },
      },
    ])
  })

  it('logs a failing database and keeps running on the timer', async () => {
    const failing = retention()
    database.sqlite.close()
    const { log, entries } = recordingLogger()
    const timer = startRetentionTimer({ retention: failing, intervalMs: 5, log })
    try {
      await expect.poll(() => entries.filter((entry) => entry.message === 'retention run failed').length).toBeGreaterThanOrEqual(2)
    } finally {
      await timer.stop()
    }
    expect(entries[0]).toMatchObject({ level: 'error', fields: { cause: expect.stringContaining('not open') } })
  })

  it('stops between batches, so the database can be closed right after stop()', async () => {
    addDecisions('old', ago(40 * DAY), 10_000)
    const { log, entries } = recordingLogger()
    const timer = startRetentionTimer({ retention: retention({ batchSize: 100 }), intervalMs: 1, log })
    await expect.poll(() => count('decisions')).toBeLessThan(10_000)
    await timer.stop()
    const left = count('decisions')
    expect(left).toBeGreaterThan(0)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(count('decisions')).toBe(left)
    database.sqlite.close()
    expect(entries.filter((entry) => entry.level === 'error')).toEqual([])
  })
})

describe('retention in the Node server', () => {
  it('runs on RETENTION_INTERVAL_SECONDS, and POST /admin/decisions/purge deletes every old row in batches', async () => {
    const token = 'admin-token-0123456789abcdef'
    const server = await startTestServer({
      env: { RETENTION_INTERVAL_SECONDS: '1', DECISIONS_RETENTION_DAYS: '30', RETENTION_BATCH_SIZE: '100', ADMIN_TOKEN: token },
    })
    try {
      const side = server.openSideConnection()
      const insert = side.prepare(`INSERT INTO decisions (at, provider, call_id) VALUES (?, 'voicenter', ?)`)
      const decisionsOf = (callId: string) =>
        (side.prepare('SELECT count(*) AS n FROM decisions WHERE call_id = ?').get(callId) as { n: number }).n
      insert.run(new Date(Date.now() - 31 * 86_400_000).toISOString(), 'expired')
      insert.run(new Date().toISOString(), 'recent')
      await expect.poll(() => decisionsOf('expired'), { timeout: 5_000 }).toBe(0)
      expect(decisionsOf('recent')).toBe(1)

      side.transaction(() => {
        for (let i = 0; i < 1_050; i++) insert.run(new Date(Date.now() - 11 * 86_400_000).toISOString(), 'eleven-days')
      })()
      const response = await fetch(`${server.url}/admin/decisions/purge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ older_than_days: 10 }),
      })
      expect(await response.json()).toEqual({ deleted: 1_050 })
      expect(decisionsOf('recent')).toBe(1)
    } finally {
      await server.close()
    }
  })
})
