import { Hono } from 'hono'
import type { Service } from '../service.ts'

/**
 * /healthz: the process answers. /health: what a monitor needs, 503 "degraded" while writes fail (calls are
 * still answered, but decisions and attempt counts are only kept in memory).
 */
export const healthRoutes = ({ rules, storage, recheckStorage, chain, decisionLog, providers }: Service) =>
  new Hono()
    .get('/healthz', (c) => c.text('ok'))
    .get('/health', async (c) => {
      const snapshot = await rules.current()
      if (storage.problems().length > 0) await recheckStorage()
      const problems = storage.problems()
      return c.json(
        {
          status: problems.length > 0 ? 'degraded' : 'ok',
          providers: [...providers.keys()],
          plugins: chain.map((entry) => entry.id),
          rules: {
            revision: snapshot.revision,
            active: snapshot.rules.length,
            fallbacks: snapshot.fallbacks.length,
            invalid: snapshot.invalid.length,
          },
          storage: { writable: problems.length === 0, problems, pendingDecisions: decisionLog.pending() },
        },
        problems.length > 0 ? 503 : 200,
      )
    })
