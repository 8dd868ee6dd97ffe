import * as v from 'valibot'
import { envCountry, envInteger, setting } from '../../src/lib/env-schema.ts'
import { toE164 } from '../../src/lib/phone.ts'
import type { CallEvent, Decision, SayItem } from '../../src/model/call-event.ts'
import { defineProvider, type ProviderAnswer, type ProviderRequest } from '../../src/providers/provider.ts'
import { WireText } from '../../src/providers/wire-text.ts'

/**
 * A provider that exists only here, to prove that a new provider is one definition and needs no edit in
 * src/: "Acme IVR" posts `{callId, from, to, step, digits}` for a call step and `{callId, event: "hangup"}`
 * when the call ends, and runs the `{actions: [...]}` it gets back.
 */
const StepRequest = v.looseObject({
  callId: v.pipe(WireText, v.nonEmpty('is empty')),
  from: v.optional(WireText, ''),
  to: v.optional(WireText, ''),
  step: v.optional(WireText, '1'),
  digits: v.optional(WireText, ''),
})
const HangupRequest = v.looseObject({ callId: v.pipe(WireText, v.nonEmpty()), event: v.literal('hangup'), seconds: v.optional(v.number()) })

/** Acme echoes the call id back, as many providers do: what the caller sent reaches the answer. */
const answer = (actions: unknown[], callId = ''): ProviderAnswer => ({
  status: 200,
  contentType: 'application/json',
  body: JSON.stringify({ call: callId, actions }),
})
const spoken = (items: SayItem[]) => items.map((item) => (item.type === 'recording' ? { play: item.value } : { say: item.value }))

export const acmeIvr = defineProvider({
  id: 'acme-ivr',
  name: 'Acme IVR',
  config: v.object({
    ACME_IVR_DEFAULT_COUNTRY: setting(envCountry('US'), 'Country of numbers Acme sends without a country code.'),
    ACME_IVR_LOOKUP_DEADLINE_MS: setting(envInteger(1000, 50), 'Milliseconds the CRM lookup may take.'),
  }),
  capabilities: {
    actions: ['go_to_layer', 'say', 'dial', 'collect', 'hangup', 'provider_default'],
    dialTargets: ['phone', 'extension'],
    noInput: 'callback',
  },
  create: (config) => {
    const country = config.ACME_IVR_DEFAULT_COUNTRY
    const classify = (request: ProviderRequest) => {
      const hangup = v.safeParse(HangupRequest, request.body)
      if (hangup.success) {
        const { callId, seconds } = hangup.output
        return {
          kind: 'status' as const,
          status: { callId, status: 'hangup', final: true, durationMs: seconds === undefined ? undefined : seconds * 1000 },
          answer: answer([]),
        }
      }
      const step = v.safeParse(StepRequest, request.body)
      if (!step.success) {
        return {
          kind: 'invalid' as const,
          reason: `invalid Acme IVR request: ${step.issues[0].message}`,
          partial: { provider: 'acme-ivr' },
        }
      }
      const { callId, from, to, step: layer, digits } = step.output
      return {
        kind: 'call' as const,
        event: {
          provider: 'acme-ivr',
          callId,
          did: to,
          didE164: toE164(to, country),
          callerRaw: from,
          caller: toE164(from, country),
          dtmf: digits.replace(/[^\d*#]/g, ''),
          layer,
        },
      }
    }
    const check = (decision: Decision) => {
      if (decision.action === 'voicemail') return 'action: Acme IVR takes no voicemail'
      return decision.action === 'dial' && decision.targets.length === 0 ? 'dial: no target' : undefined
    }
    const render = (decision: Decision, event: Partial<CallEvent>): ProviderAnswer => {
      const reply = (actions: unknown[]) => answer(actions, event.callId)
      switch (decision.action) {
        case 'go_to_layer':
          return reply([{ goto: decision.layer, data: decision.customData }])
        case 'say':
          return reply([...spoken(decision.items), { goto: decision.nextLayer }])
        case 'collect':
          return reply([...spoken(decision.prompt), { collect: { step: decision.layer, maxDigits: decision.maxDigits ?? 16 } }])
        case 'dial':
          return reply([...spoken(decision.announce), { dial: decision.targets.map((target) => target.value), data: decision.customData }])
        case 'hangup':
          return reply([...spoken(decision.items), { hangup: true }])
        case 'voicemail':
        case 'provider_default':
          return reply([{ fallback: true }])
      }
    }
    return {
      lookupDeadlineMs: config.ACME_IVR_LOOKUP_DEADLINE_MS,
      classify,
      check,
      render,
      simulatedRequest: ({ did, caller, dtmf, layer }) => ({
        method: 'POST',
        query: {},
        body: { callId: 'simulated', from: caller, to: did, step: layer, digits: dtmf },
      }),
    }
  },
})

const Action = v.union([
  v.strictObject({ say: v.string() }),
  v.strictObject({ play: v.string() }),
  v.strictObject({ goto: v.string(), data: v.optional(v.record(v.string(), v.string())) }),
  v.strictObject({ collect: v.strictObject({ step: v.string(), maxDigits: v.number() }) }),
  v.strictObject({ dial: v.array(v.string()), data: v.record(v.string(), v.string()) }),
  v.strictObject({ hangup: v.literal(true) }),
  v.strictObject({ fallback: v.literal(true) }),
])
const Answer = v.strictObject({ call: v.string(), actions: v.array(Action) })

export const isAcmeAnswer = (body: unknown) => v.is(Answer, body)
export const isAcmeFallback = (body: unknown) =>
  isAcmeAnswer(body) && JSON.stringify((body as { actions: unknown }).actions) === '[{"fallback":true}]'
