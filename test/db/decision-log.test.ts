import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDecisionLog, type DecisionLogOptions, type RecordWriter } from '../../src/db/decision-log.ts'
import type { DecisionRow } from '../../src/db/schema.ts'
import { createStorageHealth } from '../../src/db/storage-health.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { sqliteRecordWriter } from '../../src/runtime/sqlite-record-writer.ts'
import { recordingLogger } from '../helpers/test-server.ts'

const row = (callId: string): DecisionRow => ({
  at: '2026-11-30T10:00:00.000Z',
  provider: 'voicenter',
  callId,
  caller: '+972501234567',
  dtmf: '1234',
  action: 'go_to_layer',
  answer: '{}',
  request: '{}',
})

const WRITERS: [string, ((database: NodeDatabase) => RecordWriter) | undefined][] = [
  ['drizzle statements (any database, D1)', undefined],
  ['one better-sqlite3 transaction (Node)', (database) => sqliteRecordWriter(database)],
]

describe.each(WRITERS)('decision log, written with %s', (_name, makeWriter) => {
  let directory: string
  let database: NodeDatabase
  const count = () => (database.sqlite.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
  /** A decision log over the test file, written by the writer under test, a round per setImmediate. */
  const openLog = (options: Omit<DecisionLogOptions, 'db' | 'writer'>) =>
    createDecisionLog({ writer: makeWriter?.(database), db: database.db, schedule: setImmediate, ...options })
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'decision-log-'))
    database = openDatabase(join(directory, 'test.db'))
  })
  afterEach(() => {
    database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('rows recorded in the same turn share a round, and each promise settles once its row is committed', async () => {
    const { log } = recordingLogger()
    const decisions = openLog({ log })
    const recorded = Array.from({ length: 10 }, (_, index) => decisions.record(row(`call-${index}`)))
    expect(count()).toBe(0)
    await recorded[9]
    expect(count()).toBe(10)
    await Promise.all(recorded)
  })

  it('a database that refuses writes: answers are not held up, rows are kept (not logged) and written once it recovers', async () => {
    const { log, entries } = recordingLogger()
    const health = createStorageHealth()
    let now = 0
    const decisions = openLog({
      log,
      health,
      retryDelayMs: 1000,
      now: () => now,
    })
    database.sqlite.pragma('query_only = ON')
    await expect(decisions.record(row('call-1'))).resolves.toBeUndefined()
    expect(decisions.pending()).toBe(1)
    expect(health.problems()).toMatchObject([{ write: 'decisions', error: 'attempt to write a readonly database' }])

    // Within the back-off the database is not asked again: the row joins the pending ones.
    now = 500
    await decisions.record(row('call-2'))
    expect(decisions.pending()).toBe(2)
    expect(entries.filter((entry) => entry.level === 'error')).toHaveLength(1)

    database.sqlite.pragma('query_only = OFF')
    now = 1500
    await decisions.record(row('call-3'))
    expect(decisions.pending()).toBe(0)
    expect(database.sqlite.prepare('SELECT call_id FROM decisions ORDER BY id').all()).toEqual([
      { call_id: 'call-1' },
      { call_id: 'call-2' },
      { call_id: 'call-3' },
    ])
    expect(health.problems()).toEqual([])
    // What was logged says how many rows wait, never what they hold.
    const logged = JSON.stringify(entries)
    expect(logged).not.toContain('+972501234567')
    expect(logged).not.toContain('1234"')
    expect(logged).toContain('"pending":1')
  })

  it('keeps at most maxPending rows while writes fail, dropping the oldest', async () => {
    const { log, entries } = recordingLogger()
    const decisions = openLog({
      log,
      maxPending: 3,
      now: () => 0,
    })
    database.sqlite.pragma('query_only = ON')
    for (let index = 0; index < 5; index++) await decisions.record(row(`call-${index}`))
    expect(decisions.pending()).toBe(3)
    expect(entries.some((entry) => entry.message.includes('oldest rows dropped'))).toBe(true)
    database.sqlite.pragma('query_only = OFF')
    await decisions.flush()
    expect(database.sqlite.prepare('SELECT call_id FROM decisions ORDER BY id').all()).toEqual([
      { call_id: 'call-2' },
      { call_id: 'call-3' },
      { call_id: 'call-4' },
    ])
  })

  const state = (callId: string, visits: number) => ({
    provider: 'voicenter',
    callId,
    data: JSON.stringify({ visits: { 5: visits } }),
    updatedAt: 1,
  })
  const states = () => database.sqlite.prepare('SELECT call_id, data FROM call_state ORDER BY call_id').all()

  it("commits a call's state with the decisions queued in the same round", async () => {
    const { log } = recordingLogger()
    const decisions = openLog({ log })
    const saved = decisions.saveCallState(state('call-1', 1))
    const recorded = decisions.record(row('call-1'))
    expect(await saved).toEqual({})
    await recorded
    expect(count()).toBe(1)
    expect(states()).toEqual([{ call_id: 'call-1', data: '{"visits":{"5":1}}' }])
    // The next round updates the same call's row.
    await decisions.saveCallState(state('call-1', 2))
    expect(states()).toEqual([{ call_id: 'call-1', data: '{"visits":{"5":2}}' }])
  })

  it('a round that fails: its states get the error, its decisions are kept, and nothing is written twice', async () => {
    const { log } = recordingLogger()
    const health = createStorageHealth()
    let now = 0
    const decisions = openLog({
      log,
      health,
      now: () => now,
    })
    database.sqlite.exec(
      `CREATE TRIGGER poison BEFORE INSERT ON decisions WHEN NEW.call_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`,
    )
    const saved = decisions.saveCallState(state('call-a', 1))
    const recorded = ['call-a', 'poison', 'call-b'].map((callId) => decisions.record(row(callId)))
    expect((await saved).error).toBeDefined()
    await Promise.all(recorded)
    expect(health.problems()).toMatchObject([{ write: 'decisions', error: 'poisoned row' }])
    expect(states()).toEqual([])
    // The transaction writes all or nothing; statement by statement, the rows before the failure stay written.
    expect(count()).toBe(makeWriter ? 0 : 1)

    database.sqlite.exec('DROP TRIGGER poison')
    now = 60_000
    await decisions.record(row('call-c'))
    expect(database.sqlite.prepare('SELECT call_id FROM decisions ORDER BY id').all()).toEqual(
      ['call-a', 'poison', 'call-b', 'call-c'].map((call_id) => ({ call_id })),
    )
    expect(decisions.pending()).toBe(0)
    expect(health.problems()).toEqual([])
  })

  const callLog = (callId: string, line: string, contact: string) => ({
    plugin: 'hubspot',
    kind: 'log_call',
    provider: 'voicenter',
    callId,
    payload: JSON.stringify({
      contact: { id: contact },
      from: '+972501234567',
      to: '+97237654321',
      at: '2026-11-30T10:00:00.000Z',
      summary: line,
    }),
    nextAttemptAt: 0,
    createdAt: '2026-11-30T10:00:00.000Z',
  })
  const logs = () =>
    (
      database.sqlite.prepare('SELECT call_id, payload, accepting FROM outbox ORDER BY id').all() as { call_id: string; payload: string }[]
    ).map((entry) => ({ ...entry, payload: JSON.parse(entry.payload) as { summary: string; contact: { id: string } } }))

  it("adds a call's decisions to its log entry while it waits, in one round or across rounds; a tried entry takes no more", async () => {
    const { log } = recordingLogger()
    const decisions = openLog({ log })
    const sameRound = [decisions.saveCallLog(callLog('call-1', 'layer 1', 'a')), decisions.saveCallLog(callLog('call-1', 'layer 5', 'b'))]
    await decisions.saveCallLog(callLog('call-2', 'layer 1', 'c'))
    expect(await Promise.all(sameRound)).toEqual([{}, {}])
    expect(await decisions.saveCallLog(callLog('call-1', 'layer 12', 'd'))).toEqual({})
    expect(logs()).toEqual([
      {
        call_id: 'call-1',
        accepting: 1,
        payload: expect.objectContaining({ summary: 'layer 1\nlayer 5\nlayer 12', contact: { id: 'd' } }),
      },
      { call_id: 'call-2', accepting: 1, payload: expect.objectContaining({ summary: 'layer 1', contact: { id: 'c' } }) },
    ])
    // Once delivery has tried it, the call's next decision starts a new entry.
    database.sqlite.prepare("UPDATE outbox SET accepting = NULL, attempts = 1 WHERE call_id = 'call-1'").run()
    await decisions.saveCallLog(callLog('call-1', 'layer 20', 'e'))
    expect(
      logs()
        .filter((entry) => entry.call_id === 'call-1')
        .map((entry) => entry.payload.summary),
    ).toEqual(['layer 1\nlayer 5\nlayer 12', 'layer 20'])
  })
})
