import * as v from 'valibot'
import { envCountry, envInteger, envSecret, envText, setting } from '../../lib/env-schema.ts'
import type { Logger } from '../../lib/logger.ts'
import { isSafeText } from '../../lib/safe-text.ts'
import type { CallEvent, Decision, DialTarget, SayItem } from '../../model/call-event.ts'
import {
  type CallStatus,
  type Classified,
  defineProvider,
  type ProviderAnswer,
  type ProviderHandler,
  type ProviderRequest,
  type ProviderServices,
  type SimulatedCall,
} from '../provider.ts'
import { stepEvent } from '../step-event.ts'
import { WireText as Text } from '../wire-text.ts'
import { ringcentralCapabilities } from './capabilities.ts'
import { type Command, createCommandClient } from './command-client.ts'

/**
 * RingCentral Automated Voice Apps (IVR scripting): RingCentral posts on-call-enter, on-command-update and
 * on-call-exit and wants 204 at once; we then drive the call with REST commands (Play and Collect on the
 * caller's party, Forward on the app's party, a drop of the session to hang up). RingCentral echoes nothing
 * back, so the step being collected, the parties and the command waiting for a Play to end are kept in the
 * call's state.
 * https://community.ringcentral.com/articles/9190/automated-voice-apps-documentation.html
 *
 * A Play and what follows it are never posted together: the Collect's timeout would run while the prompt
 * plays and a Forward or a drop would cut the announcement. What follows waits in the call's state for the
 * Play's on-command-update, as RingCentral's own demo app does.
 */
export interface RingCentralOptions {
  /** The app's Bearer token for the REST commands. */
  token?: string
  /** @default 'https://platform.ringcentral.com' */
  apiUrl?: string
  /** Keeps the step, attempt, parties and waiting commands between a call's callbacks. */
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
  /**
   * Where a call goes that no rule or fallback answers (the provider's own failover): RingCentral has none of
   * its own, so without it such a caller waits in silence.
   */
  failover?: DialTarget
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
  command: Text,
  status: Text,
  parameters: v.optional(v.looseObject({ digits: v.optional(Text) })),
})
/** on-call-exit: the documented fields are read, anything RingCentral adds to them is let be. */
const CallExit = v.looseObject({ sessionId: Id, partyId: v.optional(Text) })
/** A telephony-session notification (a webhook subscription's delivery), one party's status in each. */
const SessionEvent = v.looseObject({
  body: v.looseObject({
    telephonySessionId: Id,
    parties: v.optional(
      v.array(v.looseObject({ status: v.optional(v.looseObject({ code: v.optional(Text) })), from: Phone, to: Phone })),
      [],
    ),
  }),
})
/** Echoed in a response header: printable ASCII only, so it can be sent back as it came. */
const ValidationToken = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,512}$/))

interface RingCentralState {
  step: string
  attempt: number
  callerParty: string
  appParty: string
  from: string
  to: string
  /** Commands waiting for the Play before them to end (its on-command-update). */
  pending?: Command[]
}

/** A collect answered with digits that match no pattern: a key the rules can treat as invalid. */
const NOT_FOUND_DIGITS = '?'
/** Play statuses after which the Play is over: what waits for it may go. */
const PLAY_ENDED = new Set(['Completed', 'Interrupted', 'Failed', 'Canceled'])
/** What the simulator addresses its commands to: it cannot know a real call's session and parties. */
const SIMULATED = { sessionId: 's-simulated', appParty: 'p-simulated-app', callerParty: 'p-simulated-caller' }

/** RingCentral wants an empty 204 at once; the commands go out after it. */
const ACKNOWLEDGE: ProviderAnswer = { status: 204, contentType: 'application/json; charset=utf-8', body: '' }

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const firstIssue = (issues: v.BaseIssue<unknown>[]) => {
  const issue = issues[0]
  const path = issue?.path?.map((item) => String(item.key)).join('.')
  return `${path ? `${path}: ` : ''}${issue?.message ?? 'not readable'}`
}

export const createRingCentral = ({
  token,
  apiUrl = 'https://platform.ringcentral.com',
  state,
  log,
  entryStep = '1',
  defaultCountry = 'US',
  lookupDeadlineMs = 1500,
  commandTimeoutMs = 5000,
  failover,
  fetch: fetchImpl = fetch,
}: RingCentralOptions): ProviderHandler => {
  if (!token) log.warn('RINGCENTRAL_TOKEN is not set: RingCentral calls will be answered but never commanded')
  if (!failover) log.warn('RINGCENTRAL_FAILOVER is not set: a RingCentral call no rule or fallback answers waits in silence')
  const client = createCommandClient({ token, apiUrl, log, timeoutMs: commandTimeoutMs, fetch: fetchImpl })
  /** Held in memory only: a simulated Collect update carries it, so no request from outside can pose as one. */
  const simulationKey = crypto.randomUUID()

  const invalid = (reason: string): Classified => ({ kind: 'invalid', reason, partial: { provider: PROVIDER }, acknowledge: ACKNOWLEDGE })
  const notice = (status: CallStatus, answer: ProviderAnswer = ACKNOWLEDGE): Classified => ({ kind: 'status', status, answer })

  const readState = async (sessionId: string): Promise<RingCentralState | undefined> => {
    const stored = await state.get(PROVIDER, sessionId)
    return stored &&
      typeof stored.step === 'string' &&
      typeof stored.attempt === 'number' &&
      typeof stored.callerParty === 'string' &&
      typeof stored.appParty === 'string'
      ? ({ from: '', to: '', ...stored } as RingCentralState)
      : undefined
  }

  const classify = async (request: ProviderRequest): Promise<Classified> => {
    const { body } = request
    if (body === undefined || body === '') {
      const validation = request.headers?.['validation-token']
      if (validation !== undefined) return validationAnswer(validation)
    }
    if (!isRecord(body)) return invalid('not a RingCentral callback: the body is not a JSON object')
    // Which callback it is, by its own fields: the schemas are loose, so an exit's would match them all.
    if (isRecord(body.body) && 'telephonySessionId' in body.body) return sessionEvent(body)
    if ('command' in body) return commandUpdate(body)
    if ('inParty' in body) return callEnter(body)
    if ('sessionId' in body) return callExit(body)
    return invalid('not a RingCentral on-call-enter, on-command-update, on-call-exit or telephony-session event')
  }

  /** RingCentral creates a webhook subscription only once its validation request got 200 and its token back. */
  const validationAnswer = (validation: string): Classified => {
    if (!v.is(ValidationToken, validation)) return invalid('RingCentral webhook validation with a Validation-Token that cannot be echoed')
    return {
      kind: 'question',
      answer: async () => ({
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: '',
        headers: { 'Validation-Token': validation },
      }),
    }
  }

  const sessionEvent = (body: Record<string, unknown>): Classified => {
    const parsed = v.safeParse(SessionEvent, body)
    if (!parsed.success) return invalid(`RingCentral telephony-session event not readable: ${firstIssue(parsed.issues)}`)
    const { telephonySessionId, parties } = parsed.output.body
    const party = parties.find((item) => item.status?.code) ?? parties[0]
    const code = party?.status?.code || 'unknown'
    return notice({
      callId: telephonySessionId,
      status: `party:${code}`,
      final: code === 'Disconnected',
      from: party?.from?.phoneNumber || undefined,
      to: party?.to?.phoneNumber || undefined,
    })
  }

  const callExit = (body: Record<string, unknown>): Classified => {
    const parsed = v.safeParse(CallExit, body)
    if (!parsed.success) return invalid(`RingCentral on-call-exit not readable: ${firstIssue(parsed.issues)}`)
    return notice({ callId: parsed.output.sessionId, status: 'exit', final: true })
  }

  const callEnter = (body: Record<string, unknown>): Classified => {
    const parsed = v.safeParse(CallEnter, body)
    if (!parsed.success) return invalid(`RingCentral on-call-enter not readable: ${firstIssue(parsed.issues)}`)
    const { sessionId, partyId, inParty } = parsed.output
    const from = inParty.from?.phoneNumber ?? ''
    const to = inParty.to?.phoneNumber ?? ''
    const call: RingCentralState = { step: entryStep, attempt: 1, callerParty: inParty.id, appParty: partyId, from, to }
    return { kind: 'call', event: event(sessionId, call, ''), acknowledge: ACKNOWLEDGE }
  }

  const commandUpdate = async (body: Record<string, unknown>): Promise<Classified> => {
    const parsed = v.safeParse(CommandUpdate, body)
    if (!parsed.success) return invalid(`RingCentral on-command-update not readable: ${firstIssue(parsed.issues)}`)
    const { sessionId, command, status, parameters } = parsed.output
    if (command !== 'Collect') return playUpdate(sessionId, command, status)
    const call = simulatedCall(body) ?? (await readState(sessionId))
    if (!call) return invalid(`RingCentral Collect update for an unknown session ${sessionId}`)
    // Timeout: nothing typed. Not Found: typed, but no pattern matched.
    const digits = status === 'Completed' ? (parameters?.digits ?? '') : status === 'Not Found' ? NOT_FOUND_DIGITS : ''
    return { kind: 'call', event: event(sessionId, call, digits), acknowledge: ACKNOWLEDGE }
  }

  /** A Play's update is a notice; when the Play has ended, what waited for it goes out after the 204. */
  const playUpdate = async (sessionId: string, command: string, status: string): Promise<Classified> => {
    const played: CallStatus = { callId: sessionId, status: `${command}:${status}`, final: false }
    if (command !== 'Play' || !PLAY_ENDED.has(status)) return notice(played)
    const call = await readState(sessionId)
    if (!call?.pending || call.pending.length === 0) return notice(played)
    const { pending, ...rest } = call
    // A key stopped the prompt: the Collect keeps what was typed instead of clearing it (resetInput).
    const next = status === 'Interrupted' ? pending.map(keepTypedDigits) : pending
    return notice(played, {
      ...ACKNOWLEDGE,
      followUp: async () => {
        await state.set(PROVIDER, sessionId, { ...rest })
        await client.send(sessionId, next)
      },
    })
  }

  const simulatedCall = (body: Record<string, unknown>): RingCentralState | undefined => {
    const simulated = body.simulated
    if (!isRecord(simulated) || simulated.key !== simulationKey) return undefined
    return {
      step: String(simulated.step),
      attempt: 1,
      callerParty: SIMULATED.callerParty,
      appParty: SIMULATED.appParty,
      from: String(simulated.from),
      to: String(simulated.to),
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
        if (!decision.targets[0]) return 'dial: no target'
        if (decision.targets[0].value === '') return 'dial: empty target'
        return playable(decision.announce)
      case 'voicemail':
        return 'action: RingCentral IVR apps have no voicemail command (Play, Collect and Forward only); use dial or hangup'
      default:
        return undefined
    }
  }

  const playable = (items: SayItem[]) =>
    items.some((item) => item.type !== 'recording' || !/^https?:\/\//.test(item.value))
      ? 'say: RingCentral plays audio files from URLs (recording:https://…), it has no text to speech here'
      : undefined

  /** The REST commands for a decision, in the order the caller must live them. */
  const commandsFor = (decision: Decision, call: Parties): Command[] => {
    const play = (items: SayItem[], interruptByDtmf: boolean): Command[] =>
      items.length > 0
        ? [
            {
              command: 'play',
              party: call.callerParty,
              body: { resources: items.map((item) => ({ uri: item.value })), interruptByDtmf, repeatCount: 1 },
            },
          ]
        : []
    switch (decision.action) {
      case 'collect': {
        const longest = decision.maxDigits ?? 16
        return [
          // A key during the prompt stops it, so the caller who knows the number need not hear it out.
          ...play(decision.prompt, true),
          {
            command: 'collect',
            party: call.callerParty,
            body: {
              // x is any key: one pattern per length, the terminator (#) ends the input early.
              patterns: Array.from({ length: longest }, (_, index) => 'x'.repeat(index + 1)),
              timeout: decision.timeoutSeconds * 1000,
              interDigitTimeout: 5000,
              terminator: '#',
            },
          },
        ]
      }
      case 'dial': {
        const target = decision.targets[0]
        if (!target) return []
        // Forward acts on the app's own party, not the caller's.
        const forward = target.type === 'extension' ? { extensionNumber: target.value } : { phoneNumber: target.value }
        return [...play(decision.announce, false), { command: 'forward', party: call.appParty, body: forward }]
      }
      case 'hangup':
        return [...play(decision.items, false), { command: 'drop' }]
      case 'provider_default':
        // Our failover for RingCentral, which has none of its own: a person, never silence.
        if (!failover) return []
        return [
          {
            command: 'forward',
            party: call.appParty,
            body: failover.type === 'extension' ? { extensionNumber: failover.value } : { phoneNumber: failover.value },
          },
        ]
      default:
        return []
    }
  }

  /**
   * Pure: the commands, and the state to remember, go out in followUp, after the 204 and the decision's
   * record. A Play goes first; what follows it waits in the call's state for the Play's update.
   */
  const render = (decision: Decision, callEvent: Partial<CallEvent>): ProviderAnswer => {
    const sessionId = callEvent.callId
    const parties = partiesOf(callEvent)
    const commands = parties ? commandsFor(decision, parties) : []
    const [first, ...rest] = commands
    const waits = first?.command === 'play' && rest.length > 0
    const now = waits && first ? [first] : commands
    const after = waits ? rest : []
    const collecting = decision.action === 'collect' ? decision.layer : undefined
    const followUp = async () => {
      if (!sessionId || !parties) return
      if (!client.hasToken) {
        await client.send(sessionId, commands)
        return
      }
      let call: RingCentralState | undefined
      if (collecting !== undefined || after.length > 0) {
        // The Collect update echoes nothing back: the step and attempt it answers are kept here.
        const attempt =
          collecting === undefined ? (callEvent.attempt ?? 1) : collecting === callEvent.layer ? (callEvent.attempt ?? 1) + 1 : 1
        const step = collecting ?? callEvent.layer ?? entryStep
        call = { step, attempt, ...parties, from: callEvent.callerRaw ?? '', to: callEvent.did ?? '' }
        // Written before the Play goes out, so its update finds what waits for it.
        await state.set(PROVIDER, sessionId, after.length > 0 ? { ...call, pending: after } : { ...call })
      }
      if ((await client.send(sessionId, now)) || after.length === 0) return
      // The Play was refused, so no update will come for it: what follows goes now, not never.
      if (call) await state.set(PROVIDER, sessionId, { ...call })
      await client.send(sessionId, after)
    }
    return {
      ...ACKNOWLEDGE,
      body: JSON.stringify([...now.map(shown), ...after.map((command) => ({ ...shown(command), after: 'play' }))]),
      followUp: sessionId && commands.length > 0 ? followUp : undefined,
    }
  }

  /**
   * The simulator's fields as RingCentral would send them: an on-call-enter at the entry step, or for any
   * other step (or digits) a Collect update. A real Collect update is read against the call's state, which a
   * simulation has none of, so this one carries the step and numbers itself, under a key that only this
   * process knows; its commands are addressed to made-up parties.
   */
  const simulatedRequest = ({ did, caller, dtmf, layer }: SimulatedCall) => {
    const step = layer || entryStep
    if (dtmf === '' && step === entryStep) {
      return {
        method: 'POST',
        query: {},
        body: {
          sessionId: SIMULATED.sessionId,
          partyId: SIMULATED.appParty,
          inParty: { id: SIMULATED.callerParty, from: { phoneNumber: caller }, to: { phoneNumber: did } },
        },
      }
    }
    const status = dtmf === '' ? 'Timeout' : dtmf === NOT_FOUND_DIGITS ? 'Not Found' : 'Completed'
    return {
      method: 'POST',
      query: {},
      body: {
        sessionId: SIMULATED.sessionId,
        partyId: SIMULATED.callerParty,
        command: 'Collect',
        status,
        ...(status === 'Completed' ? { parameters: { digits: dtmf } } : {}),
        simulated: { key: simulationKey, step, from: caller, to: did },
      },
    }
  }

  const handler = {
    lookupDeadlineMs,
    /**
     * The webhook validation request is told apart by its Validation-Token header, so the core must read the
     * headers of RingCentral's requests (as it does for providers with `verify`).
     */
    readsHeaders: true,
    classify,
    check,
    render,
    simulatedRequest,
  }
  return handler
}

/** A Collect after a Play a key interrupted keeps the keys typed during the prompt. */
const keepTypedDigits = (command: Command): Command =>
  command.command === 'collect' ? { ...command, body: { ...command.body, resetInput: false } } : command

/** A command as the decision log shows it. */
const shown = ({ party, command, body }: Command) => (party === undefined ? { command } : { party, command, body })

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
    RINGCENTRAL_FAILOVER: setting(
      v.optional(
        v.pipe(
          v.string(),
          v.trim(),
          v.regex(/^(\+[1-9]\d{6,14}|\d{1,8})$/, 'must be an extension number (101) or a phone number in E.164 (+16505550100)'),
        ),
      ),
      'Where a call goes that no rule or fallback answers: an extension number or a phone number in E.164. Without it such a caller waits in silence.',
    ),
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
      failover: config.RINGCENTRAL_FAILOVER
        ? { type: config.RINGCENTRAL_FAILOVER.startsWith('+') ? 'phone' : 'extension', value: config.RINGCENTRAL_FAILOVER }
        : undefined,
      fetch: services.fetch,
    }),
})
