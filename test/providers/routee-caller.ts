/**
 * The caller's side of a Routee call: what they hear of a dial plan and what Routee does with what they
 * type. No Node APIs: the call-flow suite runs it in workerd too.
 */

/** A dial-plan verb as the tests read it. */
export interface RouteeVerb {
  type: string
  message?: { text: string; language?: string; gender?: string }
  fileURL?: string
  bargeIn?: boolean
  eventUrl?: string
  maxDigits?: number
  submitOnHash?: boolean
  duration?: number
  from?: string
  to?: { phone: string }
}

/**
 * What a caller types, by where in the plan: `SAY#1` is the first SAY (the prompt), `PAUSE#1` the first
 * PAUSE (after it), `SAY#2` the second SAY, and so on; `#` is the pound key.
 */
export type CallerKeys = Partial<Record<`${'SAY' | 'PLAY' | 'PAUSE'}#${number}`, string>>

/** How a plan ends for the caller, and what they heard on the way. */
export type PlanOutcome = { heard: string[] } & (
  | { kind: 'post'; eventUrl: string; collectedTones: string }
  | { kind: 'dial'; from: string; to: string }
  /** The plan ran out: the call is over (Routee then posts "" to the COLLECT's eventUrl, when there is one). */
  | { kind: 'hangup'; eventUrl?: string }
)

/**
 * Plays a dial plan to a caller as Routee's verb reference describes it, so a test can replay a whole call:
 * - a COLLECT anywhere in the plan gathers every tone typed anywhere in it (reference/collect-verb), posted
 *   to its eventUrl when # is pressed with submitOnHash;
 * - the first tone typed during a SAY or PLAY with bargeIn ends it and posts every tone so far at once
 *   (reference/say-verb: "the first DTMF tone will interrupt the current execution");
 * - the plan ends after its last verb (the call with it), or at a DIAL.
 * A plan with two COLLECTs is refused: which eventUrl would get the tones is not documented.
 */
export const playDialPlan = (verbs: RouteeVerb[], keys: CallerKeys = {}, tones: 'commas' | 'plain' = 'commas'): PlanOutcome => {
  const collects = verbs.filter((verb) => verb.type === 'COLLECT')
  if (collects.length > 1) throw new Error(`a plan with ${collects.length} COLLECTs: ${JSON.stringify(collects.map((c) => c.eventUrl))}`)
  const collect = collects[0]
  const heard: string[] = []
  const typed: string[] = []
  const seen = new Map<string, number>()
  const post = (): PlanOutcome => ({
    kind: 'post',
    eventUrl: collect?.eventUrl ?? '',
    collectedTones: typed.join(tones === 'commas' ? ',' : ''),
    heard,
  })
  for (const verb of verbs) {
    const nth = (seen.get(verb.type) ?? 0) + 1
    seen.set(verb.type, nth)
    if (verb.type === 'DIAL') return { kind: 'dial', from: verb.from ?? '', to: verb.to?.phone ?? '', heard }
    if (verb.type === 'SAY') heard.push(verb.message?.text ?? '')
    if (verb.type === 'PLAY') heard.push(verb.fileURL ?? '')
    for (const key of keys[`${verb.type}#${nth}` as keyof CallerKeys] ?? '') {
      // Without a COLLECT in the plan, tones go nowhere.
      if (!collect) continue
      if (key === '#' && collect.submitOnHash) return post()
      if (key !== '#' && typed.length < (collect.maxDigits ?? 30)) typed.push(key)
      if (verb.bargeIn) return post()
    }
  }
  return { kind: 'hangup', eventUrl: collect?.eventUrl, heard }
}
