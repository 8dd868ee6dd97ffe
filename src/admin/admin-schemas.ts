import * as v from 'valibot'
import { localClock } from '../lib/time-window.ts'
import { HOURS_EXAMPLE, parseDayHours, parseWeeklyHours } from '../lib/weekly-hours.ts'
import { MENU_ACTIONS, MENU_KEYS } from '../rules/menu-key.ts'
import { isCalendarDate, parseScheduleCondition } from '../rules/schedule.ts'

/** Runs a parser for its error: the error's message becomes the field's issue. */
const passes = (parse: () => unknown, addIssue: (issue: { message: string }) => void) => {
  try {
    parse()
  } catch (error) {
    addIssue({ message: (error as Error).message })
  }
}

/** Admin API bodies: the tables' SQL column names, strict, so a typo in a field name is a 400, not ignored. */
const Text = v.nullable(v.pipe(v.string(), v.maxLength(2000)))
const TextOrNumber = v.nullable(v.pipe(v.union([v.string(), v.number()], 'must be text or a number'), v.transform(String)))
const Flag = v.pipe(
  v.union([v.boolean(), v.picklist([0, 1])], 'must be true or false'),
  v.transform((value) => (value ? 1 : 0)),
)
const Options = v.nullable(v.union([v.record(v.string(), v.unknown()), v.string()], 'must be a JSON object'))

const actionColumns = {
  action: v.pipe(v.string('is required'), v.nonEmpty('is required')),
  to_layer: v.optional(TextOrNumber),
  say: v.optional(Text),
  dial: v.optional(Text),
  language: v.optional(Text),
  options: v.optional(Options),
  note: v.optional(Text),
}

export const RuleBody = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  priority: v.optional(v.pipe(v.number('must be a number'), v.integer('must be a whole number'))),
  enabled: v.optional(Flag),
  provider: v.optional(Text),
  did: v.optional(Text),
  caller: v.optional(Text),
  from_layer: v.optional(TextOrNumber),
  dtmf: v.optional(Text),
  identify_by: v.optional(v.picklist(['caller', 'pin', 'none'], 'must be caller, pin or none')),
  lookup: v.optional(Text),
  contact_match: v.optional(Text),
  attempt: v.optional(Text),
  days: v.optional(Text),
  time_from: v.optional(Text),
  time_to: v.optional(Text),
  time_zone: v.optional(Text),
  schedule: v.optional(
    v.nullable(
      v.pipe(
        v.string(),
        v.maxLength(300),
        v.rawCheck(({ dataset, addIssue }) => {
          if (dataset.typed && dataset.value.trim() !== '') passes(() => parseScheduleCondition(dataset.value), addIssue)
        }),
      ),
    ),
  ),
  ...actionColumns,
})
export const RulePatch = v.partial(RuleBody)

export const FallbackBody = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  enabled: v.optional(Flag),
  provider: v.optional(Text),
  did: v.optional(Text),
  from_layer: v.optional(TextOrNumber),
  ...actionColumns,
})
export const FallbackPatch = v.partial(FallbackBody)

export const OwnerBody = v.strictObject({
  crm_owner_id: v.optional(TextOrNumber),
  email: v.optional(v.nullable(v.pipe(v.string(), v.email('must be an e-mail address')))),
  name: v.optional(Text),
  extension: v.optional(TextOrNumber),
  phone: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^\+\d{6,15}$/, 'must be E.164, e.g. +972501234567')))),
  layer: v.optional(TextOrNumber),
})
export const OwnerPatch = v.partial(OwnerBody)

export const ContactBody = v.strictObject({
  name: v.pipe(v.string('is required'), v.nonEmpty('is required'), v.maxLength(200)),
  company: v.optional(Text),
  phone: v.optional(Text),
  mobile: v.optional(Text),
  pin: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^[0-9A-Za-z-]{1,32}$/, 'must be letters, digits or dashes')))),
  segment: v.optional(Text),
  tags: v.optional(v.union([v.array(v.string()), v.string()], 'must be a list of tags')),
  owner_email: v.optional(v.nullable(v.pipe(v.string(), v.email('must be an e-mail address')))),
  fields: v.optional(v.record(v.string(), v.pipe(v.union([v.string(), v.number(), v.boolean()]), v.transform(String)))),
})
export const ContactPatch = v.partial(ContactBody)

export const MenuKeyBody = v.strictObject({
  layer: v.pipe(v.union([v.string(), v.number()], 'is required'), v.transform(String), v.nonEmpty('is required')),
  key: v.picklist(MENU_KEYS, `must be one of ${MENU_KEYS.join(', ')}`),
  provider: v.optional(Text),
  action: v.picklist(MENU_ACTIONS, `must be one of ${MENU_ACTIONS.join(', ')}`),
  target: v.optional(TextOrNumber),
  say: v.optional(Text),
  priority: v.optional(v.pipe(v.number('must be a number'), v.integer('must be a whole number'))),
  enabled: v.optional(Flag),
  /** A rule's options: options.providers gives a provider its own answer, e.g. Stringee a collect. */
  options: v.optional(Options),
})
export const MenuKeyPatch = v.partial(MenuKeyBody)

const TimeZone = v.nullable(
  v.pipe(
    v.string(),
    v.maxLength(100),
    v.rawCheck(({ dataset, addIssue }) => {
      if (dataset.typed && dataset.value.trim() !== '') passes(() => localClock(dataset.value.trim()), addIssue)
    }),
  ),
)
const CalendarDate = v.pipe(v.string('is required'), v.check(isCalendarDate, 'must be a date written YYYY-MM-DD, e.g. 2026-12-25'))

export const ScheduleBody = v.strictObject({
  name: v.pipe(v.string('is required'), v.trim(), v.nonEmpty('is required'), v.maxLength(200)),
  time_zone: v.optional(TimeZone),
  hours: v.pipe(
    v.string(`is required (e.g. ${HOURS_EXAMPLE})`),
    v.maxLength(2000),
    v.rawCheck(({ dataset, addIssue }) => {
      if (dataset.typed) passes(() => parseWeeklyHours(dataset.value), addIssue)
    }),
  ),
  note: v.optional(Text),
})
export const SchedulePatch = v.partial(ScheduleBody)

export const HolidayBody = v.strictObject({
  schedule_id: v.optional(v.nullable(v.pipe(v.number('must be a schedule id'), v.integer('must be a schedule id')))),
  date: CalendarDate,
  end_date: v.optional(v.nullable(v.union([v.literal(''), CalendarDate], 'must be a date written YYYY-MM-DD, e.g. 2026-12-31'))),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  hours: v.optional(
    v.nullable(
      v.pipe(
        v.string(),
        v.maxLength(200),
        v.rawCheck(({ dataset, addIssue }) => {
          if (dataset.typed) passes(() => parseDayHours(dataset.value), addIssue)
        }),
      ),
    ),
  ),
})
export const HolidayPatch = v.partial(HolidayBody)

/** GET /menu-keys: the keys of one menu. */
export const MenuKeyQuery = v.object({
  layer: v.optional(v.pipe(v.string(), v.description('Only the keys of this layer (the menu), e.g. `7`'))),
})

/** Admin API answers: one row with the SQL column names, as stored. */
const Column = v.nullable(v.string())
const Integer = v.pipe(v.number(), v.integer())
const Warnings = v.pipe(
  v.array(v.string()),
  v.description(
    'Providers the row applies to but cannot answer on, each with how to fix it, e.g. `routee: has no go_to_layer (give options.providers.routee)`. ' +
      'The row is used where it can answer; a row that can answer on none of its providers is refused instead.',
  ),
)

const actionView = {
  action: v.string(),
  to_layer: Column,
  say: Column,
  dial: Column,
  language: Column,
  options: v.nullable(v.union([v.record(v.string(), v.unknown()), v.string()])),
  note: Column,
}

export const RuleView = v.object({
  id: Integer,
  name: v.string(),
  priority: Integer,
  enabled: Integer,
  provider: Column,
  did: Column,
  caller: Column,
  from_layer: Column,
  dtmf: Column,
  identify_by: v.string(),
  lookup: Column,
  contact_match: Column,
  attempt: Column,
  days: Column,
  time_from: Column,
  time_to: Column,
  time_zone: Column,
  schedule: Column,
  ...actionView,
  warnings: Warnings,
})

export const FallbackView = v.object({
  id: Integer,
  name: v.string(),
  enabled: Integer,
  provider: Column,
  did: Column,
  from_layer: Column,
  ...actionView,
  warnings: Warnings,
})

export const MenuKeyView = v.object({
  id: Integer,
  layer: v.string(),
  key: v.string(),
  provider: Column,
  action: v.string(),
  target: Column,
  say: Column,
  priority: Integer,
  enabled: Integer,
  options: v.nullable(v.union([v.record(v.string(), v.unknown()), v.string()])),
  warnings: Warnings,
})

export const OwnerView = v.object({
  id: Integer,
  crm_owner_id: Column,
  email: Column,
  name: Column,
  extension: Column,
  phone: Column,
  layer: Column,
})

export const ContactView = v.object({
  id: Integer,
  name: v.string(),
  company: Column,
  phone: Column,
  mobile: Column,
  pin: Column,
  segment: Column,
  tags: v.array(v.string()),
  owner_email: Column,
  fields: v.record(v.string(), v.unknown()),
  updated_at: v.string(),
})

export const ScheduleView = v.object({
  id: Integer,
  name: v.string(),
  time_zone: Column,
  hours: v.string(),
  note: Column,
})

export const HolidayView = v.object({
  id: Integer,
  schedule_id: v.nullable(Integer),
  date: v.string(),
  end_date: Column,
  name: v.string(),
  hours: Column,
})
