import type BetterSqlite3 from 'better-sqlite3'
import { startTestServer } from '../helpers/test-server.ts'
import { CALL_LOG_SQL, type DecisionRow, type StartRouteeFlows, testRouteeFlows } from './routee-flows.ts'

/** The Node server on 127.0.0.1 over a SQLite file, the decision log read over a second connection. */
const startNode: StartRouteeFlows = async (env = {}) => {
  const server = await startTestServer({ env })
  let side: BetterSqlite3.Database | undefined
  return {
    post: server.post,
    countDecisions: async () => {
      await server.settle()
      side ??= server.openSideConnection()
      return (side.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    callLog: async (provider, callId) => {
      await server.settle()
      side ??= server.openSideConnection()
      return side.prepare(CALL_LOG_SQL).all(provider, callId) as DecisionRow[]
    },
    settle: server.settle,
    close: server.close,
  }
}

testRouteeFlows(startNode)
