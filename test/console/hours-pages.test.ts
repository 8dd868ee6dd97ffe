import { afterEach, describe, expect, it } from 'vitest'
import { MONDAY_MORNING, startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, type ConsoleClient, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The real server with a clock the test moves. */
const start = async () => {
  const clock = { now: MONDAY_MORNING }
  server = await startTestServer({ env: CONSOLE_ENV, clock: () => clock.now })
  return { target: server, clock }
}

const signedIn = async (target: TestServer, token = ADMIN_TOKEN): Promise<ConsoleClient> => {
  const browser = consoleClient(target.url)
  await browser.signIn(token)
  return browser
}

/** Every field of the rule form, as a browser posts it (empty inputs included). */
const ruleForm = (fields: Record<string, string>) => ({
  name: '',
  priority: '100',
  enabled: 'on',
  provider: '',
  did: '',
  caller: '',
  from_layer: '',
  dtmf: '',
  identify_by: 'caller',
  lookup: '',
  contact_match: '',
  attempt: '',
  days: '',
  time_from: '',
  time_to: '',
  time_zone: '',
  schedule: '',
  action: '',
  to_layer: '',
  say: '',
  dial: '',
  language: '',
  options: '',
  note: '',
  ...fields,
})

const scheduleForm = (fields: Record<string, string>) => ({
  name: 'Office hours',
  time_zone: 'Asia/Jerusalem',
  hours: '',
  note: '',
  ...fields,
})
const holidayForm = (fields: Record<string, string>) => ({ name: '', schedule_id: '', date: '', end_date: '', hours: '', ...fields })

/** A Voicenter caller at the greeting (layer 1), as Voicenter sends it; the answer it gets. */
const callIn = async (target: TestServer) => {
  const answer = await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1' }))
  expect(answer.status).toBe(200)
  return (await answer.json()) as Record<string, unknown>
}
const TO_VOICEMAIL = { ACTION: 'GO_TO_LAYER', LAYER: 30 }

const officeId = (target: TestServer) =>
  (target.openSideConnection().prepare("SELECT id FROM schedules WHERE name = 'Office hours'").get() as { id: number }).id
const tableCounts = (target: TestServer) =>
  target
    .openSideConnection()
    .prepare('SELECT (SELECT count(*) FROM schedules) AS schedules, (SELECT count(*) FROM holidays) AS holidays')
    .get()

/** A rule made in the console's rule form: callers at the greeting go to voicemail while the office is closed. */
const addAfterHoursRule = async (browser: ConsoleClient) => {
  const created = await browser.post(
    '/console/rules',
    ruleForm({
      name: 'After hours',
      priority: '1',
      from_layer: '1',
      identify_by: 'none',
      schedule: 'closed:Office hours',
      action: 'go_to_layer',
      to_layer: '30',
    }),
  )
  expect(created.status).toBe(303)
}

describe('console hours', () => {
  it('shows each schedule as a week, whether it is open now and until when, and its holidays', async () => {
    const { target, clock } = await start()
    const browser = await signedIn(target)
    const page = await browser.get('/console/hours')
    expect(page.status).toBe(200)
    expect(page.html).toContain('aria-current="page">Hours</a>')
    const text = textOf(page.html)
    expect(text).toContain('Office hours')
    // Monday 10:00 in Israel.
    expect(text).toContain('open now (until Mon 23 Nov 17:00)')
    expect(text).toMatch(/Sunday\s*08:00–17:00/)
    expect(text).toMatch(/Friday\s*08:00–13:00/)
    expect(text).toMatch(/Saturday\s*closed/)
    expect(text).toContain('Yom Kippur')
    expect(text).toContain('No rule names it yet')

    // Saturday (signed in again: the session of Monday has expired).
    clock.now = new Date('2026-11-28T08:00:00Z')
    const saturday = await signedIn(target)
    expect(textOf((await saturday.get('/console/hours')).html)).toContain('closed now (until Sun 29 Nov 08:00)')
  })

  it('routes the next call by hours edited in the console, and by a holiday added there; the history reverts them', async () => {
    const { target } = await start()
    const browser = await signedIn(target)
    await addAfterHoursRule(browser)
    const id = officeId(target)
    expect(textOf((await browser.get('/console/hours')).html)).toContain('Used by “After hours”')
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)

    // Mondays off.
    const edited = await browser.post(`/console/hours/${id}`, scheduleForm({ hours: 'sun,tue-thu 08:00-17:00; fri 08:00-13:00' }))
    expect(edited).toMatchObject({ status: 303 })
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)
    const history = await browser.get('/console/hours/history')
    const changeId = /id="change-(\d+)"/.exec(history.html)?.[1]
    expect(textOf(history.html)).toContain('sun,tue-thu 08:00-17:00')
    expect((await browser.post(`/console/hours/history/${changeId}/revert`)).status).toBe(303)
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)

    // A holiday today closes the office.
    const added = await browser.post(
      '/console/hours/holidays',
      holidayForm({ name: 'Staff day', schedule_id: String(id), date: '2026-11-23' }),
    )
    expect(added.status).toBe(303)
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)
    const page = textOf((await browser.get('/console/hours')).html)
    expect(page).toContain('closed now holiday: Staff day')
    // Upcoming first: today's holiday before the past Yom Kippur.
    expect(page.indexOf('Staff day')).toBeLessThan(page.indexOf('Yom Kippur'))
  })

  it('refuses bad hours, dates and names beside the field with a 400, and changes nothing', async () => {
    const { target } = await start()
    const browser = await signedIn(target)
    const id = officeId(target)
    const before = tableCounts(target)
    const badHours = await browser.post(`/console/hours/${id}`, scheduleForm({ hours: 'mon-fri 9-5' }))
    expect(badHours.status).toBe(400)
    expect(badHours.html).toContain(
      '<span class="error" id="f-hours-error">&quot;mon-fri 9-5&quot;: &quot;9&quot; is not a time of day (use HH:MM, e.g. 08:00)</span>',
    )
    expect(textOf(badHours.html)).toContain('Nothing was changed')
    const badZone = await browser.post(
      '/console/hours',
      scheduleForm({ name: 'Night', time_zone: 'Mars/Olympus', hours: 'mon 20:00-23:00' }),
    )
    expect(badZone.status).toBe(400)
    expect(badZone.html).toContain('id="f-time_zone-error">&quot;Mars/Olympus&quot; is not a time zone')
    const taken = await browser.post('/console/hours', scheduleForm({ hours: 'mon 20:00-23:00' }))
    expect(taken.html).toContain('id="f-name-error">a schedule named &quot;Office hours&quot; already exists')
    const badDate = await browser.post('/console/hours/holidays', holidayForm({ date: '25.12.2026' }))
    expect(badDate.status).toBe(400)
    expect(badDate.html).toContain('id="f-date-error">must be a date written YYYY-MM-DD, e.g. 2026-12-25')
    const backwards = await browser.post('/console/hours/holidays', holidayForm({ date: '2026-12-25', end_date: '2026-12-24' }))
    expect(backwards.status).toBe(400)
    expect(backwards.html).toContain('id="f-end_date-error">2026-12-24 is before date 2026-12-25')
    const badSpecialHours = await browser.post('/console/hours/holidays', holidayForm({ date: '2026-12-25', hours: '15:00-10:00' }))
    expect(badSpecialHours.html).toContain('id="f-hours-error">&quot;15:00-10:00&quot;: &quot;15:00-10:00&quot; ends before it starts')
    expect(tableCounts(target)).toEqual(before)
    const hours = target.openSideConnection().prepare('SELECT hours FROM schedules WHERE id = ?').get(id)
    expect(hours).toEqual({ hours: 'sun-thu 08:00-17:00; fri 08:00-13:00' })
    // A rule naming a schedule in the wrong form is refused beside the field.
    const rule = await browser.post('/console/rules', ruleForm({ name: 'x', schedule: 'Office hours', action: 'hangup' }))
    expect(rule.status).toBe(400)
    expect(rule.html).toContain(
      'id="f-schedule-error">&quot;Office hours&quot; must be open:&lt;schedule name&gt; or closed:&lt;schedule name&gt;',
    )
  })

  it('refuses to delete a schedule rules name, naming them; deletes an unused one with its holidays', async () => {
    const { target } = await start()
    const browser = await signedIn(target)
    await addAfterHoursRule(browser)
    const id = officeId(target)
    const refused = await browser.post(`/console/hours/${id}/delete`)
    expect(refused.status).toBe(400)
    expect(textOf(refused.html)).toContain('Not deleted: schedule "Office hours" is used by “After hours” (rule')
    expect(tableCounts(target)).toEqual({ schedules: 1, holidays: 1 })

    expect(
      (await browser.post('/console/hours', scheduleForm({ name: 'Night line', time_zone: '', hours: 'mon-fri 22:00-02:00' }))).status,
    ).toBe(303)
    const night = target.openSideConnection().prepare("SELECT id, time_zone FROM schedules WHERE name = 'Night line'").get() as {
      id: number
      time_zone: null
    }
    expect(night.time_zone).toBeNull()
    await browser.post('/console/hours/holidays', holidayForm({ schedule_id: String(night.id), date: '2026-12-31' }))
    expect((await browser.post(`/console/hours/${night.id}/delete`)).status).toBe(303)
    expect(tableCounts(target)).toEqual({ schedules: 1, holidays: 1 })
  })

  it('lets a viewer look but not change anything', async () => {
    const { target } = await start()
    const viewer = await signedIn(target, VIEWER_TOKEN)
    const page = await viewer.get('/console/hours')
    expect(page.status).toBe(200)
    expect(textOf(page.html)).toContain('Office hours')
    expect(page.html).not.toContain('/edit"')
    expect(page.html).not.toContain('New schedule')
    const id = officeId(target)
    expect((await viewer.post(`/console/hours/${id}`, scheduleForm({ hours: 'mon 09:00-10:00' }))).status).toBe(403)
    expect((await viewer.post(`/console/hours/${id}/delete`)).status).toBe(403)
    expect((await viewer.post('/console/hours/holidays', holidayForm({ date: '2026-12-25' }))).status).toBe(403)
    expect((await viewer.get('/console/hours/new')).status).toBe(403)
    expect(tableCounts(target)).toEqual({ schedules: 1, holidays: 1 })
  })
})
