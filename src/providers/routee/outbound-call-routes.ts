import { Hono } from 'hono'
import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import { errorResponse } from '../../lib/app-error.ts'
import { describeIssues } from '../../lib/issues.ts'
import { errorMessage } from '../../lib/logger.ts'
import { toE164 } from '../../lib/phone.ts'
import type { ProviderServices } from '../provider.ts'
import type { RouteeClient } from './routee-client.ts'
import { type PromptPlanner, startPinCall } from './routee-pin-call.ts'

const OutboundCall = v.object(
  {
    to: v.pipe(v.string('must be a phone number'), v.trim(), v.nonEmpty('must be a phone number')),
    from: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
    prompt: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty(), v.maxLength(500))),
  },
  'the body must be a JSON object such as {"to": "+306911111111"}',
)

const Started = v.object({ trackingId: v.nullable(v.string()), to: v.string(), from: v.string() })
const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.string() }) })
const errorContent = { 'application/json': { schema: resolver(ErrorBody) } }

interface OutboundCallSettings {
  ROUTEE_DEFAULT_COUNTRY: string
  ROUTEE_CALLER_ID?: string
  ROUTEE_PIN_PROMPT: string
  ROUTEE_PIN_STEP: string
}

/**
 * POST /admin/routee/calls: Routee calls a number and plays the PIN prompt; the digits come back to our
 * COLLECT endpoint and go through the rules like an inbound call's.
 */
export const outboundCallRoutes = ({
  client,
  handler,
  config,
  services,
}: {
  client: RouteeClient | undefined
  handler: PromptPlanner
  config: OutboundCallSettings
  services: ProviderServices
}) =>
  new Hono().post(
    '/calls',
    describeRoute({
      tags: ['routee'],
      summary: 'Call a number through Routee to verify a PIN',
      security: [{ bearer: [] }],
      requestBody: { content: { 'application/json': { schema: resolver(OutboundCall) } } },
      responses: {
        202: { description: 'The call is started', content: { 'application/json': { schema: resolver(Started) } } },
        400: { description: 'Invalid input', content: errorContent },
        401: { description: 'Missing or wrong bearer token', content: errorContent },
        502: { description: 'Routee refused or failed', content: errorContent },
        503: { description: 'ROUTEE_APP_ID and ROUTEE_APP_SECRET are not set', content: errorContent },
      },
    }),
    async (c) => {
      if (!client) return errorResponse(c, 'NOT_CONFIGURED', 'set ROUTEE_APP_ID and ROUTEE_APP_SECRET')
      // Read by hand rather than by a validator middleware: malformed JSON gets the same 400 as a wrong field.
      const parsed = v.safeParse(OutboundCall, await c.req.json().catch(() => undefined))
      if (!parsed.success) return errorResponse(c, 'BAD_REQUEST', describeIssues(parsed.issues))
      const input = parsed.output
      const to = toE164(input.to, config.ROUTEE_DEFAULT_COUNTRY)
      if (!to) return errorResponse(c, 'BAD_REQUEST', 'to: is not a phone number')
      const from = input.from ?? config.ROUTEE_CALLER_ID
      if (!from) return errorResponse(c, 'BAD_REQUEST', 'from: give it, or set ROUTEE_CALLER_ID')
      try {
        const started = await startPinCall(client, handler, {
          to,
          from,
          prompt: input.prompt ?? config.ROUTEE_PIN_PROMPT,
          baseUrl: services.publicUrl ?? new URL(c.req.url).origin,
          step: config.ROUTEE_PIN_STEP,
          webhookSecret: services.webhookSecret,
        })
        services.log.info('Routee verification call started', { trackingId: started.trackingId })
        return c.json(started, 202)
      } catch (error) {
        services.log.error('Routee verification call failed', { error: errorMessage(error) })
        return errorResponse(c, 'UPSTREAM_ERROR', `Routee: ${errorMessage(error)}`)
      }
    },
  )
