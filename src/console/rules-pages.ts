import { asc, eq } from 'drizzle-orm'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { RuleBody } from '../admin/admin-schemas.ts'
import { type Change, type ChangeEntry, createChangeLog } from '../admin/change-log.ts'
import { columnsToRow, rowToColumns } from '../admin/columns.ts'
import type { RowCheck } from '../admin/crud-routes.ts'
import { usableRow } from '../admin/rules-routes.ts'
import { unknownScheduleProblem } from '../admin/schedule-routes.ts'
import { draftRules, type RuleRow, rules } from '../db/schema.ts'
import { compileRule } from '../rules/compile-rule.ts'
import { historyTable, revertChange } from './change-history.ts'
import {
  adminOnly,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
  canEdit,
  consolePage,
  csrfField,
  type Html,
} from './console-layout.ts'
import { type FieldErrors, fieldErrorSink, formField } from './form-field.ts'

/** The rule form's fields, in the order shown, with what a person needs to fill them in. */
const CONDITION_FIELDS = [
  ['provider', 'Provider', 'Empty: every provider'],
  ['did', 'DID (number called)', 'e.g. 0722776772; empty: any'],
  ['caller', 'Caller', 'A number or pattern; empty: any'],
  ['from_layer', 'From layer', 'The layer the caller is in; empty: any'],
  ['dtmf', 'Digits typed', 'e.g. 1, or a pattern; empty: any'],
  ['identify_by', 'Identify the caller by', ''],
  ['lookup', 'Lookup outcome', 'found, not_found, error (comma list); empty: any'],
  ['contact_match', 'Contact matches', 'e.g. segment = VIP; owner.extension'],
  ['attempt', 'Attempt at this layer', 'e.g. <3, >=3, 2, 1-2'],
  ['days', 'Days', 'e.g. mon-fri, sat,sun'],
  ['time_from', 'From (time)', 'HH:MM'],
  ['time_to', 'To (time)', 'HH:MM'],
  ['time_zone', 'Time zone', 'IANA name; empty: the service’s'],
  ['schedule', 'Schedule', 'closed:Office hours or open:Office hours (a schedule on the Hours page); empty: any time'],
] as const
const ACTION_FIELDS = [
  ['action', 'Action', ''],
  ['to_layer', 'To layer', 'For go_to_layer (and after say)'],
  ['say', 'Say', 'e.g. text:Hello, digits:{contact.fields.balance}'],
  ['dial', 'Dial', 'e.g. {owner.extension}, queue:support, +972…'],
  ['language', 'Language', 'e.g. EN, HE; empty: the default'],
] as const
const ACTIONS = ['go_to_layer', 'say', 'dial', 'collect', 'hangup', 'voicemail', 'provider_default'] as const
const CONDITION_KEYS = [
  'provider',
  'did',
  'caller',
  'from_layer',
  'dtmf',
  'lookup',
  'contact_match',
  'attempt',
  'days',
  'time_from',
  'time_to',
] as const
const FIELD_NAMES = new Set<string>([
  'name',
  'priority',
  'enabled',
  'note',
  'options',
  ...CONDITION_FIELDS.map(([key]) => key),
  ...ACTION_FIELDS.map(([key]) => key),
])

type Columns = Record<string, unknown>

/** A form's text as the admin API's JSON body: empty fields are "not set", numbers and the flag typed. */
const formToBody = (form: Record<string, unknown>): { body: Columns; errors: FieldErrors } => {
  const body: Columns = {}
  const errors: FieldErrors = {}
  for (const key of FIELD_NAMES) {
    if (key === 'enabled') {
      body.enabled = form.enabled === 'on' || form.enabled === '1'
      continue
    }
    const raw = typeof form[key] === 'string' ? (form[key] as string).trim() : ''
    if (key === 'priority') {
      body.priority = raw === '' ? 100 : Number(raw)
      continue
    }
    if (key === 'name') {
      body.name = raw
      continue
    }
    if (key === 'identify_by') {
      body.identify_by = raw || 'caller'
      continue
    }
    if (key === 'options' && raw !== '') {
      try {
        body.options = JSON.parse(raw)
      } catch {
        errors.options = ['is not valid JSON (an object such as {"record": true})']
      }
      continue
    }
    body[key] = raw === '' ? null : raw
  }
  return { body, errors }
}

const errorsOf = fieldErrorSink(FIELD_NAMES)

/** Rules in the order they are tried, what each matches and does, its state; edit controls for an admin. */
export const ruleTable = (
  c: ConsoleContext,
  rows: readonly RuleRow[],
  { base, verdict, badges }: { base: string; verdict: (row: RuleRow) => RowCheck; badges?: ReadonlyMap<number, string> },
) => {
  const editable = canEdit(c)
  return html`<table>
        <thead><tr><th>Order</th><th>Name</th><th>When</th><th>Then</th><th>Status</th>${editable ? html`<th>Change</th>` : ''}</tr></thead>
        <tbody>
          ${rows.map((row, index) => {
            const columns = rowToColumns(row)
            const check = verdict(row)
            const on = row.enabled === 1
            return html`<tr class="${on ? '' : 'off'}" id="rule-${row.id}">
              <td class="mono">${row.priority}</td>
              <td><a href="${base}/${row.id}">${row.name || `rule ${row.id}`}</a>${badges?.get(row.id) ? html` <span class="badge warn">${badges.get(row.id)}</span>` : ''}</td>
              <td>${describeWhen(columns)}</td>
              <td class="mono">${describeThen(columns)}</td>
              <td>
                <span class="badge ${on ? 'on' : ''}">${on ? 'on' : 'off'}</span>
                ${check.problem ? html`<div class="problem">Skipped: ${check.problem}</div>` : ''}
                ${(check.warnings ?? []).map((warning) => html`<div class="warning">${warning}</div>`)}
              </td>
              ${
                editable
                  ? html`<td class="actions">
                      <form method="post" action="${base}/${row.id}/toggle" class="inline">${csrfField(c)}<button class="secondary" aria-label="${on ? 'Turn off' : 'Turn on'} ${row.name}">${on ? 'Turn off' : 'Turn on'}</button></form>
                      <form method="post" action="${base}/${row.id}/move" class="inline">${csrfField(c)}<input type="hidden" name="direction" value="up" /><button class="secondary" title="Move up"${index === 0 ? raw(' disabled') : ''}>↑</button></form>
                      <form method="post" action="${base}/${row.id}/move" class="inline">${csrfField(c)}<input type="hidden" name="direction" value="down" /><button class="secondary" title="Move down"${index === rows.length - 1 ? raw(' disabled') : ''}>↓</button></form>
                      <a href="${base}/${row.id}/edit">Edit</a>
                    </td>`
                  : ''
              }
            </tr>`
          })}
        </tbody>
      </table>`
}

/** What a rule matches, in a line. */
const describeWhen = (rule: Columns): string => {
  const parts = CONDITION_KEYS.flatMap((key) =>
    rule[key] === null || rule[key] === '' || rule[key] === undefined ? [] : [`${key} ${rule[key]}`],
  )
  if (rule.identify_by && rule.identify_by !== 'caller') parts.push(`identify by ${rule.identify_by}`)
  return parts.length > 0 ? parts.join(' · ') : 'every call'
}

/** What a rule does, in a line. */
const describeThen = (rule: Columns): string => {
  const target = rule.dial ?? rule.to_layer ?? rule.say
  return `${rule.action}${target ? ` ${target}` : ''}${rule.say && rule.say !== target ? ` (says ${rule.say})` : ''}`
}

/**
 * Which rules the pages edit: the live ones (every change in the history, which can revert it) or the draft's
 * (edited apart from live calls until published; its own page, src/console/draft-pages.ts, lists them).
 */
export interface RuleSet {
  kind: 'live' | 'draft'
  table: typeof rules
  /** Where its pages are, under /console: /rules, /draft/rules. */
  path: string
  /** The page a change returns to. */
  home: string
}

export const LIVE_RULES: RuleSet = { kind: 'live', table: rules, path: '/rules', home: '/console/rules' }
export const DRAFT_RULES: RuleSet = {
  kind: 'draft',
  table: draftRules as unknown as typeof rules,
  path: '/draft/rules',
  home: '/console/draft',
}

export const rulesPages = (deps: ConsoleDeps) => ruleSetPages(deps, LIVE_RULES)

export const ruleSetPages = ({ db, service, log, now = Date.now }: ConsoleDeps, set: RuleSet) => {
  const { table } = set
  const live = set.kind === 'live'
  const base = `/console${set.path}`
  const changes = createChangeLog(db, () => new Date(now()))
  // Draft edits are a scratchpad: the change log keeps what reaches live routing (a publish records its own).
  const record = (entityId: number, action: Change['action'], before?: RuleRow, after?: RuleRow) =>
    live
      ? changes.record({
          role: 'admin',
          via: 'console',
          entity: 'rules',
          entityId,
          action,
          before: before && rowToColumns(before),
          after: after && rowToColumns(after),
        })
      : Promise.resolve()
  /** Sets some columns of a rule, kept in the history with the row before and after. */
  const update = async (rule: RuleRow, columns: Partial<RuleRow>) => {
    await db.update(table).set(columns).where(eq(table.id, rule.id)).run()
    await record(rule.id, 'update', rule, { ...rule, ...columns })
  }
  const capabilities = service.capabilities
  const timeZone = service.config.TIME_ZONE
  const verdict = (row: RuleRow) => usableRow(compileRule(row, { timeZone }), 'rule', capabilities)
  const all = async () => (await db.select().from(table).orderBy(asc(table.priority), asc(table.id)).all()) as RuleRow[]
  const find = async (id: number) => (await db.select().from(table).where(eq(table.id, id)).get()) as RuleRow | undefined
  const DEFAULTS = { name: '', priority: 100, enabled: 1, identifyBy: 'caller' }

  /** Checks a rule as the admin API does; the row as it would be stored, or the errors beside their fields. */
  const validate = async (body: Columns, formErrors: FieldErrors, existing?: RuleRow) => {
    const errors: FieldErrors = { ...formErrors }
    const parsed = v.safeParse(RuleBody, Object.fromEntries(Object.entries(body).filter(([key]) => !(key in formErrors))))
    if (!parsed.success) {
      errorsOf.issues(parsed.issues, errors)
    }
    if (Object.keys(errors).length > 0 || !parsed.success) return { errors }
    const values = columnsToRow(parsed.output as Columns)
    const row = { ...DEFAULTS, ...(existing ?? { id: 0 }), ...values } as RuleRow
    const check = verdict(row)
    // The compiler knows a schedule's name only by its shape; the admin API also looks it up.
    const schedule = await unknownScheduleProblem(db, row.schedule)
    const problem = [check.problem, schedule].filter(Boolean).join('; ')
    if (problem) {
      errorsOf.problems(problem, errors)
      return { errors }
    }
    return { values, warnings: check.warnings ?? [] }
  }

  const field = (key: string, label: string, hint: string, value: unknown, errors: FieldErrors, control?: (attributes: Html) => Html) =>
    formField({
      id: `f-${key}`,
      name: key,
      label,
      hint,
      value,
      problems: errors[key],
      control: control && ((_id, attributes) => control(attributes)),
    })

  const select = (key: string, value: unknown, choices: readonly (readonly [string, string])[]) => (attributes: Html) =>
    html`<select id="f-${key}" name="${key}"${attributes}>${choices.map(
      ([choice, label]) => html`<option value="${choice}"${String(value ?? '') === choice ? raw(' selected') : ''}>${label}</option>`,
    )}</select>`

  const ruleForm = (
    c: ConsoleContext,
    { action, values, errors, submit }: { action: string; values: Columns; errors: FieldErrors; submit: string },
  ) => {
    const providers = Object.keys(capabilities)
    const control = (key: string) => {
      if (key === 'provider')
        return select('provider', values.provider, [['', 'any provider'], ...providers.map((id) => [id, id] as const)])
      if (key === 'identify_by')
        return select('identify_by', values.identify_by ?? 'caller', [
          ['caller', 'caller ID'],
          ['pin', 'digits typed (PIN / account)'],
          ['none', 'no lookup'],
        ])
      if (key === 'action') return select('action', values.action, [['', 'choose…'], ...ACTIONS.map((name) => [name, name] as const)])
      return undefined
    }
    const options =
      values.options === null || values.options === undefined
        ? ''
        : typeof values.options === 'string'
          ? values.options
          : JSON.stringify(values.options, null, 2)
    return html`<form method="post" action="${action}" novalidate>
      ${csrfField(c)}
      ${errors._ ? html`<p class="notice error" role="alert">${errors._.join('; ')}</p>` : ''}
      <fieldset>
        <legend>Rule</legend>
        <div class="fields">
          ${field('name', 'Name', 'What people call it', values.name, errors)}
          ${field('priority', 'Priority', 'Lower runs first', values.priority ?? 100, errors)}
          <label class="check"><input type="checkbox" name="enabled"${values.enabled === 0 || values.enabled === false ? '' : raw(' checked')} /> Enabled</label>
        </div>
      </fieldset>
      <fieldset>
        <legend>When</legend>
        <div class="fields">${CONDITION_FIELDS.map(([key, label, hint]) => field(key, label, hint, values[key], errors, control(key)))}</div>
      </fieldset>
      <fieldset>
        <legend>Then</legend>
        <div class="fields">${ACTION_FIELDS.map(([key, label, hint]) => field(key, label, hint, values[key], errors, control(key)))}</div>
        ${field('options', 'Options (JSON)', 'Durations, recording, screen pop, per-provider answers', options, errors, (attributes) => html`<textarea id="f-options" name="options"${attributes}>${options}</textarea>`)}
        ${field('note', 'Note', '', values.note, errors)}
      </fieldset>
      <p class="toolbar"><button>${submit}</button> <a href="${set.home}">Cancel</a></p>
    </form>`
  }

  const listPage = async (c: ConsoleContext, notice?: { kind: 'ok' | 'error'; text: string }) => {
    const rows = await all()
    const editable = canEdit(c)
    const body = html`
      <div class="toolbar">
        ${editable ? html`<a class="button" href="${base}/new">New rule</a>` : ''}
        ${live ? html`<a href="/console/rules/history">History</a>` : ''}
        <span class="muted">Rules are tried in this order; the first that matches answers. Changes reach calls within ${service.config.RULES_REFRESH_MS} ms.</span>
      </div>
      ${ruleTable(c, rows, { base, verdict })}`
    return consolePage(c, { title: live ? 'Rules' : 'Draft rules', body, notice })
  }

  const saved = (c: ConsoleContext, text: string) => c.redirect(`${set.home}?done=${encodeURIComponent(text)}`, 303)

  const idOf = (c: ConsoleContext) => {
    const id = Number(c.req.param('id'))
    return Number.isSafeInteger(id) && id > 0 ? id : undefined
  }

  const notFound = (c: ConsoleContext) =>
    consolePage(c, {
      title: 'No such rule',
      status: 404,
      body: html`<p>It may have been deleted. <a href="${set.home}">All rules</a></p>`,
    })

  const history = (c: ConsoleContext, entries: ChangeEntry[]) =>
    historyTable(c, entries, {
      noun: 'Rule',
      link: (entry) => `/console/rules/${entry.entityId}`,
      label: (entry) => String(entry.after?.name ?? entry.before?.name ?? '') || `rule ${entry.entityId}`,
      revertPath: (entry) => `/console/rules/history/${entry.id}/revert`,
      describeCreated: describeThen,
    })

  const pages = new Hono<ConsoleEnv>()
  // The history is of live rules; registered before /rules/:id, which would take "history" for an id.
  if (live) {
    pages
      .get('/rules/history', async (c) => {
        const entries = await changes.list({ entity: 'rules', limit: 100 })
        return consolePage(c, { title: 'Rule history', body: html`<p><a href="${set.home}">All rules</a></p>${history(c, entries)}` })
      })
      .post('/rules/history/:change/revert', adminOnly, async (c) => {
        const change = await changes.get(Number(c.req.param('change')))
        if (!change) return notFound(c)
        if (change.entity !== 'rules') return notFound(c)
        const outcome = await revert(change)
        if (outcome.error) {
          const entries = await changes.list({ entity: 'rules', limit: 100 })
          return consolePage(c, {
            title: 'Rule history',
            status: 409,
            notice: { kind: 'error', text: outcome.error },
            body: history(c, entries),
          })
        }
        return saved(c, outcome.done ?? '')
      })
  }
  pages
    .get(set.path, async (c) => {
      const done = c.req.query('done')
      // The draft's rules are listed on the draft's own page, with how they differ from live.
      if (!live) return c.redirect(`${set.home}${done ? `?done=${encodeURIComponent(done)}` : ''}`, 303)
      return await listPage(c, done ? { kind: 'ok', text: done } : undefined)
    })
    .get(`${set.path}/new`, adminOnly, (c) =>
      consolePage(c, {
        title: 'New rule',
        body: ruleForm(c, { action: base, values: { enabled: 1, priority: 100 }, errors: {}, submit: 'Create rule' }),
      }),
    )
    .post(set.path, adminOnly, async (c) => {
      const { body, errors } = formToBody(await c.req.parseBody())
      const result = await validate(body, errors)
      if (!result.values) {
        return consolePage(c, {
          title: 'New rule',
          status: 400,
          notice: { kind: 'error', text: 'The rule was not saved: fix the fields marked below. Nothing was changed.' },
          body: ruleForm(c, { action: base, values: body, errors: result.errors, submit: 'Create rule' }),
        })
      }
      const [created] = (await db
        .insert(table)
        .values(result.values as never)
        .returning()
        .all()) as RuleRow[]
      const row = created as RuleRow
      await record(row.id, 'create', undefined, row)
      log.info('console: rule created', { id: row.id })
      return saved(c, `Rule “${row.name || row.id}” created.${result.warnings.length ? ` Warning: ${result.warnings.join('; ')}` : ''}`)
    })
    .get(`${set.path}/:id`, async (c) => {
      const id = idOf(c)
      const row = id ? await find(id) : undefined
      const entries = id ? await changes.list({ entity: 'rules', entityId: id, limit: 50 }) : []
      if (!row) {
        if (entries.length === 0) return notFound(c)
        return consolePage(c, { title: `Rule ${id} (deleted)`, body: html`<h2>History</h2>${history(c, entries)}` })
      }
      const columns = rowToColumns(row)
      const check = verdict(row)
      const body = html`
          <div class="toolbar">
            ${canEdit(c) ? html`<a class="button" href="${base}/${row.id}/edit">Edit</a>` : ''}
            <a href="${set.home}">All rules</a>
          </div>
          <div class="card">
            <p><strong>When:</strong> ${describeWhen(columns)}</p>
            <p><strong>Then:</strong> <span class="mono">${describeThen(columns)}</span></p>
            <p><strong>Status:</strong> ${row.enabled ? 'on' : 'off'}, priority ${row.priority}</p>
            ${check.problem ? html`<p class="problem">Skipped by the service: ${check.problem}</p>` : ''}
            ${(check.warnings ?? []).map((warning) => html`<p class="warning">${warning}</p>`)}
            ${row.note ? html`<p class="muted">${row.note}</p>` : ''}
          </div>
          <h2>History</h2>
          ${history(c, entries)}
          ${
            canEdit(c)
              ? html`<h2>Delete</h2><form method="post" action="${base}/${row.id}/delete">${csrfField(c)}<button class="danger">Delete this rule</button> <span class="muted">It can be restored from the history.</span></form>`
              : ''
          }`
      return consolePage(c, { title: row.name || `Rule ${row.id}`, body })
    })
    .get(`${set.path}/:id/edit`, adminOnly, async (c) => {
      const id = idOf(c)
      const row = id ? await find(id) : undefined
      if (!row) return notFound(c)
      return consolePage(c, {
        title: `Edit ${row.name || `rule ${row.id}`}`,
        body: ruleForm(c, { action: `${base}/${row.id}`, values: rowToColumns(row), errors: {}, submit: 'Save' }),
      })
    })
    .post(`${set.path}/:id`, adminOnly, async (c) => {
      const id = idOf(c)
      const existing = id ? await find(id) : undefined
      if (!existing) return notFound(c)
      const { body, errors } = formToBody(await c.req.parseBody())
      const result = await validate(body, errors, existing)
      if (!result.values) {
        return consolePage(c, {
          title: `Edit ${existing.name || `rule ${existing.id}`}`,
          status: 400,
          notice: { kind: 'error', text: 'The rule was not saved: fix the fields marked below. Nothing was changed.' },
          body: ruleForm(c, { action: `${base}/${existing.id}`, values: body, errors: result.errors, submit: 'Save' }),
        })
      }
      await db
        .update(table)
        .set(result.values as never)
        .where(eq(table.id, existing.id))
        .run()
      const after = (await find(existing.id)) as RuleRow
      await record(existing.id, 'update', existing, after)
      log.info('console: rule changed', { id: existing.id })
      return saved(c, `Rule “${after.name || after.id}” saved.${result.warnings.length ? ` Warning: ${result.warnings.join('; ')}` : ''}`)
    })
    .post(`${set.path}/:id/toggle`, adminOnly, async (c) => {
      const id = idOf(c)
      const existing = id ? await find(id) : undefined
      if (!existing) return notFound(c)
      const enabled = existing.enabled === 1 ? 0 : 1
      // Switching off is always allowed; switching on a rule the service cannot use is refused, as in the API.
      if (enabled === 1) {
        const check = verdict({ ...existing, enabled })
        if (check.problem) return listPage(c, { kind: 'error', text: `“${existing.name || existing.id}” stays off: ${check.problem}` })
      }
      await update(existing, { enabled })
      return saved(c, `Rule “${existing.name || existing.id}” turned ${enabled ? 'on' : 'off'}.`)
    })
    .post(`${set.path}/:id/move`, adminOnly, async (c) => {
      const id = idOf(c)
      const direction = (await c.req.parseBody()).direction
      const rows = await all()
      const index = rows.findIndex((row) => row.id === id)
      const other = rows[direction === 'up' ? index - 1 : index + 1]
      const row = rows[index]
      if (!row) return notFound(c)
      if (!other) return saved(c, 'Nothing to move: it is already there.')
      // Equal priorities fall back to id order, which a swap cannot change: space the whole list out first.
      let ordered = rows
      if (new Set(rows.map((rule) => rule.priority)).size !== rows.length) {
        ordered = []
        for (const [position, rule] of rows.entries()) {
          const priority = (position + 1) * 10
          if (rule.priority !== priority) await update(rule, { priority })
          ordered.push({ ...rule, priority })
        }
      }
      const moving = ordered[index] as RuleRow
      const neighbour = ordered[direction === 'up' ? index - 1 : index + 1] as RuleRow
      for (const [rule, priority] of [
        [moving, neighbour.priority],
        [neighbour, moving.priority],
      ] as const)
        await update(rule, { priority })
      return saved(c, `Rule “${row.name || row.id}” moved ${direction === 'up' ? 'up' : 'down'}.`)
    })
    .post(`${set.path}/:id/delete`, adminOnly, async (c) => {
      const id = idOf(c)
      const existing = id ? await find(id) : undefined
      if (!existing) return notFound(c)
      await db.delete(table).where(eq(table.id, existing.id)).run()
      await record(existing.id, 'delete', existing)
      return saved(c, `Rule “${existing.name || existing.id}” deleted; its history can restore it.`)
    })
  return pages

  function revert(change: ChangeEntry) {
    const label = `“${String(change.before?.name ?? change.after?.name ?? '') || `rule ${change.entityId}`}”`
    return find(change.entityId).then((current) =>
      revertChange<RuleRow>({
        db,
        table,
        change,
        current,
        defaults: DEFAULTS,
        label,
        find,
        refuse: (restored) => {
          const check = verdict(restored)
          return check.problem && restored.enabled === 1 ? `the service could not use it now (${check.problem})` : undefined
        },
        record: (before, after) => record(change.entityId, 'revert', before, after),
      }),
    )
  }
}
