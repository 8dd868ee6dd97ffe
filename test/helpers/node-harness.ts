import type { StartHarness } from './harness.ts'
import { startTestServer } from './test-server.ts'

export const startNodeHarness: StartHarness = async (env = {}) => {
  const server = await startTestServer({ env })
  return {
    post: server.post,
    countDecisions: async () => {
      await server.settle()
      return (server.openSideConnection().prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n
    },
    settle: server.settle,
    close: server.close,
  }
}
