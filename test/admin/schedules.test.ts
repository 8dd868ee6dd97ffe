import { afterEach, describe, expect, it } from 'vitest'
import { startNodeServer } from '../../src/runtime/node.ts'
import { MONDAY_MORNING, recordingLogger, startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'

const TOKEN = 'schedules-admin-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }
/** Saturday 10:00 in Israel: the demo office is closed. */
const SATURDAY_MORNING = new Date('2026-11-28T08:00:00Z')

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The real server with a clock the test moves. */
const start = async () => {
  const clock = { now: MONDAY_MORNING }
  server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN }, clock: () => clock.now })
  return { target: server, clock }
}

const admin = async (target: TestServer, method: string, path: string, body?: unknown) => {
  const answer = await fetch(`${target.url}/admin${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: answer.status, body: answer.status === 204 ? undefined : await answer.json() }
}

/** A Voicenter caller at the greeting (layer 1), as Voicenter sends it; the answer it gets. */
const callIn = async (target: TestServer, data: Record<string, string> = {}) =>
  (await (await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1', ...data }))).json()) as {
    ACTION: string
    LAYER?: number
  }

/** After hours, callers go to the voicemail layer (30). */
const AFTER_HOURS_RULE = {
  name: 'After hours to voicemail',
  priority: 1,
  from_layer: '1',
  identify_by: 'none',
  schedule: 'closed:Office hours',
  action: 'go_to_layer',
  to_layer: 30,
}

const TO_VOICEMAIL = { ACTION: 'GO_TO_LAYER', LAYER: 30 }

const officeHours = async (target: TestServer) =>
  ((await admin(target, 'GET', '/schedules')).body as { id: number; name: string; hours: string }[]).find(
    (row) => row.name === 'Office hours',
  ) as { id: number; hours: string }

describe('admin schedules and holidays', () => {
  it('routes a closed:Office hours rule outside hours and on a holiday, not inside hours', async () => {
    const { target, clock } = await start()
    const office = await officeHours(target)
    expect(office).toMatchObject({ time_zone: 'Asia/Jerusalem', hours: 'sun-thu 08:00-17:00; fri 08:00-13:00' })
    const rule = await admin(target, 'POST', '/rules', AFTER_HOURS_RULE)
    expect(rule).toMatchObject({ status: 201, body: { schedule: 'closed:Office hours' } })

    // Monday 10:00 in Israel: open, the rule does not fire.
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)
    // Friday 14:00: the short Friday is over.
    clock.now = new Date('2026-11-27T12:00:00Z')
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)
    clock.now = SATURDAY_MORNING
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)

    // A holiday on that Monday closes it.
    clock.now = MONDAY_MORNING
    const holiday = await admin(target, 'POST', '/holidays', { schedule_id: office.id, date: '2026-11-23', name: 'Staff day' })
    expect(holiday).toMatchObject({ status: 201, body: { date: '2026-11-23', end_date: null, hours: null, name: 'Staff day' } })
    expect(await callIn(target, { IVR_UNIQUE_ID: 'holiday-call' })).toMatchObject(TO_VOICEMAIL)
    await target.settle()
    const decision = target.openSideConnection().prepare("SELECT rule_name, reason FROM decisions WHERE call_id = 'holiday-call'").get()
    expect(decision).toEqual({ rule_name: 'After hours to voicemail', reason: 'schedule: closed (holiday: Staff day)' })

    // Special hours that day: open 09:00-12:00 (10:00 now), so the rule does not fire.
    expect((await admin(target, 'PATCH', `/holidays/${holiday.body.id}`, { hours: '09:00-12:00' })).status).toBe(200)
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)
    // Gone: Monday is an ordinary day again.
    expect((await admin(target, 'DELETE', `/holidays/${holiday.body.id}`)).status).toBe(204)
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)
  })

  it('changes live routing when the hours change, by the API or by any SQLite tool', async () => {
    const { target } = await start()
    const office = await officeHours(target)
    await admin(target, 'POST', '/rules', AFTER_HOURS_RULE)
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)
    // Mondays off.
    const changed = await admin(target, 'PATCH', `/schedules/${office.id}`, { hours: 'sun,tue-thu 08:00-17:00; fri 08:00-13:00' })
    expect(changed.status).toBe(200)
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)
    // An edit made outside the service is picked up too (the revision triggers).
    target.openSideConnection().prepare('UPDATE schedules SET hours = ? WHERE id = ?').run('sun-fri 09:00-18:00', office.id)
    expect(await callIn(target)).not.toMatchObject(TO_VOICEMAIL)
    target.openSideConnection().prepare('INSERT INTO holidays (date, name) VALUES (?, ?)').run('2026-11-23', 'Everyone off')
    expect(await callIn(target)).toMatchObject(TO_VOICEMAIL)
  })

  it('refuses a rule naming no schedule, in the live rules and in a draft', async () => {
    const { target } = await start()
    const refused = await admin(target, 'POST', '/rules', { ...AFTER_HOURS_RULE, schedule: 'closed:Ofice hours' })
    expect(refused).toMatchObject({ status: 400, body: { error: { message: 'schedule: no schedule named "Ofice hours"' } } })
    const malformed = await admin(target, 'POST', '/rules', { ...AFTER_HOURS_RULE, schedule: 'Office hours' })
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.message).toBe(
      'schedule: "Office hours" must be open:<schedule name> or closed:<schedule name> (e.g. closed:Office hours)',
    )
    const rule = await admin(target, 'POST', '/rules', AFTER_HOURS_RULE)
    const patched = await admin(target, 'PATCH', `/rules/${rule.body.id}`, { schedule: 'open:Nights' })
    expect(patched).toMatchObject({ status: 400, body: { error: { message: 'schedule: no schedule named "Nights"' } } })
    // Switching it off is always allowed.
    expect((await admin(target, 'PATCH', `/rules/${rule.body.id}`, { enabled: false })).status).toBe(200)
    await admin(target, 'POST', '/draft')
    const drafted = await admin(target, 'POST', '/draft/rules', { ...AFTER_HOURS_RULE, schedule: 'open:Nights' })
    expect(drafted).toMatchObject({ status: 400, body: { error: { message: 'schedule: no schedule named "Nights"' } } })
    const rows = target.openSideConnection().prepare("SELECT count(*) AS n FROM rules WHERE schedule LIKE '%Nights%'").get()
    expect(rows).toEqual({ n: 0 })
  })

  it('refuses to delete or rename a schedule rules name, naming the rules; deletes it and its holidays once unused', async () => {
    const { target } = await start()
    const office = await officeHours(target)
    const rule = await admin(target, 'POST', '/rules', AFTER_HOURS_RULE)
    const refused = await admin(target, 'DELETE', `/schedules/${office.id}`)
    expect(refused.status).toBe(400)
    expect(refused.body.error.message).toBe(
      `schedule "Office hours" is used by “After hours to voicemail” (rule ${rule.body.id}): change those rules first`,
    )
    const renamed = await admin(target, 'PATCH', `/schedules/${office.id}`, { name: 'Desk hours' })
    expect(renamed.status).toBe(400)
    expect(renamed.body.error.message).toContain('name: rules name this schedule "Office hours"')
    expect((await officeHours(target)).id).toBe(office.id)

    await admin(target, 'PATCH', `/rules/${rule.body.id}`, { schedule: null })
    expect((await admin(target, 'DELETE', `/schedules/${office.id}`)).status).toBe(204)
    const side = target.openSideConnection()
    expect(side.prepare('SELECT count(*) AS n FROM holidays WHERE schedule_id = ?').get(office.id)).toEqual({ n: 0 })
    const history = side.prepare("SELECT entity, action FROM change_log WHERE entity IN ('schedules', 'holidays') ORDER BY id").all()
    expect(history).toEqual([
      { entity: 'schedules', action: 'delete' },
      { entity: 'holidays', action: 'delete' },
    ])
  })

  it('validates schedules and holidays, naming the field, and changes nothing', async () => {
    const { target } = await start()
    const office = await officeHours(target)
    const cases: [string, string, unknown, string][] = [
      ['POST', '/schedules', { name: 'Night', hours: 'mon 8-17' }, 'hours: "mon 8-17": "8" is not a time of day (use HH:MM, e.g. 08:00)'],
      [
        'POST',
        '/schedules',
        { name: 'Night', hours: '08:00-17:00' },
        'hours: "08:00-17:00" needs its days, then its hours (e.g. sun-thu 08:00-17:00; fri 08:00-13:00)',
      ],
      [
        'POST',
        '/schedules',
        { name: 'Night', hours: 'mon 08:00-17:00', time_zone: 'Mars/Olympus' },
        'time_zone: "Mars/Olympus" is not a time zone (use an IANA name such as Asia/Jerusalem)',
      ],
      ['POST', '/schedules', { hours: 'mon 08:00-17:00' }, 'name: is required'],
      ['POST', '/schedules', { name: 'Office hours', hours: 'mon 08:00-17:00' }, 'name: a schedule named "Office hours" already exists'],
      ['POST', '/schedules', { name: 'Night', hours: 'mon 08:00-17:00', colour: 'red' }, 'colour: is not a field here'],
      ['POST', '/holidays', { date: '25/12/2026' }, 'date: must be a date written YYYY-MM-DD, e.g. 2026-12-25'],
      ['POST', '/holidays', { date: '2026-02-30' }, 'date: must be a date written YYYY-MM-DD, e.g. 2026-12-25'],
      ['POST', '/holidays', { date: '2026-12-25', end_date: '2026-12-20' }, 'end_date: 2026-12-20 is before date 2026-12-25'],
      ['POST', '/holidays', { date: '2026-12-25', hours: '14:00-10:00' }, 'hours: "14:00-10:00": "14:00-10:00" ends before it starts'],
      ['POST', '/holidays', { date: '2026-12-25', schedule_id: 999 }, 'schedule_id: no schedule with id 999'],
      [
        'PATCH',
        `/schedules/${office.id}`,
        { hours: 'someday' },
        'hours: "someday" needs its days, then its hours (e.g. sun-thu 08:00-17:00; fri 08:00-13:00)',
      ],
    ]
    const side = target.openSideConnection()
    const before = side.prepare('SELECT (SELECT count(*) FROM schedules) + (SELECT count(*) FROM holidays) AS n').get()
    for (const [method, path, body, message] of cases) {
      const answer = await admin(target, method, path, body)
      expect({ path, status: answer.status, message: answer.body.error?.message }).toEqual({ path, status: 400, message })
    }
    expect(side.prepare('SELECT (SELECT count(*) FROM schedules) + (SELECT count(*) FROM holidays) AS n').get()).toEqual(before)
    expect((await officeHours(target)).hours).toBe('sun-thu 08:00-17:00; fri 08:00-13:00')

    const created = await admin(target, 'POST', '/schedules', { name: ' Night line ', hours: 'mon-fri 22:00-02:00', note: 'after hours' })
    expect(created).toMatchObject({ status: 201, body: { name: 'Night line', time_zone: null, hours: 'mon-fri 22:00-02:00' } })
    const history = side.prepare("SELECT entity, action, after FROM change_log WHERE entity = 'schedules'").all() as { after: string }[]
    expect(history).toMatchObject([{ entity: 'schedules', action: 'create' }])
    expect(JSON.parse(history[0]?.after as string)).toMatchObject({ name: 'Night line', time_zone: null })
  })

  it('shows in the simulator why a schedule rule did or did not answer', async () => {
    const { target } = await start()
    const office = await officeHours(target)
    await admin(target, 'POST', '/rules', AFTER_HOURS_RULE)
    await admin(target, 'POST', '/holidays', { schedule_id: office.id, date: '2026-12-25', name: 'Christmas' })
    const simulate = (at: string) =>
      admin(target, 'POST', '/simulate', { provider: 'voicenter', did: '0722776772', caller: '0539999999', layer: '1', at })
    const christmas = await simulate('2026-12-25T08:00:00Z')
    expect(christmas.body.rules[0]).toEqual({
      ruleId: expect.any(Number),
      name: 'After hours to voicemail',
      matched: true,
      reason: 'schedule: closed (holiday: Christmas)',
    })
    expect(christmas.body.reason).toBe('schedule: closed (holiday: Christmas)')
    const saturday = await simulate(SATURDAY_MORNING.toISOString())
    expect(saturday.body.rules[0]).toMatchObject({ matched: true, reason: 'schedule: outside Office hours' })
    const monday = await simulate(MONDAY_MORNING.toISOString())
    expect(monday.body.rules[0]).toMatchObject({ matched: false, reason: 'schedule: Office hours is open' })
  })

  it('lets a call begun before a publish keep the hours it started with, on another process too; a new call gets the new hours', async () => {
    const { target } = await start()
    const office = await officeHours(target)
    // Account numbers typed during office hours go to the desk (layer 77). Published through a draft, so the
    // revision a call starts on is kept whole, schedules included.
    const typed = { LAYER_ID: '5', DTMF: '1234' }
    const TO_DESK = { ACTION: 'GO_TO_LAYER', LAYER: 77 }
    await admin(target, 'POST', '/draft')
    await admin(target, 'POST', '/draft/rules', { ...AFTER_HOURS_RULE, from_layer: '5', schedule: 'open:Office hours', to_layer: 77 })
    expect((await admin(target, 'POST', '/draft/publish', {})).status).toBe(200)
    const publication = target.openSideConnection().prepare('SELECT schedules, holidays FROM routing_publications').get() as {
      schedules: string
      holidays: string
    }
    expect(JSON.parse(publication.schedules)).toMatchObject([{ name: 'Office hours', hours: 'sun-thu 08:00-17:00; fri 08:00-13:00' }])
    expect(JSON.parse(publication.holidays)).toMatchObject([{ name: 'Yom Kippur', date: '2026-09-21' }])

    const callId = 'call-in-progress'
    expect(await callIn(target, { ...typed, IVR_UNIQUE_ID: callId })).toMatchObject(TO_DESK)
    // Mondays off, and another rule published meanwhile.
    await admin(target, 'PATCH', `/schedules/${office.id}`, { hours: 'sun,tue-thu 08:00-17:00' })
    await admin(target, 'POST', '/draft')
    await admin(target, 'POST', '/draft/rules', { name: 'Unrelated', priority: 500, caller: '0500000000', action: 'hangup' })
    expect((await admin(target, 'POST', '/draft/publish', { replace_live_changes: true })).status).toBe(200)

    expect(await callIn(target, { ...typed, IVR_UNIQUE_ID: callId })).toMatchObject(TO_DESK)
    expect(await callIn(target, { ...typed, IVR_UNIQUE_ID: 'new-call' })).not.toMatchObject(TO_DESK)
    // A second process over the same database has no revision in memory: it compiles the call's from its publication.
    await target.settle()
    const second = await startNodeServer({
      env: { DATABASE_PATH: target.databasePath, SEED_DEMO: 'false', RULES_REFRESH_MS: '0', ADMIN_TOKEN: TOKEN },
      log: recordingLogger().log,
      clock: () => MONDAY_MORNING,
      port: 0,
      host: '127.0.0.1',
    })
    try {
      const step = async (id: string) =>
        (
          await fetch(`${second.url}/webhooks/voicenter`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(voicenterRequest({ CALLER_ID: '0539999999', ...typed, IVR_UNIQUE_ID: id })),
          })
        ).json()
      expect(await step(callId)).toMatchObject(TO_DESK)
      expect(await step('another-new-call')).not.toMatchObject(TO_DESK)
    } finally {
      await second.close()
    }
  })
})
