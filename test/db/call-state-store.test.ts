import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCallStateStore } from '../../src/db/call-state-store.ts'
import { createDecisionLog } from '../../src/db/decision-log.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { recordingLogger } from '../helpers/test-server.ts'

describe('call state store', () => {
  let directory: string
  let database: NodeDatabase
  /** Rounds are written when the test says so. */
  let rounds: (() => void)[]
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'call-state-'))
    database = openDatabase(join(directory, 'test.db'))
    rounds = []
  })
  afterEach(() => {
    database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })
  const store = (waitForCommit: boolean) =>
    createCallStateStore(database.db, {
      writes: createDecisionLog({ db: database.db, log: recordingLogger().log, schedule: (write) => rounds.push(write) }),
      waitForCommit,
    })
  const stored = () => database.sqlite.prepare('SELECT data FROM call_state').pluck().all()
  const writeRounds = async () => {
    for (const write of rounds.splice(0)) write()
    await new Promise((resolve) => setImmediate(resolve))
  }

  it("counts on from a state still waiting for its round (Node: the answer waits for the round's commit)", async () => {
    const states = store(false)
    expect(await states.visit('voicenter', 'call-1', '5')).toBe(1)
    expect(await states.visit('voicenter', 'call-1', '5')).toBe(2)
    expect(stored()).toEqual([])
    await writeRounds()
    expect(stored()).toEqual(['{"visits":{"5":2}}'])
    expect(await states.visit('voicenter', 'call-1', '5')).toBe(3)
  })

  it('with waitForCommit (Workers), a visit is counted only once its count is stored', async () => {
    const states = store(true)
    let counted: number | undefined
    const visiting = states.visit('voicenter', 'call-1', '5').then((count) => {
      counted = count
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(counted).toBeUndefined()
    await writeRounds()
    await visiting
    expect(counted).toBe(1)
    expect(stored()).toEqual(['{"visits":{"5":1}}'])
  })
})
