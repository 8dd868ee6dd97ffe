import type BetterSqlite3 from 'better-sqlite3'
import { startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { startTestServer } from '../helpers/test-server.ts'
import { DECISION_ROWS_SQL, type DecisionRow, type StartRingCentralFlowHarness, testRingCentralFlows } from './ringcentral-flows.ts'

/** The Node server on 127.0.0.1 over a SQLite file, commanding its own fake RingCentral. */
const startNode: StartRingCentralFlowHarness = async (env = {}) => {
  const ringcentral = await startFakeRingCentral()
  const server = await startTestServer({ env: { RINGCENTRAL_API_URL: ringcentral.url, RINGCENTRAL_TOKEN: ringcentral.token, ...env } })
  let side: BetterSqlite3.Database | undefined
  return {
    post: server.post,
    settle: server.settle,
    countDecisions: async () => {
      await server.settle()
      side ??= server.openSideConnection()
      return (side.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    commands: async (session) => ringcentral.commands.filter((command) => command.session === session),
    decisions: async (callId) => {
      await server.settle()
      side ??= server.openSideConnection()
      return side.prepare(DECISION_ROWS_SQL).all('ringcentral', callId) as DecisionRow[]
    },
    close: async () => {
      await server.close()
      await ringcentral.close()
    },
  }
}

testRingCentralFlows(startNode)
