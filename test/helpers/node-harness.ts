import { startFakeRingCentral } from './fake-ringcentral.ts'
import type { StartHarness } from './harness.ts'
import { startTestServer } from './test-server.ts'

/** The Node server on 127.0.0.1; RingCentral commands go to a fake RingCentral, as in the Worker harness. */
export const startNodeHarness: StartHarness = async (env = {}) => {
  const ringcentral = await startFakeRingCentral()
  const server = await startTestServer({ env: { RINGCENTRAL_API_URL: ringcentral.url, RINGCENTRAL_TOKEN: ringcentral.token, ...env } })
  return {
    post: server.post,
    countDecisions: async () => {
      await server.settle()
      return (server.openSideConnection().prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    settle: server.settle,
    close: async () => {
      await server.close()
      await ringcentral.close()
    },
  }
}
