import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, type ConsoleClient, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The console on, with the demo's time zone: the pinned clock (MONDAY_MORNING, 08:00Z) is 10:00 there. */
const start = async () => {
  server = await startTestServer({ env: { ...CONSOLE_ENV, TIME_ZONE: 'Asia/Jerusalem' } })
  return server
}

const signedIn = async (target: TestServer, token = ADMIN_TOKEN) => {
  const browser = consoleClient(target.url)
  await browser.signIn(token)
  return browser
}

/** Every field of the form as a browser posts it: Dana Levi (VIP in the demo) calling the demo DID on Monday morning. */
const testCall = (fields: Record<string, string> = {}) => ({
  provider: 'voicenter',
  caller: '0501234567',
  did: '0722776772',
  layer: '1',
  dtmf: '',
  attempt: '1',
  date: '2026-11-23',
  time: '10:00',
  ...fields,
})

const run = async (browser: ConsoleClient, fields: Record<string, string> = {}) => browser.post('/console/test', testCall(fields))

/** The text of the element with this id (its first closing tag ends it: for cells and <pre>). */
const byId = (page: string, id: string, tag = 'td') => {
  const match = new RegExp(`<${tag}[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</${tag}>`).exec(page)
  return match ? textOf(match[1] as string) : undefined
}

/** One row of the rule trace: [order, rule, matched?, reason]. */
const traceRow = (page: string, ruleId: number) => {
  const row = new RegExp(`<tr id="trace-${ruleId}"[^>]*>([\\s\\S]*?)</tr>`).exec(page)?.[1]
  return row ? [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1] as string)) : undefined
}

/** The wire answer's body as shown in its <pre>, read back as JSON. */
const wireJson = (page: string) => JSON.parse(byId(page, 'answer-body', 'pre') ?? 'null')

const count = (target: TestServer, table: string) =>
  (target.openSideConnection().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

describe('console: test a call', () => {
  it('offers the registered providers and now, in the service time zone', async () => {
    const target = await start()
    const browser = await signedIn(target)
    const page = await browser.get('/console/test')
    expect(page.status).toBe(200)
    const options = [...page.html.matchAll(/<option value="([^"]+)"/g)].map((match) => match[1])
    expect(options).toEqual(['voicenter', 'routee', 'voipnow', 'stringee', 'ringcentral'])
    expect(page.html).toContain('name="date" type="date" value="2026-11-23"')
    expect(page.html).toContain('name="time" type="time" value="10:00"')
    expect(textOf(page.html)).toContain('In Asia/Jerusalem')
  })

  it("gives a VIP caller the DIAL answer of the VIP rule, the rules before it not matching, and the live endpoint's exact answer", async () => {
    const target = await start()
    const browser = await signedIn(target)
    const page = await run(browser)
    expect(page.status).toBe(200)
    expect(byId(page.html, 'decision-action')).toBe('dial')
    expect(byId(page.html, 'decision-target')).toBe('extension 101')
    expect(byId(page.html, 'decision-why')).toBe('rule VIP callers ring their account manager matched')
    expect(traceRow(page.html, 1)).toEqual(['1', 'Closed on Saturday: voicemail #1', 'no', 'outside the time window'])
    expect(traceRow(page.html, 2)).toEqual([
      '2',
      'VIP callers ring their account manager #2',
      'matched',
      'every condition met: this rule answers',
    ])
    // Rules after the one that answered are not tried.
    expect(traceRow(page.html, 3)).toBeUndefined()
    const lookup = textOf(/<tr id="lookup-caller">([\s\S]*?)<\/tr>/.exec(page.html)?.[1] ?? '')
    expect(lookup).toMatch(/^by caller ID found Dana Levi \(VIP\) local-directory:1 owner John Doe [\d.]+ ms$/)
    expect(textOf(page.html)).toMatch(/↳ local-directory found [\d.]+ ms/)
    expect(byId(page.html, 'answer-status', 'span')).toBe('200')
    expect(byId(page.html, 'answer-type', 'span')).toBe('application/json; charset=utf-8')
    const simulated = wireJson(page.html)
    expect(simulated).toMatchObject({ ACTION: 'DIAL', TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }], CALLER_NAME: 'Dana Levi' })
    // Pretty-printed: one key a line.
    expect(page.html).toMatch(/<pre id="answer-body">\{\n {2}&quot;STATUS&quot;: 0,\n/)
    // The form keeps what was typed, to change a field and run again.
    expect(page.html).toContain('<option value="voicenter" selected>')
    expect(page.html).toContain('name="caller" type="text" value="0501234567" aria-describedby="f-caller-hint"')
    expect(page.html).toContain('name="layer" type="text" value="1"')

    const live = await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0501234567', LAYER_ID: '1' }))
    expect(simulated).toEqual(await live.json())
  })

  it('gives an unknown caller the fallback, and says why', async () => {
    const target = await start()
    const browser = await signedIn(target)
    // Layer 7: no demo rule is for it (at layer 1 the demo asks an unknown caller for the account number).
    const page = await run(browser, { caller: '0539999999', layer: '7' })
    expect(page.status).toBe(200)
    expect(byId(page.html, 'decision-why')).toBe('fallback “Everything else: operators”, because no rule matched')
    expect(byId(page.html, 'decision-action')).toBe('go to layer')
    expect(byId(page.html, 'decision-target')).toBe('layer 20')
    for (const rule of [1, 2, 3, 4, 5, 6, 7, 8]) expect(traceRow(page.html, rule)?.slice(2)).toEqual(['no', 'layer is 7'])
    expect(textOf(page.html)).toContain('No rule matched, so a fallback answered.')
    expect(textOf(page.html)).toContain('No CRM lookup: no rule that could apply to this call needs one.')
    expect(wireJson(page.html)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })

    const atLayerOne = await run(browser, { caller: '0539999999' })
    expect(byId(atLayerOne.html, 'decision-why')).toBe('rule Unknown callers are asked for their account number matched')
    expect(traceRow(atLayerOne.html, 2)?.slice(2)).toEqual(['no', 'lookup by caller is not_found'])
  })

  it('follows the PIN flow at layer 5: the account number found, a balance announced, a person after the third try', async () => {
    const target = await start()
    const browser = await signedIn(target)
    const found = await run(browser, { layer: '5', dtmf: '12345678' })
    expect(byId(found.html, 'decision-why')).toBe('rule Account number found: to the representatives matched')
    expect(traceRow(found.html, 5)?.slice(2)).toEqual(['no', 'contact_match: fields.balance > 0'])
    expect(textOf(/<tr id="lookup-pin">([\s\S]*?)<\/tr>/.exec(found.html)?.[1] ?? '')).toMatch(
      /^by digits typed \(PIN \/ account\) found Dana Levi \(VIP\) local-directory:1 owner John Doe [\d.]+ ms$/,
    )
    expect(wireJson(found.html)).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 12, CALLER_NAME: 'Dana Levi' })

    const balance = await run(browser, { layer: '5', dtmf: '1234' })
    expect(byId(balance.html, 'decision-why')).toBe('rule Account number with a balance due: announce it matched')
    expect(byId(balance.html, 'decision-action')).toBe('say')
    expect(byId(balance.html, 'decision-target')).toContain('number 112')

    const wrong = await run(browser, { layer: '5', dtmf: '999' })
    expect(byId(wrong.html, 'decision-why')).toBe('rule No or wrong account number: ask again (twice) matched')
    const third = await run(browser, { layer: '5', dtmf: '999', attempt: '3' })
    expect(byId(third.html, 'decision-why')).toBe('rule Third failed account number: a person takes the call matched')
    expect(traceRow(third.html, 7)?.slice(2)).toEqual(['no', 'attempt is 3'])
    expect(byId(third.html, 'decision-target')).toBe('extension 100')
    expect(third.html).toContain('name="attempt" type="text" value="3"')
  })

  it('reads the date and time in the service time zone', async () => {
    const target = await start()
    const browser = await signedIn(target)
    const saturday = await run(browser, { date: '2026-11-28', time: '11:00' })
    expect(byId(saturday.html, 'decision-why')).toBe('rule Closed on Saturday: voicemail matched')
    expect(textOf(saturday.html)).toContain('2026-11-28 11:00 Asia/Jerusalem (2026-11-28T09:00:00.000Z)')
    // Past midnight in Jerusalem is still the day before in UTC.
    const sundayNight = await run(browser, { date: '2026-11-29', time: '00:30' })
    expect(textOf(sundayNight.html)).toContain('(2026-11-28T22:30:00.000Z)')
    expect(byId(sundayNight.html, 'decision-why')).toBe('rule VIP callers ring their account manager matched')
  })

  it('shows bad input beside its field with 400, keeps what was typed and runs nothing', async () => {
    const target = await start()
    const browser = await signedIn(target)
    const page = await run(browser, { provider: 'skype', time: '25:00', caller: 'bob', dtmf: '12a', date: '2026-02-30' })
    expect(page.status).toBe(400)
    expect(textOf(page.html)).toContain('The call was not run: see the fields marked below.')
    const errorOf = (field: string) =>
      new RegExp(
        `<div class="field invalid">\\s*<label for="f-${field}">[\\s\\S]*?<span class="error" id="f-${field}-error">([^<]*)</span>`,
      ).exec(page.html)?.[1]
    expect(errorOf('provider')).toBe('must be one of voicenter, routee, voipnow, stringee, ringcentral')
    expect(errorOf('time')).toBe('must be a time of day such as 09:30')
    expect(errorOf('caller')).toBe('must be a phone number such as 0501234567 or +972501234567 (or empty)')
    expect(errorOf('dtmf')).toBe('may hold only digits, * and #')
    expect(errorOf('date')).toBe('is not a day of the calendar')
    expect(page.html).not.toMatch(/<div class="field invalid">\s*<label for="f-did">/)
    expect(page.html).toContain('name="caller" type="text" value="bob"')
    expect(page.html).toContain('name="time" type="time" value="25:00"')
    expect(page.html).not.toContain('id="result"')

    const badTime = await run(browser, { time: 'noon' })
    expect(badTime.status).toBe(400)
    expect(badTime.html).toMatch(/<div class="field invalid">\s*<label for="f-time">/)
    expect(badTime.html).not.toMatch(/<div class="field invalid">\s*<label for="f-provider">/)
  })

  it('records no decision and keeps no call state, where a live call does both', async () => {
    const target = await start()
    const browser = await signedIn(target)
    const before = { decisions: count(target, 'decisions'), callState: count(target, 'call_state') }
    const runs: Record<string, string>[] = [
      {},
      { layer: '5', dtmf: '999', attempt: '2' },
      { provider: 'routee', caller: '+972501234567', did: '+302111234567', layer: '5', dtmf: '12345678' },
      { provider: 'stringee', caller: '972501234567', did: '842471001234', layer: '5', dtmf: '999' },
      { provider: 'ringcentral', caller: '+972501234567', did: '+16505550100', layer: '5', dtmf: '12345678' },
    ]
    for (const fields of runs) {
      const page = await run(browser, fields)
      expect(page.status, JSON.stringify(fields)).toBe(200)
      expect(page.html).toContain('id="answer-status"')
    }
    await target.settle()
    expect({ decisions: count(target, 'decisions'), callState: count(target, 'call_state') }).toEqual(before)

    // The counts do see writes: the same wrong account number as a live call is a decision and an attempt.
    await target.post('/webhooks/voicenter', voicenterRequest({ LAYER_ID: '5', DTMF: '999' }))
    await target.settle()
    expect(count(target, 'decisions')).toBe(before.decisions + 1)
    expect(count(target, 'call_state')).toBe(before.callState + 1)
  })

  it('lets a viewer run it, masking every number but the ones they typed', async () => {
    const target = await start()
    const routeeVip = { provider: 'routee', caller: '+972501234567', did: '+302111234567', layer: '' }
    const admin = await signedIn(target)
    const unmasked = await run(admin, routeeVip)
    expect(byId(unmasked.html, 'decision-target')).toBe('phone +972541000101')

    const viewer = await signedIn(target, VIEWER_TOKEN)
    const page = await run(viewer, routeeVip)
    expect(page.status).toBe(200)
    expect(byId(page.html, 'decision-why')).toBe('rule VIP callers ring their account manager matched')
    // The account manager's number is masked everywhere: the decision, and the wire answer.
    expect(byId(page.html, 'decision-target')).toBe('phone +972•••••••01')
    expect(page.html).not.toContain('972541000101')
    const verbs = wireJson(page.html).verbs as { type: string; from?: string; to?: { phone: string } }[]
    expect(verbs.find((verb) => verb.type === 'DIAL')).toMatchObject({ from: '+302111234567', to: { phone: '+972•••••••01' } })
    // What the viewer typed is shown as typed, in the form and in the call read from it.
    expect(textOf(page.html)).toContain('routee · from +972501234567 · to +302111234567')
    expect(page.html).toContain('name="caller" type="text" value="+972501234567"')

    // The caller typed locally is still theirs in its international form.
    const local = await run(viewer, { caller: '0501234567' })
    expect(textOf(local.html)).toContain('voicenter · from +972501234567')
    expect(wireJson(local.html)).toMatchObject({ CALLER_ID: '0501234567' })
  })

  it('refuses a run without the form’s CSRF token', async () => {
    const target = await start()
    const browser = await signedIn(target, VIEWER_TOKEN)
    const page = await browser.post('/console/test', testCall(), { withoutCsrf: true })
    expect(page.status).toBe(403)
    expect(page.html).not.toContain('id="result"')
    const forged = await browser.post('/console/test', { ...testCall(), _csrf: 'f'.repeat(64) })
    expect(forged.status).toBe(403)
  })
})
