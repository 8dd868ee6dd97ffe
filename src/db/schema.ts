import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/** A rule's columns: the live rules and the draft's have the same. */
const ruleColumns = () => ({
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().default(''),
  /** Lower runs first. */
  priority: integer('priority').notNull().default(100),
  enabled: integer('enabled').notNull().default(1),
  // --- conditions (NULL or '' = any) ---
  provider: text('provider'),
  did: text('did'),
  caller: text('caller'),
  fromLayer: text('from_layer'),
  dtmf: text('dtmf'),
  /** Which key identifies the caller for this rule: caller (caller ID), pin (digits typed) or none. */
  identifyBy: text('identify_by').notNull().default('caller'),
  /** found, not_found, error (comma list). */
  lookup: text('lookup'),
  /** e.g. `segment = VIP; owner.extension` */
  contactMatch: text('contact_match'),
  /** Requests from this layer in this call, e.g. `<3`, `>=3`, `2`, `1-2`. */
  attempt: text('attempt'),
  /** e.g. `mon-fri`, `sat,sun` */
  days: text('days'),
  timeFrom: text('time_from'),
  timeTo: text('time_to'),
  timeZone: text('time_zone'),
  /** `open:<schedule name>` or `closed:<schedule name>`: only while that schedule is open (resp. closed). */
  schedule: text('schedule'),
  // --- action ---
  action: text('action').notNull(),
  toLayer: text('to_layer'),
  say: text('say'),
  dial: text('dial'),
  language: text('language'),
  /** JSON object with the rarely changed extras (durations, recording, caller name, screen pop fields). */
  options: text('options'),
  note: text('note'),
})

/**
 * Routing rules, meant to be edited by a person with any SQLite tool: one row per rule, readable columns,
 * NULL in a condition column means "any". Rows are validated when loaded; an invalid row is skipped and
 * reported by `npm run rules:check`, it never stops the service.
 */
export const rules = sqliteTable('rules', ruleColumns(), (table) => [index('rules_priority').on(table.priority, table.id)])

/**
 * The draft rule set (console and admin API): the rules as they will be once published. Filled from the live
 * rules when a draft is started; publishing replaces the live rules with these rows, ids kept, in one
 * transaction.
 */
export const draftRules = sqliteTable('draft_rules', ruleColumns())

/** The draft in progress, if any (one row): who started it and on which routing revision. */
export const routingDraft = sqliteTable('routing_draft', {
  id: integer('id').primaryKey(),
  startedAt: text('started_at').notNull(),
  /** The role and where (admin, console / api) */
  startedBy: text('started_by').notNull(),
  /** The routing revision the live rules were at when the draft was copied from them. */
  baseRevision: integer('base_revision').notNull(),
})

/**
 * Every published rule set, whole (JSON rows, SQL column names): a call that started on a revision keeps its
 * rules for its later steps, on any process or isolate, after the next publish.
 */
export const routingPublications = sqliteTable('routing_publications', {
  /** The routing revision the publish made live. */
  revision: integer('revision').primaryKey(),
  publishedAt: text('published_at').notNull(),
  publishedBy: text('published_by').notNull(),
  rules: text('rules').notNull(),
  fallbacks: text('fallbacks').notNull(),
  menuKeys: text('menu_keys').notNull(),
  /** NULL on publications made before schedules existed (no rule could name one then). */
  schedules: text('schedules'),
  holidays: text('holidays'),
})

/**
 * The answer used when no rule matches. The most specific row wins: one for the layer beats one for the
 * DID, which beats one for the provider, which beats the global row with all three NULL.
 */
export const fallbacks = sqliteTable('fallbacks', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().default(''),
  enabled: integer('enabled').notNull().default(1),
  provider: text('provider'),
  did: text('did'),
  fromLayer: text('from_layer'),
  action: text('action').notNull(),
  toLayer: text('to_layer'),
  say: text('say'),
  dial: text('dial'),
  language: text('language'),
  options: text('options'),
  note: text('note'),
})

/** Change counters bumped by triggers, so a running service sees edits made with any SQLite tool. */
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  value: integer('value').notNull().default(0),
})

/** Maps a CRM owner (id or e-mail) to how to reach them by phone, which no CRM stores for its users. */
export const owners = sqliteTable(
  'owners',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    crmOwnerId: text('crm_owner_id'),
    email: text('email'),
    name: text('name'),
    extension: text('extension'),
    phone: text('phone'),
    layer: text('layer'),
  },
  (table) => [index('owners_crm_owner_id').on(table.crmOwnerId), index('owners_email').on(table.email)],
)

/** The embedded CRM: a local directory of contacts, usable without any CRM account. */
export const contacts = sqliteTable(
  'contacts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    company: text('company'),
    /** E.164, e.g. +972501234567 */
    phone: text('phone'),
    mobile: text('mobile'),
    pin: text('pin'),
    segment: text('segment'),
    /** comma separated */
    tags: text('tags'),
    ownerEmail: text('owner_email'),
    /** JSON object of free fields (balance, last ticket, ...) */
    fields: text('fields'),
    updatedAt: text('updated_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  },
  (table) => [index('contacts_phone').on(table.phone), index('contacts_mobile').on(table.mobile), index('contacts_pin').on(table.pin)],
)

/** Per-call state (layer visits, provider state) keyed by the provider's call id. */
export const callState = sqliteTable(
  'call_state',
  {
    provider: text('provider').notNull(),
    callId: text('call_id').notNull(),
    /** JSON */
    data: text('data').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.callId] }), index('call_state_updated').on(table.updatedAt)],
)

/** One row per webhook request: what came in, what we found, which rule fired, what we answered. */
export const decisions = sqliteTable(
  'decisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    provider: text('provider').notNull(),
    callId: text('call_id'),
    did: text('did'),
    caller: text('caller'),
    dtmf: text('dtmf'),
    layer: text('layer'),
    attempt: integer('attempt'),
    lookupKey: text('lookup_key'),
    lookupOutcome: text('lookup_outcome'),
    contactId: text('contact_id'),
    /** JSON: per-plugin outcome and milliseconds */
    lookups: text('lookups'),
    ruleId: integer('rule_id'),
    ruleName: text('rule_name'),
    action: text('action'),
    /** JSON: the exact answer sent */
    answer: text('answer'),
    reason: text('reason'),
    durationMs: real('duration_ms'),
    /** JSON (or raw text when it was not JSON): the request as received */
    request: text('request'),
    /** The routing revision the call was routed on: its later steps keep it across a publish. */
    revision: integer('revision'),
  },
  (table) => [
    index('decisions_at').on(table.at),
    index('decisions_call').on(table.provider, table.callId),
    index('decisions_caller').on(table.caller),
  ],
)

/**
 * Shared opening hours (business hours) that rules name in their `schedule` column, so a change of hours is
 * one edit. `hours` is e.g. `sun-thu 08:00-17:00; fri 08:00-13:00` (src/lib/weekly-hours.ts).
 */
export const schedules = sqliteTable('schedules', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  /** IANA name; NULL = the service's TIME_ZONE. */
  timeZone: text('time_zone'),
  hours: text('hours').notNull().default(''),
  note: text('note'),
})

/** Days a schedule is closed, or keeps special hours, whatever its weekly hours say. */
export const holidays = sqliteTable('holidays', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** NULL = every schedule. */
  scheduleId: integer('schedule_id'),
  /** YYYY-MM-DD, in the schedule's time zone. */
  date: text('date').notNull(),
  /** The last day of a range (inclusive); NULL = the one day. */
  endDate: text('end_date'),
  name: text('name').notNull().default(''),
  /** Opening hours on those days, e.g. `10:00-14:00`; NULL or '' = closed all day. */
  hours: text('hours'),
})

export type ScheduleRow = typeof schedules.$inferSelect
export type HolidayRow = typeof holidays.$inferSelect
export type RuleRow = typeof rules.$inferSelect
export type FallbackRow = typeof fallbacks.$inferSelect
export type DecisionRow = typeof decisions.$inferInsert
export type CallStateRow = typeof callState.$inferInsert
export type OutboxRow = typeof outbox.$inferInsert

/**
 * Work for the outside world that must not be lost when it is down (call logs to the CRM): written in the
 * same database as the decisions, delivered after the answer, retried with backoff.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    plugin: text('plugin').notNull(),
    kind: text('kind').notNull(),
    provider: text('provider').notNull(),
    callId: text('call_id').notNull(),
    /** JSON */
    payload: text('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Epoch milliseconds. */
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    deliveredAt: text('delivered_at'),
    /**
     * 1 while the entry still takes the call's next decisions (not yet tried); then NULL. At most one entry
     * of a call is open, so a decision adds itself with one upsert and no read.
     */
    accepting: integer('accepting'),
  },
  (table) => [
    index('outbox_due').on(table.deliveredAt, table.nextAttemptAt),
    index('outbox_call').on(table.plugin, table.kind, table.provider, table.callId),
    uniqueIndex('outbox_accepting_call').on(table.plugin, table.kind, table.provider, table.callId).where(sql`${table.accepting} = 1`),
  ],
)

/**
 * Key-press menus in the style of Stringee's IVR node keys: at a layer (node), a key 0-9, *, #, EMPTY_KEY
 * (nothing typed before the timeout) or INVALID_KEY (a key with no row) leads to an action. Each row
 * becomes a rule when rules are loaded.
 */
export const menuKeys = sqliteTable(
  'menu_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    layer: text('layer').notNull(),
    key: text('key').notNull(),
    /** Providers the menu is for (comma separated); NULL = all. */
    provider: text('provider'),
    /** go_to_layer, queue, extension, phone, hangup, voicemail, sms (target: the SMS text) */
    action: text('action').notNull(),
    /** The layer, queue, extension or phone number. */
    target: text('target'),
    /** Said first, where the provider can (text:…, recording:…). */
    say: text('say'),
    /** Where menu rules sit among the rules (lower runs first). */
    priority: integer('priority').notNull().default(1000),
    enabled: integer('enabled').notNull().default(1),
    /** JSON object, a rule's options: options.providers gives a provider its own answer. */
    options: text('options'),
  },
  (table) => [index('menu_keys_layer').on(table.layer, table.key)],
)

export type MenuKeyRow = typeof menuKeys.$inferSelect

/**
 * Console sign-ins: the SHA-256 of the session cookie's value (a stolen database gives no session), the role
 * of the token signed in with and a fingerprint of that token, so changing ADMIN_TOKEN or VIEWER_TOKEN ends
 * the sessions opened with the old one.
 */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    /** admin or viewer */
    role: text('role').notNull(),
    tokenFingerprint: text('token_fingerprint').notNull(),
    /** Carried by every form of the session and compared on every POST. */
    csrfToken: text('csrf_token').notNull(),
    /** Epoch milliseconds. */
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (table) => [index('console_sessions_expires').on(table.expiresAt)],
)

/**
 * Every change to a routing row made through the console or the admin API: who (the token's role and where it
 * was used), when, the row before and after (JSON, SQL column names). The console's history and its revert
 * read it. Edits made with another SQLite tool are not in it (no token to name).
 */
export const changeLog = sqliteTable(
  'change_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    /** admin or viewer: the role of the token used */
    role: text('role').notNull(),
    /** console or api */
    via: text('via').notNull(),
    /** rules, fallbacks or menu_keys */
    entity: text('entity').notNull(),
    entityId: integer('entity_id').notNull(),
    /** create, update, delete, revert or publish */
    action: text('action').notNull(),
    /** JSON, null for a create */
    before: text('before'),
    /** JSON, null for a delete */
    after: text('after'),
  },
  (table) => [index('change_log_entity').on(table.entity, table.entityId)],
)

export type ChangeLogRow = typeof changeLog.$inferSelect
