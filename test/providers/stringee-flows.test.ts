import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startFakeStringee } from '../helpers/fake-stringee.ts'
import { startNodeHarness } from '../helpers/node-harness.ts'
import { STRINGEE_CORPUS, type StartStringeeHarness, stringeeHarness, testStringeeFlows } from './stringee-flows.ts'

/** The real Node server on 127.0.0.1 over a real SQLite file; SMS go to a fake Stringee SMS API of its own. */
const startNodeStringeeHarness: StartStringeeHarness = async (env = {}) => {
  const sms = await startFakeStringee()
  const harness = await stringeeHarness(startNodeHarness, sms)(env)
  return {
    ...harness,
    close: async () => {
      await harness.close()
      await sms.close()
    },
  }
}

testStringeeFlows(startNodeStringeeHarness)

describe('stringee fixtures', () => {
  it('the flow suite replays every file in test/fixtures/stringee', () => {
    const files = readdirSync(new URL('../fixtures/stringee/', import.meta.url)).filter((file) => file.endsWith('.json'))
    expect(Object.keys(STRINGEE_CORPUS).sort()).toEqual(files.sort())
  })
})
