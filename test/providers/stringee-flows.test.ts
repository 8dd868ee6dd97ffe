import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startNodeHarness } from '../helpers/node-harness.ts'
import { STRINGEE_CORPUS, type StartStringeeHarness, testStringeeFlows } from './stringee-flows.ts'

/** The real Node server on 127.0.0.1 over a real SQLite file; a call's rows are its Stringee decisions. */
const startNodeStringeeHarness: StartStringeeHarness = async (env = {}) => {
  const harness = await startNodeHarness(env)
  return { ...harness, rows: (callId) => harness.decisions(callId, 'stringee') }
}

testStringeeFlows(startNodeStringeeHarness)

describe('stringee fixtures', () => {
  it('the flow suite replays every file in test/fixtures/stringee', () => {
    const files = readdirSync(new URL('../fixtures/stringee/', import.meta.url)).filter((file) => file.endsWith('.json'))
    expect(Object.keys(STRINGEE_CORPUS).sort()).toEqual(files.sort())
  })
})
