import { afterAll, afterEach } from 'vitest'

/**
 * Setup file of the workers project: fails the test during which the Worker fetched beyond 127.0.0.1. The
 * fetch itself was refused (502) by the outbound service, test/setup/workers-outbound.ts, which answers this
 * origin with what it refused since the last question.
 */
const NETWORK_GUARD_ORIGIN = 'http://network-guard.invalid'

export const takeRefusedFetches = async (): Promise<string[]> => (await fetch(`${NETWORK_GUARD_ORIGIN}/refused`)).json()

const assertStayedOnLoopback = async () => {
  const refused = await takeRefusedFetches()
  if (refused.length > 0) {
    throw new Error(
      `network guard: the Worker tried to reach beyond 127.0.0.1 during this test (or one running beside it): ${refused.join(', ')}; refused, nothing was sent. Point the setting at a fake (test/workers/global-setup.ts).`,
    )
  }
}

afterEach(assertStayedOnLoopback)
afterAll(assertStayedOnLoopback)
