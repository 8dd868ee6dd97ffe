import { startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { startNodeHarness } from '../helpers/node-harness.ts'
import { type StartRingCentralFlowHarness, testRingCentralFlows } from './ringcentral-flows.ts'

/** The Node server on 127.0.0.1 over a SQLite file, commanding a fake RingCentral whose commands the flows read. */
const startNode: StartRingCentralFlowHarness = async (env = {}) => {
  const ringcentral = await startFakeRingCentral()
  const harness = await startNodeHarness({ RINGCENTRAL_API_URL: ringcentral.url, RINGCENTRAL_TOKEN: ringcentral.token, ...env })
  return {
    ...harness,
    commands: async (session) => ringcentral.commands.filter((command) => command.session === session),
    close: async () => {
      await harness.close()
      await ringcentral.close()
    },
  }
}

testRingCentralFlows(startNode)
