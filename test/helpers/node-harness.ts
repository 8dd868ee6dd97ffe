import type BetterSqlite3 from 'better-sqlite3'
import { startFakeRingCentral } from './fake-ringcentral.ts'
import { CALL_DECISIONS_SQL, callDecisionsParams, type DecisionRecord, type StartHarness } from './harness.ts'
import { startTestServer } from './test-server.ts'

/** The Node server on 127.0.0.1; RingCentral commands go to a fake RingCentral, as in the Worker harness. */
export const startNodeHarness: StartHarness = async (env = {}) => {
  const ringcentral = await startFakeRingCentral()
  const server = await startTestServer({ env: { RINGCENTRAL_API_URL: ringcentral.url, RINGCENTRAL_TOKEN: ringcentral.token, ...env } })
  let side: BetterSqlite3.Database | undefined
  /** The decision log over a second connection, as a person with an SQLite tool reads it. */
  const read = async () => {
    await server.settle()
    side ??= server.openSideConnection()
    return side
  }
  return {
    post: server.post,
    get: (path, headers = {}) => fetch(server.url + path, { headers }),
    countDecisions: async () => ((await read()).prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n,
    decisions: async (callId, provider) =>
      (await read()).prepare(CALL_DECISIONS_SQL).all(...callDecisionsParams(callId, provider)) as DecisionRecord[],
    deliverCallLogs: () => server.service.callLogs.deliverDue(),
    settle: server.settle,
    close: async () => {
      await server.close()
      await ringcentral.close()
    },
  }
}
