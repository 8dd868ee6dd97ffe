import { eq } from 'drizzle-orm'
import type { Database } from './database.ts'
import { contacts, fallbacks, holidays, owners, revisions, rules, schedules } from './schema.ts'

const SEEDED = 'demo_seed'

/**
 * Demo IVR, matching the examples in Voicenter's External Layer docs:
 * layer 1 greets and sends caller ID, layer 5 asks for an account number (DTMF), 12 = representatives,
 * 13 = re-enter, 20 = operators, 22/23 = account managers' layers, 30 = voicemail.
 */
const DEMO_OWNERS: (typeof owners.$inferInsert)[] = [
  { crmOwnerId: '1042', email: 'john@example.com', name: 'John Doe', extension: '101', phone: '+972541000101', layer: '22' },
  { crmOwnerId: '1043', email: 'sara@example.com', name: 'Sara Cohen', extension: '102', phone: '+972541000102', layer: '23' },
]

const DEMO_CONTACTS: (typeof contacts.$inferInsert)[] = [
  {
    name: 'Dana Levi',
    company: 'Acme Ltd',
    phone: '+972501234567',
    pin: '12345678',
    segment: 'VIP',
    tags: 'vip,enterprise',
    ownerEmail: 'john@example.com',
    fields: JSON.stringify({ CRM_client_ID: '12345', Last_ticket_ID: '222', balance: '0' }),
  },
  {
    name: 'Moshe Cohen',
    company: 'Cohen Bakery',
    phone: '+972541112233',
    mobile: '+972771112233',
    pin: '1234',
    segment: 'Standard',
    tags: 'smb',
    ownerEmail: 'sara@example.com',
    fields: JSON.stringify({ CRM_client_ID: '12346', balance: '112', due_date: '2026-12-14' }),
  },
  {
    name: 'Avi Mizrahi',
    phone: '+972527654321',
    pin: '4321',
    segment: 'Standard',
    fields: JSON.stringify({ CRM_client_ID: '12347', balance: '0' }),
  },
]

/** Routee dials phone numbers, not Voicenter extensions: the demo's reception desk. */
const RECEPTION = '+972722776700'
/** Routee and Stringee speak and collect themselves, and have no layers: the same columns serve both. */
const spoken = (columns: Record<string, string>) => ({ routee: columns, stringee: columns })
const routee = (columns: Record<string, string>, ringcentral?: Record<string, string>) =>
  JSON.stringify({ providers: { ...spoken(columns), ...(ringcentral ? { ringcentral } : {}) } })
/** RingCentral plays audio files only (no text to speech): the demo points at recordings you would upload. */
const PROMPTS = 'https://ivr.example.com/prompts'
/** RingCentral forwards to extensions: the owner's, or reception. */
const toOwnerExtension = { action: 'dial', dial: 'extension:{{owner.extension}}', say: '' }

type RuleInsert = typeof rules.$inferInsert
const DEMO_RULES: RuleInsert[] = [
  {
    name: 'Closed on Saturday: voicemail',
    priority: 5,
    fromLayer: '1',
    identifyBy: 'none',
    days: 'sat',
    timeZone: 'Asia/Jerusalem',
    action: 'go_to_layer',
    toLayer: '30',
    options: routee(
      { action: 'hangup', say: 'text:We are closed on Saturdays. Please call again tomorrow.' },
      { action: 'hangup', say: `recording:${PROMPTS}/closed.wav` },
    ),
  },
  {
    name: 'VIP callers ring their account manager',
    priority: 10,
    fromLayer: '1',
    lookup: 'found',
    contactMatch: 'segment = VIP; owner.extension',
    action: 'dial',
    dial: 'extension:{{owner.extension}}',
    options: JSON.stringify({
      caller_name: '{{name}}',
      record: true,
      max_dial_duration: 30,
      failed_layer: 20,
      providers: {
        routee: { dial: 'phone:{{owner.phone}}', say: 'text:Hello {{name}}, connecting you to {{owner.name}}.' },
        voipnow: { action: 'go_to_layer', to_layer: 'agents:{{owner.extension}}' },
        ringcentral: { say: '' },
      },
    }),
  },
  {
    name: "Known callers go to their account manager's layer",
    priority: 20,
    fromLayer: '1',
    lookup: 'found',
    contactMatch: 'owner.layer',
    action: 'go_to_layer',
    toLayer: '{{owner.layer}}',
    options: JSON.stringify({
      caller_name: '{{name}}',
      providers: {
        ...spoken({ action: 'dial', dial: 'phone:{{owner.phone}}', say: 'text:Connecting you to {{owner.name}}.' }),
        ringcentral: toOwnerExtension,
      },
    }),
  },
  {
    name: 'Unknown callers are asked for their account number',
    priority: 30,
    fromLayer: '1',
    lookup: 'not_found',
    action: 'collect',
    toLayer: '5',
    say: 'text:Please enter your account number and then press the pound key.',
    options: JSON.stringify({ providers: { ringcentral: { say: `recording:${PROMPTS}/enter-account.wav` } } }),
  },
  {
    name: 'Account number with a balance due: announce it',
    priority: 40,
    fromLayer: '5',
    dtmf: 'any',
    identifyBy: 'pin',
    lookup: 'found',
    contactMatch: 'fields.balance > 0',
    action: 'say',
    say: 'recording:your_balance_is.mp3, number:{{fields.balance}}, recording:due_on.mp3, date:{{fields.due_date}}',
    toLayer: '12',
    language: 'EN',
    options: JSON.stringify({
      failed_layer: 12,
      providers: {
        ...spoken({
          action: 'dial',
          say: 'text:Your balance is {{fields.balance}}, due on {{fields.due_date}}. Connecting you to {{owner.name}}.',
          dial: 'phone:{{owner.phone}}',
        }),
        ringcentral: toOwnerExtension,
      },
    }),
  },
  {
    name: 'Account number found: to the representatives',
    priority: 45,
    fromLayer: '5',
    dtmf: 'any',
    identifyBy: 'pin',
    lookup: 'found',
    action: 'go_to_layer',
    toLayer: '12',
    options: JSON.stringify({
      caller_name: '{{name}}',
      providers: {
        ...spoken({ action: 'dial', say: 'text:Thank you, {{name}}. Connecting you to {{owner.name}}.', dial: 'phone:{{owner.phone}}' }),
        ringcentral: toOwnerExtension,
      },
    }),
  },
  {
    name: 'No or wrong account number: ask again (twice)',
    priority: 50,
    fromLayer: '5',
    identifyBy: 'pin',
    lookup: 'not_found',
    attempt: '<3',
    action: 'collect',
    toLayer: '5',
    say: 'text:Sorry, that account number was not found. Please enter it again and then press the pound key.',
    options: JSON.stringify({ providers: { ringcentral: { say: `recording:${PROMPTS}/not-found-try-again.wav` } } }),
  },
  {
    name: 'Third failed account number: a person takes the call',
    priority: 55,
    fromLayer: '5',
    identifyBy: 'none',
    attempt: '>=3',
    action: 'dial',
    dial: 'extension:100',
    options: JSON.stringify({
      caller_name: 'Unidentified caller',
      failed_layer: 20,
      providers: {
        routee: { dial: `phone:${RECEPTION}`, say: 'text:Let me connect you to our team.' },
        voipnow: { action: 'go_to_layer', to_layer: 'reception' },
        ringcentral: { say: '' },
      },
    }),
  },
]

const DEMO_FALLBACKS: (typeof fallbacks.$inferInsert)[] = [
  {
    name: 'Everything else: operators',
    action: 'go_to_layer',
    toLayer: '20',
    options: routee(
      { action: 'dial', dial: `phone:${RECEPTION}`, say: 'text:Connecting you to our team.' },
      { action: 'dial', dial: 'extension:100', say: '' },
    ),
  },
  {
    name: 'Account number layer: reception',
    fromLayer: '5',
    action: 'dial',
    dial: 'extension:100',
    options: JSON.stringify({
      failed_layer: 20,
      providers: { routee: { dial: `phone:${RECEPTION}` }, voipnow: { action: 'go_to_layer', to_layer: 'reception' } },
    }),
  },
]

/**
 * An Israeli call centre's week (Sunday to Thursday, a short Friday): rules name it in their `schedule`
 * column (`closed:Office hours`). No demo rule does, so the demo routes as before.
 */
const DEMO_SCHEDULE: typeof schedules.$inferInsert = {
  name: 'Office hours',
  timeZone: 'Asia/Jerusalem',
  hours: 'sun-thu 08:00-17:00; fri 08:00-13:00',
  note: 'The support desk; edit it once and every rule naming it follows.',
}

/**
 * Fills an empty database with the demo once; a database that was seeded before (even if its rows were
 * since deleted) or that already has rules or contacts is left alone.
 */
export const seedDemoData = async (db: Database): Promise<boolean> => {
  const marker = await db.select().from(revisions).where(eq(revisions.name, SEEDED)).get()
  if (marker) return false
  const [anyRule, anyContact] = await Promise.all([
    db.select({ id: rules.id }).from(rules).limit(1).get(),
    db.select({ id: contacts.id }).from(contacts).limit(1).get(),
  ])
  if (!anyRule && !anyContact) {
    await db.insert(owners).values(DEMO_OWNERS).run()
    await db.insert(contacts).values(DEMO_CONTACTS).run()
    await db.insert(rules).values(DEMO_RULES).run()
    await db.insert(fallbacks).values(DEMO_FALLBACKS).run()
    const [schedule] = await db.insert(schedules).values(DEMO_SCHEDULE).returning({ id: schedules.id }).all()
    await db
      .insert(holidays)
      .values({ scheduleId: schedule?.id ?? null, date: '2026-09-21', name: 'Yom Kippur' })
      .run()
  }
  await db.insert(revisions).values({ name: SEEDED, value: 1 }).run()
  return !anyRule && !anyContact
}
