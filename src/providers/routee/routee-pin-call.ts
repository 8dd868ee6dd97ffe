import type { SayItem } from '../../model/call-event.ts'
import { webhookUrl } from '../call-state-token.ts'
import type { RouteeClient } from './routee-client.ts'

/** What a PIN call needs of the Routee handler: the dial plan that asks for the PIN. */
export interface PromptPlanner {
  promptPlan(base: string, step: string, prompt: SayItem[], to: string, from: string): Promise<{ verbs: unknown[] }>
}

export interface PinCallInput {
  /** E.164 */
  to: string
  from: string
  prompt: string
  /** Where Routee reaches this service: https://ivr.example.com */
  baseUrl: string
  /** The step the digits come back to (rules match it as from_layer). */
  step: string
  webhookSecret?: string
}

/**
 * Calls a number through Routee with the PIN prompt; the digits come back to our COLLECT endpoint and go
 * through the rules like an inbound call's, and call statuses to our status callback.
 */
export const startPinCall = async (client: RouteeClient, planner: PromptPlanner, input: PinCallInput) => {
  const base = input.baseUrl.replace(/\/+$/, '')
  const prompt: SayItem[] = [{ type: 'text', value: input.prompt }]
  const dialPlan = await planner.promptPlan(base, input.step, prompt, input.to, input.from)
  const callbackUrl = webhookUrl(base, 'routee', input.webhookSecret)
  const started = await client.startConversation({
    from: input.from,
    to: { phone: input.to },
    dialPlan,
    callback: { url: callbackUrl, strategy: 'OnChange' },
  })
  return { trackingId: started.trackingId ?? null, to: input.to, from: input.from }
}
