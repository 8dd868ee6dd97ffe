import type { CallEvent } from '../model/call-event.ts'
import type { Contact } from '../model/contact.ts'

/** What templates and contact conditions can read: the call, and the contact the rule identified. */
export interface Scope {
  call: CallEvent
  attempt: number
  contact?: Contact
}

/**
 * Resolves a dotted path. `call.*`, `contact.*`, `owner.*` (the contact's owner) and `fields.*` (free fields);
 * a bare name such as `segment` reads the contact. Undefined when the value is missing or empty.
 */
export const resolvePath = (scope: Scope, path: string): string | undefined => {
  const [head = '', ...rest] = path.split('.')
  let value: unknown
  if (head === 'call') value = readCall(scope, rest)
  else if (head === 'contact') value = dig(scope.contact, rest)
  else if (head === 'owner') value = dig(scope.contact?.owner, rest)
  else if (head === 'fields') value = dig(scope.contact?.fields, rest)
  else value = dig(scope.contact, [head, ...rest])
  if (Array.isArray(value)) value = value.join(',')
  if (value === undefined || value === null || value === '') return undefined
  return typeof value === 'object' ? undefined : String(value)
}

/** Names a rule may use under `call.`; checked when the rule is loaded. */
export const CALL_FIELDS = [
  'caller',
  'caller_raw',
  'did',
  'did_e164',
  'dtmf',
  'layer',
  'previous_layer',
  'id',
  'provider',
  'attempt',
] as const

const readCall = (scope: Scope, rest: string[]): unknown => {
  const call = scope.call
  switch (rest.join('.')) {
    case 'caller':
      return call.caller
    case 'caller_raw':
      return call.callerRaw
    case 'did':
      return call.did
    case 'did_e164':
      return call.didE164
    case 'dtmf':
      return call.dtmf
    case 'layer':
      return call.layer
    case 'previous_layer':
      return call.previousLayer
    case 'id':
      return call.callId
    case 'provider':
      return call.provider
    case 'attempt':
      return scope.attempt
    default:
      return rest[0] === 'custom' ? dig(call.customData, rest.slice(1)) : undefined
  }
}

const dig = (value: unknown, path: string[]): unknown => {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}
