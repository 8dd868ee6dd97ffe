import * as v from 'valibot'

/** Routee dial plans as its verb reference documents them; checks every answer we send. */
const Message = v.strictObject({
  language: v.picklist([
    'en-US',
    'en-GB',
    'de-DE',
    'fr-FR',
    'it-IT',
    'pt-BR',
    'es-ES',
    'es-LA',
    'el-GR',
    'bg-BG',
    'pl-PL',
    'hu-HU',
    'sv-SE',
    'ru-RU',
  ]),
  gender: v.picklist(['male', 'female']),
  text: v.pipe(v.string(), v.nonEmpty()),
})

const Verb = v.variant('type', [
  v.strictObject({ type: v.literal('SAY'), message: Message, bargeIn: v.optional(v.boolean()), repeat: v.optional(v.number()) }),
  v.strictObject({ type: v.literal('PLAY'), fileURL: v.pipe(v.string(), v.url()), bargeIn: v.optional(v.boolean()) }),
  v.strictObject({ type: v.literal('PAUSE'), duration: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
  v.strictObject({
    type: v.literal('COLLECT'),
    eventUrl: v.pipe(v.string(), v.url()),
    maxDigits: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    submitOnHash: v.optional(v.boolean()),
  }),
  v.strictObject({
    type: v.literal('DIAL'),
    from: v.pipe(v.string(), v.nonEmpty()),
    to: v.strictObject({ phone: v.pipe(v.string(), v.regex(/^\+\d{6,15}$/)) }),
    hangupDelay: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    maxDuration: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    record: v.optional(v.boolean()),
  }),
])

export const RouteeDialPlan = v.pipe(
  v.strictObject({ verbs: v.pipe(v.array(Verb), v.minLength(1)) }),
  v.check((plan) => plan.verbs.filter((verb) => verb.type === 'DIAL').length <= 1, 'at most one DIAL per plan'),
  // Every tone of the plan goes to its COLLECT's eventUrl: with two, which one gets them is not documented.
  v.check((plan) => plan.verbs.filter((verb) => verb.type === 'COLLECT').length <= 1, 'at most one COLLECT per plan'),
)

export const isRouteeDialPlan = (body: unknown): boolean => v.safeParse(RouteeDialPlan, body).success

export const SORRY = 'Sorry, we cannot take your call right now. Please try again later.'

export const isSorryPlan = (body: unknown): boolean => {
  const verbs = (body as { verbs?: { type: string; message?: { text: string } }[] }).verbs ?? []
  return verbs.length === 1 && verbs[0]?.message?.text === SORRY
}
