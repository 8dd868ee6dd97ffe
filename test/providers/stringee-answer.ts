import * as v from 'valibot'

/**
 * Stringee Call Control Objects as its docs describe them: a non-empty array of actions.
 * https://developer.stringee.com/docs/server/stringee-call-control-object
 */
const Party = v.object({
  type: v.picklist(['internal', 'external']),
  number: v.pipe(v.string(), v.nonEmpty()),
  alias: v.optional(v.string()),
})
const Action = v.variant('action', [
  v.looseObject({
    action: v.literal('talk'),
    text: v.pipe(v.string(), v.nonEmpty()),
    voice: v.optional(v.string()),
    bargeIn: v.optional(v.boolean()),
  }),
  v.looseObject({ action: v.literal('play'), fileName: v.pipe(v.string(), v.nonEmpty()) }),
  v.looseObject({ action: v.literal('stream'), fileName: v.pipe(v.string(), v.url()) }),
  v.looseObject({
    action: v.literal('input'),
    eventUrl: v.pipe(v.string(), v.url()),
    submitOnHash: v.optional(v.boolean()),
    timeout: v.optional(v.number()),
    maxDigits: v.optional(v.number()),
  }),
  // Asynchronous: records the call from here on; it must come before the connect it records.
  v.looseObject({
    action: v.literal('record'),
    eventUrl: v.optional(v.pipe(v.string(), v.url())),
    format: v.optional(v.picklist(['mp3', 'wav'])),
  }),
  // A voice message from the caller (voicemail): its eventUrl is told when the message is ready.
  v.looseObject({
    action: v.literal('recordMessage'),
    eventUrl: v.pipe(v.string(), v.url()),
    format: v.optional(v.picklist(['mp3', 'wav'])),
    beepStart: v.optional(v.boolean()),
    timeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    silenceTimeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  }),
  v.looseObject({
    action: v.literal('connect'),
    from: Party,
    to: Party,
    customData: v.optional(v.string()),
    timeout: v.optional(v.number()),
    maxConnectTime: v.optional(v.number()),
    peerToPeerCall: v.optional(v.boolean()),
    continueOnFail: v.optional(v.boolean()),
    onFailEventUrl: v.optional(v.pipe(v.string(), v.url())),
  }),
])

/**
 * A record action is only of use before the connect it records, a recordMessage ends the call's actions
 * (nothing is heard while the caller speaks), and a continueOnFail needs its URL.
 */
const ordered = (actions: { action: string; continueOnFail?: boolean; onFailEventUrl?: string }[]) => {
  const connect = actions.findIndex((action) => action.action === 'connect')
  const record = actions.findIndex((action) => action.action === 'record')
  if (record !== -1 && (connect === -1 || record > connect)) return false
  const message = actions.findIndex((action) => action.action === 'recordMessage')
  if (message !== -1 && message !== actions.length - 1) return false
  return actions.every((action) => !action.continueOnFail || Boolean(action.onFailEventUrl))
}

export const isStringeeScco = (body: unknown): boolean => {
  const parsed = v.safeParse(v.pipe(v.array(Action), v.minLength(1)), body)
  return parsed.success && ordered(parsed.output)
}

export const isStringeeSorry = (body: unknown): boolean =>
  Array.isArray(body) && body.length === 1 && (body[0] as { text?: string }).text?.startsWith('Sorry, we cannot take your call') === true
