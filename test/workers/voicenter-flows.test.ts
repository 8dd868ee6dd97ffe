import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { createWorkerService, type WorkerEnv } from '../../src/runtime/worker.ts'
import { MONDAY_MORNING } from '../helpers/clock.ts'
import { testVoicenterFlows } from '../providers/voicenter-flows.ts'
import type { FlowDecision, StartFlowHarness } from '../providers/voipnow-flows.ts'

/**
 * The Worker's service in workerd over the test's D1 with the demo data, as worker-harness.ts builds it, plus
 * what the flows read: the call's decisions from D1, and the call logs the cron would deliver.
 */
const startWorkerFlows: StartFlowHarness = async (vars = {}) => {
  const bindings = { ...(env as unknown as WorkerEnv), SEED_DEMO: 'true', ...vars }
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
    decisions: async (callId) => {
      await settle()
      const rows = await env.DB.prepare(
        'SELECT layer, dtmf, attempt, rule_name, action, reason FROM decisions WHERE call_id = ? ORDER BY id',
      )
        .bind(callId)
        .all<FlowDecision>()
      return rows.results
    },
    deliverCallLogs: () => service.callLogs.deliverDue(),
    settle,
    close: settle,
  }
}

testVoicenterFlows(startWorkerFlows)
