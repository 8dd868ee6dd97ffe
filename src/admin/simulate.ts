import { Hono } from 'hono'
import * as v from 'valibot'
import { AppError } from '../lib/app-error.ts'
import type { ActiveProvider, ProviderRequest } from '../providers/provider.ts'
import type { CallRouter } from '../routing/call-router.ts'
import { jsonBody } from './request-validators.ts'
import { routeDocs, TOO_LARGE } from './route-docs.ts'

export const Simulation = v.object({
  provider: v.pipe(v.string('is required'), v.nonEmpty('is required')),
  /** The provider's own request body; or the fields below, which become a request in its format. */
  request: v.optional(v.pipe(v.unknown(), v.description("The provider's own request body, instead of the fields below"))),
  did: v.optional(v.string()),
  caller: v.optional(v.string()),
  dtmf: v.optional(v.string()),
  layer: v.optional(v.string()),
  attempt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  at: v.optional(v.pipe(v.string(), v.isoTimestamp('must be an ISO time such as 2026-11-22T10:00:00Z'))),
})
export type SimulationInput = v.InferOutput<typeof Simulation>

const SimulationResult = v.object({
  call: v.pipe(v.unknown(), v.description('The call as the provider sent it, normalised')),
  attempt: v.number(),
  lookups: v.pipe(v.unknown(), v.description("Each lookup with every plugin's outcome and milliseconds")),
  rules: v.pipe(v.array(v.unknown()), v.description('Every rule considered, and why it did or did not match')),
  rule: v.nullable(v.object({ id: v.number(), name: v.string() })),
  fallback: v.nullable(v.object({ id: v.number(), name: v.string() })),
  reason: v.nullable(v.string()),
  decision: v.unknown(),
  answer: v.pipe(
    v.object({ status: v.number(), contentType: v.string(), body: v.unknown() }),
    v.description('Exactly what the provider would get'),
  ),
})

/** Used by POST /admin/simulate and `npm run simulate`. */
export const runSimulation = async (
  router: CallRouter,
  providers: Readonly<Record<string, ActiveProvider>>,
  input: SimulationInput,
  origin = 'http://localhost',
) => {
  const provider = Object.hasOwn(providers, input.provider) ? providers[input.provider] : undefined
  if (!provider) throw new AppError('BAD_REQUEST', `provider: must be one of ${Object.keys(providers).join(', ')}`)
  const request: Pick<ProviderRequest, 'method' | 'query' | 'body'> | undefined =
    input.request !== undefined
      ? { method: 'POST', query: {}, body: input.request }
      : await provider.handler.simulatedRequest?.({
          did: input.did ?? '',
          caller: input.caller ?? '',
          dtmf: input.dtmf ?? '',
          layer: input.layer ?? '',
        })
  if (!request) throw new AppError('BAD_REQUEST', `request: give ${provider.name}'s own request; it has no form of the fields`)
  return router.simulate(provider, { ...request, origin }, input.at ? new Date(input.at) : new Date(), input.attempt)
}

export interface SimulateRoutesOptions {
  router: CallRouter
  providers: Readonly<Record<string, ActiveProvider>>
}

/** POST /simulate: the live pipeline without side effects (no call state, no decision log, no CRM logging). */
export const simulateRoutes = ({ router, providers }: SimulateRoutesOptions) => {
  const ids = Object.keys(providers)
  const body = v.object({ ...Simulation.entries, provider: v.picklist(ids, `must be one of ${ids.join(', ')}`) })
  return new Hono().post(
    '/simulate',
    routeDocs({
      tag: 'simulator',
      summary: 'Simulate a call',
      description:
        'What a call would get, and why, with no side effects: no call state, no decision log, no CRM logging; the CRM is only read.',
      body,
      answer: {
        status: 200,
        description: 'The call, its lookups, the rules considered, the decision and the answer',
        schema: SimulationResult,
      },
      errors: { 400: 'Invalid input, or a request that is not a call step', 413: TOO_LARGE },
    }),
    jsonBody(body),
    async (c) => c.json(await runSimulation(router, providers, c.req.valid('json') as SimulationInput, new URL(c.req.url).origin)),
  )
}
