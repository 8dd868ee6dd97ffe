import { safeText } from '../lib/safe-text.ts'
import type { CallEvent, Decision, SayItem } from '../model/call-event.ts'
import type { ProviderHandler, RenderExtras } from './provider.ts'

/**
 * Screen-pop entries per answer. A contact's free fields all become screen-pop data, and a CRM record can
 * have thousands; agents' screens show a few dozen.
 */
export const MAX_SCREEN_POP_ENTRIES = 100

type Render<Answer> = (decision: Decision, event: Partial<CallEvent>, extras?: RenderExtras) => Answer

/**
 * Wraps a provider's render so that every string it is given, whether it came from a CRM contact (through the
 * rules' templates), from the caller's request or from a rule, is safe for the wire and capped (safe-text.ts).
 * Providers only format: everything they put into an answer comes through here, so no provider format can
 * be broken by what a caller or a CRM sends.
 */
export const safeRender =
  <Answer>(render: Render<Answer>): Render<Answer> =>
  (decision, event, extras) =>
    render(safeDecision(decision), safeCallEvent(event), extras && safeExtras(extras))

const safeExtras = (extras: RenderExtras): RenderExtras => ({
  ...extras,
  ...(extras.noInput ? { noInput: safeDecision(extras.noInput) } : {}),
  ...(extras.noInputPath ? { noInputPath: extras.noInputPath.map(safeDecision) } : {}),
})

/**
 * Wraps a provider's check so it judges the decision as render will see it: a dial target or a prompt that
 * was nothing but control characters is refused there, and the next rule is tried.
 */
export const safeCheck =
  (check: (decision: Decision) => string | undefined) =>
  (decision: Decision): string | undefined =>
    check(safeDecision(decision))

/**
 * A provider's handler as the core uses it: render and check always see cleaned, capped text. Applied by the
 * service to every provider it creates, so no provider can forget it.
 */
export const withSafeText = <Handler extends ProviderHandler>(handler: Handler): Handler => ({
  ...handler,
  check: safeCheck(handler.check),
  render: safeRender(handler.render),
})

export const safeDecision = (decision: Decision): Decision => {
  switch (decision.action) {
    case 'go_to_layer':
      return { ...decision, layer: id(decision.layer), callerName: name(decision.callerName), customData: screenPop(decision.customData) }
    case 'say':
      return {
        ...decision,
        items: sayItems(decision.items),
        nextLayer: id(decision.nextLayer),
        failedLayer: optionalId(decision.failedLayer),
        language: id(decision.language),
        customData: screenPop(decision.customData),
      }
    case 'collect':
      return {
        ...decision,
        layer: id(decision.layer),
        prompt: sayItems(decision.prompt),
        language: id(decision.language),
        customData: screenPop(decision.customData),
      }
    case 'hangup':
      return { ...decision, items: sayItems(decision.items), language: id(decision.language), ...sms(decision.sms) }
    case 'voicemail':
      return {
        ...decision,
        prompt: sayItems(decision.prompt),
        language: id(decision.language),
        customData: screenPop(decision.customData),
        ...sms(decision.sms),
      }
    case 'dial':
      return {
        ...decision,
        // Kept even when emptied: the providers' checks refuse empty targets.
        targets: decision.targets.map((target) => ({ type: target.type, value: id(target.value) })),
        announce: sayItems(decision.announce),
        language: id(decision.language),
        callerId: optionalId(decision.callerId),
        callerName: name(decision.callerName),
        failedLayer: optionalId(decision.failedLayer),
        customData: screenPop(decision.customData),
        ...sms(decision.sms),
      }
    case 'provider_default':
      return decision
  }
}

const EVENT_IDS = ['callId', 'did', 'didE164', 'callerRaw', 'caller', 'dtmf', 'layer', 'previousLayer'] as const

/** The call's own values that answers echo back (SetCaller number, CALLER_ID, eventUrl state). */
export const safeCallEvent = <Event extends Partial<CallEvent>>(event: Event): Event => {
  const safe: Event = { ...event }
  for (const key of EVENT_IDS) {
    const value = event[key]
    if (typeof value === 'string') safe[key] = id(value)
  }
  if (event.customData) safe.customData = screenPop(event.customData)
  return safe
}

const id = (value: string) => safeText(value, 'id')
const optionalId = (value: string | undefined) => (value === undefined ? undefined : id(value))
const name = (value: string | undefined) => (value === undefined ? undefined : safeText(value, 'name'))

/**
 * An SMS is text like a prompt (line breaks kept, capped at TEXT_CAPS.text); one left empty is not sent
 * (undefined). A decision without an SMS is left without the key.
 */
const sms = (text: string | undefined): { sms?: string } => (text === undefined ? {} : { sms: safeText(text, 'text').trim() || undefined })

/** Items left with nothing to say are dropped: providers refuse empty text. */
const sayItems = (items: SayItem[]): SayItem[] =>
  items
    .map((item) => ({ type: item.type, value: safeText(item.value, item.type === 'recording' ? 'url' : 'text') }))
    .filter((item) => item.value.trim() !== '')

const screenPop = (data: Record<string, string>): Record<string, string> => {
  const safe: Record<string, string> = {}
  let entries = 0
  for (const [key, value] of Object.entries(data)) {
    if (entries >= MAX_SCREEN_POP_ENTRIES) break
    const safeKey = safeText(key, 'key')
    if (safeKey === '') continue
    safe[safeKey] = safeText(String(value), 'field')
    entries++
  }
  return safe
}
