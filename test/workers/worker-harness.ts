import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { inject } from 'vitest'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { CALL_DECISIONS_SQL, callDecisionsParams, type DecisionRecord, type StartHarness } from '../helpers/harness.ts'

/**
 * The Worker's service in workerd over the test's D1, with the demo data and the given vars. RingCentral
 * commands go to the fake RingCentral on 127.0.0.1 (test/workers/global-setup.ts), never to the real API.
 */
export const startWorkerHarness: StartHarness = async (vars = {}) => {
  const bindings = {
    ...(env as unknown as WorkerEnv),
    SEED_DEMO: 'true',
    // Rules written through the admin API during a test are used by its next call, as on Node.
    RULES_REFRESH_MS: '0',
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
  const send = (request: Request) => {
    const ctx = createExecutionContext()
    pending.push(ctx)
    return Promise.resolve(service.app.fetch(request, bindings, ctx))
  }
  return {
    post: (path, body, headers = {}) =>
      send(
        new Request(`http://worker.test${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    get: (path, headers = {}) => send(new Request(`http://worker.test${path}`, { headers })),
    countDecisions: async () => {
      await settle()
      return ((await env.DB.prepare('SELECT count(*) AS n FROM decisions').first()) as { n: number }).n
    },
    decisions: async (callId, provider) => {
      await settle()
      return (
        await env.DB.prepare(CALL_DECISIONS_SQL)
          .bind(...callDecisionsParams(callId, provider))
          .all<DecisionRecord>()
      ).results
    },
    deliverCallLogs: () => service.callLogs.deliverDue(),
    settle,
    close: settle,
  }
}
