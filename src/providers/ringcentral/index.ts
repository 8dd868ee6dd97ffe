import * as v from 'valibot'
import { withDeadline } from '../../lib/deadline.ts'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import { errorMessage, type Logger } from '../../lib/logger.ts'
import { isSafeText } from '../../lib/safe-text.ts'
import type { CallEvent, Decision, SayItem } from '../../model/call-event.ts'
import {
  type Classified,
  defineProvider,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type ProviderServices,
} from '../provider.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { ringcentralCapabilities } from './capabilities.ts'

/**
 * RingCentral Automated Voice Apps (IVR scripting): RingCentral posts on-call-enter, on-command-update and
 * on-call-exit and wants 204 at once; we then drive the call with REST commands (Play and Collect on the
 * caller's party, Forward on the app's party). RingCentral echoes nothing back, so the step being
 * collected is kept in the call's state.
 * https://community.ringcentral.com/articles/9190/automated-voice-apps-documentation.html
 */
export interface RingCentralOptions {
  /** The app's Bearer token for the REST commands. */
  token?: string
  /** @default 'https://platform.ringcentral.com' */
  apiUrl?: string
  /** Keeps the step, attempt and parties between a call's callbacks. */
  state: ProviderServices['callState']
  log: Logger
  /** @default '1' */
  entryStep?: string
  /** @default 'US' */
  defaultCountry?: string
  /** @default 1500 */
  lookupDeadlineMs?: number
  /** Per REST command. @default 5000 */
  commandTimeoutMs?: number
  fetch?: typeof fetch
}

const PROVIDER = 'ringcentral' as const
const Phone = v.optional(v.looseObject({ phoneNumber: v.optional(Text) }))
/**
 * Session and party ids go into the command URLs and key the call's state: one that would have to be altered
 * to be sent (a lone surrogate, a control character, hundreds of characters) is not RingCentral's, and is
 * refused rather than changed into some other call's id.
 */
const Id = v.pipe(
  Text,
  v.nonEmpty('is empty'),
  v.check((value) => isSafeText(value, 'id'), 'is not a RingCentral id'),
)

const CallEnter = v.looseObject({
  sessionId: Id,
  partyId: Id,
  inParty: v.looseObject({ id: Id, from: Phone, to: Phone }),
})
const CommandUpdate = v.looseObject({
  sessionId: Id,
  partyId: Id,
  command: v.string(),
  status: v.string(),
  parameters: v.optional(v.looseObject({ digits: v.optional(Text) })),
})
const CallExit = v.strictObject({
  accountId: v.optional(Text),
  extensionId: v.optional(Text),
  sessionId: Text,
  partyId: Text,
})

interface RingCentralState {
  step: string
  attempt: number
  callerParty: string
  appParty: string
  from: string
  to: string
}

/** A collect answered with digits that match no pattern: a key the rules can treat as invalid. */
const NOT_FOUND_DIGITS = '?'

/** RingCentral wants an empty 204 at once; the commands go out after it. */
const ACKNOWLEDGE: ProviderAnswer = { status: 204, contentType: 'application/json; charset=utf-8', body: '' }

export const createRingCentral = ({
  token,
  apiUrl = 'https://platform.ringcentral.com',
  state,
  log,
  entryStep = '1',
  defaultCountry = 'US',
  lookupDeadlineMs = 1500,
  commandTimeoutMs = 5000,
  fetch: fetchImpl = fetch,
}: RingCentralOptions): ProviderHandler => {
  if (!token) log.warn('RINGCENTRAL_TOKEN is not set: RingCentral calls will be answered but never commanded')

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    // Play updates and call exits are notices; exits end the call.
    const exit = v.safeParse(CallExit, request.body)
    if (exit.success) return { kind: 'status', status: { callId: exit.output.sessionId, status: 'exit', final: true }, answer: ACKNOWLEDGE }
    const update = v.safeParse(CommandUpdate, request.body)
    if (update.success && update.output.command !== 'Collect') {
      const { sessionId, command, status } = update.output
      return { kind: 'status', status: { callId: sessionId, status: `${command}:${status}`, final: false }, answer: ACKNOWLEDGE }
    }
    const enter = v.safeParse(CallEnter, request.body)
    if (enter.success) {
      const { sessionId, partyId, inParty } = enter.output
      const from = inParty.from?.phoneNumber ?? ''
      const to = inParty.to?.phoneNumber ?? ''
      const call: RingCentralState = { step: entryStep, attempt: 1, callerParty: inParty.id, appParty: partyId, from, to }
      return { kind: 'call', event: event(sessionId, call, ''), acknowledge: ACKNOWLEDGE }
    }
    if (update.success) {
      const { sessionId, status, parameters } = update.output
      const call = (await state.get(PROVIDER, sessionId)) as RingCentralState | undefined
      if (!call) {
        return {
          kind: 'invalid',
          reason: `RingCentral Collect update for an unknown session ${sessionId}`,
          partial: { provider: PROVIDER },
          acknowledge: ACKNOWLEDGE,
        }
      }
      // Timeout: nothing typed. Not Found: typed, but no pattern matched.
      const digits = status === 'Completed' ? (parameters?.digits ?? '') : status === 'Not Found' ? NOT_FOUND_DIGITS : ''
      return { kind: 'call', event: event(sessionId, call, digits), acknowledge: ACKNOWLEDGE }
    }
    return {
      kind: 'invalid',
      reason: 'not a RingCentral on-call-enter or Collect update',
      partial: { provider: PROVIDER },
      acknowledge: ACKNOWLEDGE,
    }
  }

  const event = (sessionId: string, call: RingCentralState, dtmf: string): CallEvent => ({
    ...stepEvent(PROVIDER, defaultCountry, {
      callId: sessionId,
      from: call.from,
      to: call.to,
      step: call.step,
      attempt: call.attempt,
      dtmf: dtmf === NOT_FOUND_DIGITS ? dtmf : dtmf.replace(/[^\d*#]/g, ''),
    }),
    providerContext: { callerParty: call.callerParty, appParty: call.appParty },
  })

  const check = (decision: Decision): string | undefined => {
    switch (decision.action) {
      case 'go_to_layer':
        return 'action: RingCentral IVR apps have no layers; give this rule options.providers.ringcentral'
      case 'say':
        return 'action: RingCentral cannot continue after an announcement without input; use collect, dial or hangup'
      case 'collect':
        return playable(decision.prompt)
      case 'hangup':
        return playable(decision.items)
      case 'dial':
        if (decision.targets[0]?.value === '') return 'dial: empty target'
        return playable(decision.announce)
      default:
        return undefined
    }
  }

  const playable = (items: SayItem[]) =>
    items.some((item) => item.type !== 'recording' || !/^https?:\/\//.test(item.value))
      ? 'say: RingCentral plays audio files from URLs (recording:https://…), it has no text to speech here'
      : undefined

  /** The REST commands for a decision, as [party, command, body]. */
  const commandsFor = (decision: Decision, call: Parties): [string, string, unknown][] => {
    const play = (items: SayItem[], interruptByDtmf: boolean): [string, string, unknown][] =>
      items.length > 0
        ? [[call.callerParty, 'play', { resources: items.map((item) => ({ uri: item.value })), interruptByDtmf, repeatCount: 1 }]]
        : []
    switch (decision.action) {
      case 'collect': {
        const longest = decision.maxDigits ?? 16
        return [
          ...play(decision.prompt, true),
          [
            call.callerParty,
            'collect',
            {
              // x is any key: one pattern per length, the terminator (#) ends the input early.
              patterns: Array.from({ length: longest }, (_, index) => 'x'.repeat(index + 1)),
              timeout: decision.timeoutSeconds * 1000,
              interDigitTimeout: 5000,
              terminator: '#',
            },
          ],
        ]
      }
      case 'dial': {
        const target = decision.targets[0]
        if (!target) return play(decision.announce, false)
        // Forward acts on the app's own party, not the caller's.
        const forward = target.type === 'extension' ? { extensionNumber: target.value } : { phoneNumber: target.value }
        return [...play(decision.announce, false), [call.appParty, 'forward', forward]]
      }
      case 'hangup':
        return play(decision.items, false)
      default:
        return []
    }
  }

  const send = async (sessionId: string, commands: [string, string, unknown][]) => {
    if (!token) {
      // No phone numbers: the commands' bodies hold the number the call would have been forwarded to.
      log.error('RingCentral call not commanded: RINGCENTRAL_TOKEN is not set', {
        sessionId,
        commands: commands.map(([, command]) => command),
      })
      return
    }
    for (const [party, command, body] of commands) {
      try {
        // Inside the try: whatever an id holds, a command that cannot be addressed is logged, never thrown.
        const url = `${apiUrl.replace(/\/+$/, '')}/restapi/v1.0/account/~/telephony/sessions/${encodeURIComponent(sessionId)}/parties/${encodeURIComponent(party)}/${command}`
        const response = await withDeadline(
          (signal) =>
            fetchImpl(url, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
              signal,
            }),
          commandTimeoutMs,
        )
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
      } catch (error) {
        log.error('RingCentral command failed', { sessionId, command, error: errorMessage(error) })
        return
      }
    }
  }

  /** Pure: the commands, and the step to remember, go out in followUp, after the 204 and the decision's record. */
  const render = (decision: Decision, callEvent: Partial<CallEvent>): ProviderAnswer => {
    const sessionId = callEvent.callId
    const parties = partiesOf(callEvent)
    const commands = parties ? commandsFor(decision, parties) : []
    const collecting = parties && sessionId && decision.action === 'collect' ? decision.layer : undefined
    const followUp = async () => {
      if (!sessionId || !parties) return
      if (collecting !== undefined) {
        // The Collect update echoes nothing back: the step and attempt it answers are kept here.
        const attempt = collecting === callEvent.layer ? (callEvent.attempt ?? 1) + 1 : 1
        const next: RingCentralState = { step: collecting, attempt, ...parties, from: callEvent.callerRaw ?? '', to: callEvent.did ?? '' }
        await state.set(PROVIDER, sessionId, { ...next })
      }
      await send(sessionId, commands)
    }
    return {
      ...ACKNOWLEDGE,
      body: JSON.stringify(commands.map(([party, command, body]) => ({ party, command, body }))),
      followUp: sessionId && commands.length > 0 ? followUp : undefined,
    }
  }

  return {
    lookupDeadlineMs,
    classify,
    check,
    render,
  }
}

interface Parties {
  callerParty: string
  appParty: string
}

const partiesOf = (event: Partial<CallEvent>): Parties | undefined => {
  const context = event.providerContext
  return context?.callerParty !== undefined && context.appParty !== undefined
    ? { callerParty: context.callerParty, appParty: context.appParty }
    : undefined
}

export const ringcentral = defineProvider({
  id: PROVIDER,
  name: 'RingCentral',
  config: v.object({
    RINGCENTRAL_TOKEN: setting(
      envSecret(),
      "The IVR app's Bearer token for its REST commands; without it calls are answered but never commanded.",
    ),
    RINGCENTRAL_API_URL: setting(v.pipe(envText('https://platform.ringcentral.com'), v.url()), "RingCentral's API."),
    RINGCENTRAL_DEFAULT_COUNTRY: setting(envCountry('US'), 'Country of numbers RingCentral sends without a country code.'),
    RINGCENTRAL_LOOKUP_DEADLINE_MS: setting(envInteger(1500, 50), 'Milliseconds the CRM lookup may take.'),
    RINGCENTRAL_ENTRY_STEP: setting(envText('1'), 'The step a call starts at (rules match it as from_layer).'),
  }),
  capabilities: ringcentralCapabilities,
  create: (config, services) =>
    createRingCentral({
      token: config.RINGCENTRAL_TOKEN,
      apiUrl: config.RINGCENTRAL_API_URL,
      state: services.callState,
      log: services.log,
      entryStep: config.RINGCENTRAL_ENTRY_STEP,
      defaultCountry: config.RINGCENTRAL_DEFAULT_COUNTRY,
      lookupDeadlineMs: config.RINGCENTRAL_LOOKUP_DEADLINE_MS,
      fetch: services.fetch,
    }),
})
