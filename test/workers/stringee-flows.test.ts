import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { DECISION_ROWS_SQL, type DecisionRow, type StartStringeeHarness, testStringeeFlows } from '../providers/stringee-flows.ts'

/**
 * The Worker's service in workerd over the test's D1 with the demo data, as worker-harness.ts builds it,
 * with GET (Stringee's answer_url) and the decision log's rows besides POST.
 */
const startWorkerStringeeHarness: StartStringeeHarness = async (vars = {}) => {
  // Rules are read afresh on each request, as on the Node test server: the suite adds one through the admin API.
  const bindings = { ...(env as unknown as WorkerEnv), SEED_DEMO: 'true', RULES_REFRESH_MS: '0', ...vars }
  const service = await createWorkerService(bindings, { clock: () => MONDAY_MORNING })
  const pending: ExecutionContext[] = []
  const settle = async () => {
    await Promise.all(pending.splice(0).map((ctx) => waitOnExecutionContext(ctx)))
    await service.drain()
  }
  const send = (path: string, init: RequestInit) => {
    const ctx = createExecutionContext()
    pending.push(ctx)
    return Promise.resolve(service.app.fetch(new Request(`http://worker.test${path}`, init), bindings, ctx))
  }
  return {
    post: (path, body, headers = {}) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (path, headers = {}) => send(path, { method: 'GET', headers }),
    rows: async (callId) => (await env.DB.prepare(DECISION_ROWS_SQL).bind('stringee', callId).all<DecisionRow>()).results,
    countDecisions: async () => {
      await settle()
      return ((await env.DB.prepare('SELECT count(*) AS n FROM decisions').first()) as { n: number }).n
    },
    settle,
    close: settle,
  }
}

testStringeeFlows(startWorkerStringeeHarness)
