import * as v from 'valibot'
import type { Logger } from '../../lib/logger.ts'
import { toE164 } from '../../lib/phone.ts'
import { safeText } from '../../lib/safe-text.ts'
import type { LookupResult } from '../../model/call-event.ts'
import type { ProviderAnswer, ProviderRequest } from '../provider.ts'
import { WireText as Text } from '../wire-text.ts'

/**
 * A call-center queue's get_list_agents_url: Stringee posts the calls waiting in the queue and rings, for
 * each, the agents we name, in our order (version 2 of the answer). Once the queue has this URL, Stringee
 * rings only whom we name: a call answered with no agent waits for nobody, so every call gets the whole list.
 * https://developer.stringee.com/docs/icc-rest-api/contact-center-queue-management
 */
const AgentListRequest = v.looseObject({
  queueId: Text,
  calls: v.array(v.looseObject({ callId: Text, from: v.optional(Text, ''), to: v.optional(Text, '') })),
})

export interface QueuedCall {
  callId: string
  /** E.164 when it parses */
  caller?: string
}

/** Stringee's default wait for an agent to answer (the queue's wait_agent_answer_timeout). */
const ANSWER_TIMEOUT_SECONDS = 15

export const parseAgentList = (request: ProviderRequest, defaultCountry: string): QueuedCall[] | undefined => {
  const parsed = v.safeParse(AgentListRequest, request.body)
  if (!parsed.success) return undefined
  return parsed.output.calls.map((call) => ({ callId: call.callId, caller: toE164(call.from, defaultCountry) }))
}

/**
 * Whom to ring for each waiting call: the caller's CRM owner (the owner map's extension is a Stringee user
 * id) first, then the queue's own agents, in their order, so an owner who is away or busy never strands the
 * caller.
 */
export const answerAgentList = async (
  queued: QueuedCall[],
  findCaller: (phone: string | undefined) => Promise<LookupResult>,
  queueAgents: readonly string[],
  log?: Logger,
): Promise<ProviderAnswer> => {
  const calls = await Promise.all(
    queued.map(async (call) => {
      const owner = (await findCaller(call.caller)).contact?.owner?.extension
      // Not a Decision, so not through safeRender: the call ids are the request's and the owner is the CRM's.
      const ids = [owner, ...queueAgents].map((id) => (id === undefined ? '' : safeText(id, 'id'))).filter(Boolean)
      const agents = [...new Set(ids)].map((id) => ({ stringee_user_id: id, routing_type: 1, answer_timeout: ANSWER_TIMEOUT_SECONDS }))
      if (agents.length === 0) {
        log?.warn('Stringee queue call has no agent to ring: set STRINGEE_QUEUE_AGENTS', { callId: call.callId })
      }
      return { callId: safeText(call.callId, 'id'), agents }
    }),
  )
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ version: 2, calls }) }
}
