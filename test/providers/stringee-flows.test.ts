import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startTestServer } from '../helpers/test-server.ts'
import { DECISION_ROWS_SQL, type DecisionRow, STRINGEE_CORPUS, type StartStringeeHarness, testStringeeFlows } from './stringee-flows.ts'

/** The real Node server on 127.0.0.1 over a real SQLite file, with GET and the decision log's rows. */
const startNodeStringeeHarness: StartStringeeHarness = async (env = {}) => {
  const server = await startTestServer({ env })
  const side = server.openSideConnection()
  return {
    post: server.post,
    get: (path, headers = {}) => fetch(server.url + path, { headers }),
    rows: async (callId) => side.prepare(DECISION_ROWS_SQL).all('stringee', callId) as DecisionRow[],
    countDecisions: async () => {
      await server.settle()
      return (side.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    settle: server.settle,
    close: server.close,
  }
}

testStringeeFlows(startNodeStringeeHarness)

describe('stringee fixtures', () => {
  it('the flow suite replays every file in test/fixtures/stringee', () => {
    const files = readdirSync(new URL('../fixtures/stringee/', import.meta.url)).filter((file) => file.endsWith('.json'))
    expect(Object.keys(STRINGEE_CORPUS).sort()).toEqual(files.sort())
  })
})
