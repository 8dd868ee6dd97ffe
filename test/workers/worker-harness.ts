import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { inject } from 'vitest'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import type { StartHarness } from '../helpers/harness.ts'

/**
 * The Worker's service in workerd over the test's D1, with the demo data and the given vars. RingCentral
 * commands go to the fake RingCentral on 127.0.0.1 (test/workers/global-setup.ts), never to the real API.
 */
export const startWorkerHarness: StartHarness = async (vars = {}) => {
  const bindings = {
    ...(env as unknown as WorkerEnv),
    SEED_DEMO: 'true',
    RINGCENTRAL_API_URL: inject('ringcentralUrl'),
    RINGCENTRAL_TOKEN: inject('ringcentralToken'),
    ...vars,
  }
  const service = await createWorkerService(bindings, { clock: () => MONDAY_MORNING })
  const pending: ExecutionContext[] = []
  const settle = async () => {
    await Promise.all(pending.splice(0).map((ctx) => waitOnExecutionContext(ctx)))
    await service.drain()
  }
  return {
    post: (path, body, headers = {}) => {
      const ctx = createExecutionContext()
      pending.push(ctx)
      const request = new Request(`http://worker.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
      return Promise.resolve(service.app.fetch(request, bindings, ctx))
    },
    countDecisions: async () => {
      await settle()
      return ((await env.DB.prepare('SELECT count(*) AS n FROM decisions').first()) as { n: number }).n
    },
    settle,
    close: settle,
  }
}
