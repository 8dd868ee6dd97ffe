import { startTestServer } from '../helpers/test-server.ts'
import { testVoicenterFlows } from './voicenter-flows.ts'
import type { FlowDecision, StartFlowHarness } from './voipnow-flows.ts'

/** The Node server on 127.0.0.1 over a SQLite file; the call's decisions read back from that file. */
const startNodeFlows: StartFlowHarness = async (env = {}) => {
  const server = await startTestServer({ env })
  const side = server.openSideConnection()
  return {
    post: server.post,
    countDecisions: async () => {
      await server.settle()
      return (side.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    decisions: async (callId) => {
      await server.settle()
      return side
        .prepare('SELECT layer, dtmf, attempt, rule_name, action, reason FROM decisions WHERE call_id = ? ORDER BY id')
        .all(callId) as FlowDecision[]
    },
    deliverCallLogs: () => server.service.callLogs.deliverDue(),
    settle: server.settle,
    close: server.close,
  }
}

testVoicenterFlows(startNodeFlows)
