import * as v from 'valibot'

/** Stringee Call Control Objects as its docs describe them: a non-empty array of actions. */
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
  v.looseObject({
    action: v.literal('connect'),
    from: Party,
    to: Party,
    customData: v.optional(v.string()),
    timeout: v.optional(v.number()),
  }),
])

export const isStringeeScco = (body: unknown): boolean => v.safeParse(v.pipe(v.array(Action), v.minLength(1)), body).success

export const isStringeeSorry = (body: unknown): boolean =>
  Array.isArray(body) && body.length === 1 && (body[0] as { text?: string }).text?.startsWith('Sorry, we cannot take your call') === true
