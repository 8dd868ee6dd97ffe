import { eq } from 'drizzle-orm'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { MenuKeyBody } from '../admin/admin-schemas.ts'
import { type ChangeEntry, createChangeLog } from '../admin/change-log.ts'
import { columnsToRow, rowToColumns } from '../admin/columns.ts'
import { checkMenuKey, MENU_KEY_DEFAULTS, repeatedKeyProblem } from '../admin/menu-routes.ts'
import { type MenuKeyRow, menuKeys } from '../db/schema.ts'
import { duplicateKeyProblem, MENU_ACTIONS, MENU_KEYS, repeatedMenuKeys } from '../rules/menu-key.ts'
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

type Columns = Record<string, unknown>
type Notice = { kind: 'ok' | 'error'; text: string }

/** The menu key form's fields, in the order shown, with what a person needs to fill them in. */
const FIELDS = [
  ['layer', 'Layer (the menu)', 'The layer the caller is in when they press the key, e.g. 7'],
  ['key', 'Key', ''],
  ['action', 'Action', ''],
  ['target', 'Target', 'The layer, queue, extension or phone number; the text for sms; empty for hangup and voicemail'],
  ['say', 'Say first', 'e.g. text:Connecting you, recording:sales; empty: nothing'],
  ['provider', 'Providers', ''],
  ['priority', 'Priority', 'Where the key sits among the rules (lower runs first); empty: 1000'],
] as const
const FIELD_NAMES = new Set<string>([...FIELDS.map(([key]) => key), 'enabled', 'options'])
/** The rule columns a menu key stands for, as the compiler names them: errors go beside the menu key's own field. */
const RULE_COLUMNS: Record<string, string> = { to_layer: 'target', dial: 'target', from_layer: 'layer', dtmf: 'key' }
const KEY_NAMES: Record<string, string> = { EMPTY_KEY: 'nothing typed', INVALID_KEY: 'any other key' }
const KEY_ORDER = new Map<string, number>(MENU_KEYS.map((key, index) => [key, index]))

/** A change's id, a key's id: whole numbers, else the page says which part of the address is wrong. */
const Id = v.pipe(v.string(), v.regex(/^[1-9]\d{0,14}$/, 'must be a whole number'), v.transform(Number))
const PageQuery = v.object({
  done: v.optional(v.pipe(v.string(), v.maxLength(500))),
  layer: v.optional(v.pipe(v.string(), v.maxLength(64))),
})

/** A form's text as the admin API's JSON body: empty fields are "not set", numbers, JSON and the flag typed. */
const formToBody = (form: Record<string, unknown>): { body: Columns; errors: FieldErrors } => {
  const body: Columns = {}
  const errors: FieldErrors = {}
  const text = (key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '')
  body.layer = text('layer')
  body.key = text('key').toUpperCase()
  body.action = text('action').toLowerCase()
  for (const key of ['target', 'say', 'provider']) body[key] = text(key) === '' ? null : text(key)
  body.priority = text('priority') === '' ? MENU_KEY_DEFAULTS.priority : Number(text('priority'))
  body.enabled = form.enabled === 'on' || form.enabled === '1'
  const options = text('options')
  if (options === '') body.options = null
  else {
    try {
      body.options = JSON.parse(options)
    } catch {
      errors.options = ['is not valid JSON (an object such as {"providers": {"stringee": {"action": "collect"}}})']
      body.options = options
    }
  }
  return { body, errors }
}

/** The check's `field: problem; …` beside the menu key fields they are about (the rule's columns renamed). */
const errorsOf = fieldErrorSink(FIELD_NAMES, RULE_COLUMNS)

/** What pressing the key does, in a few words. */
const describeAction = (key: Columns): string => {
  const target = key.target === null || key.target === undefined ? '' : String(key.target)
  switch (key.action) {
    case 'go_to_layer':
      return `go to layer ${target}`
    case 'queue':
      return `queue ${target}`
    case 'extension':
      return `dial extension ${target}`
    case 'phone':
      return `dial ${target}`
    case 'hangup':
      return 'hang up'
    case 'sms':
      return `hang up and text “${target}”`
    default:
      return `${String(key.action)}${target ? ` ${target}` : ''}`
  }
}

const keyName = (key: unknown) => {
  const name = String(key ?? '')
  return KEY_NAMES[name] ? `${name} (${KEY_NAMES[name]})` : name
}

/** One key in words: `layer 7 key 1`. */
const keyLabel = (key: Columns | undefined, id: number) => (key ? `layer ${String(key.layer)} key ${String(key.key)}` : `menu key ${id}`)

/** Layers in the order people number them: 2 before 10, names after numbers. */
const byLayer = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })
const byKey = (a: MenuKeyRow, b: MenuKeyRow) =>
  (KEY_ORDER.get(a.key.trim().toUpperCase()) ?? 99) - (KEY_ORDER.get(b.key.trim().toUpperCase()) ?? 99) ||
  a.priority - b.priority ||
  a.id - b.id

export const menusPages = ({ db, service, log, now = Date.now }: ConsoleDeps) => {
  const changes = createChangeLog(db, () => new Date(now()))
  const capabilities = service.capabilities
  const timeZone = service.config.TIME_ZONE
  const verdict = (row: MenuKeyRow) => checkMenuKey(row, { timeZone, capabilities })
  const all = () => db.select().from(menuKeys).all() as Promise<MenuKeyRow[]>
  const find = async (id: number) => (await db.select().from(menuKeys).where(eq(menuKeys.id, id)).get()) as MenuKeyRow | undefined
  const record = (entityId: number, action: ChangeEntry['action'], before?: MenuKeyRow, after?: MenuKeyRow) =>
    changes.record({
      role: 'admin',
      via: 'console',
      entity: 'menu_keys',
      entityId,
      action,
      before: before && rowToColumns(before),
      after: after && rowToColumns(after),
    })

  /** Checks a key as the admin API does; the columns to store, or the errors beside their fields. */
  const validate = async (body: Columns, formErrors: FieldErrors, existing?: MenuKeyRow) => {
    const errors: FieldErrors = { ...formErrors }
    const parsed = v.safeParse(MenuKeyBody, Object.fromEntries(Object.entries(body).filter(([key]) => !(key in formErrors))))
    if (!parsed.success) {
      errorsOf.issues(parsed.issues, errors)
    }
    if (Object.keys(errors).length > 0 || !parsed.success) return { errors }
    const values = columnsToRow(parsed.output as Columns)
    const row = { ...MENU_KEY_DEFAULTS, ...(existing ?? { id: 0 }), ...values } as MenuKeyRow
    const repeat = repeatedKeyProblem(await all(), row, existing?.id)
    if (repeat) errorsOf.problems(repeat, errors)
    const check = verdict(row)
    if (check.problem) errorsOf.problems(check.problem, errors)
    if (Object.keys(errors).length > 0) return { errors }
    return { values, warnings: check.warnings ?? [] }
  }

  const field = (
    form: string,
    key: string,
    label: string,
    hint: string,
    value: unknown,
    errors: FieldErrors,
    control?: (id: string, attributes: Html) => Html,
  ) => formField({ id: `${form}-${key}`, name: key, label, hint, value, problems: errors[key], control })

  const select = (key: string, value: unknown, choices: readonly (readonly [string, string])[]) => (id: string, attributes: Html) =>
    html`<select id="${id}" name="${key}"${attributes}>${choices.map(
      ([choice, label]) => html`<option value="${choice}"${String(value ?? '') === choice ? raw(' selected') : ''}>${label}</option>`,
    )}</select>`
  const keyChoices = [['', 'choose…'], ...MENU_KEYS.map((key) => [key, keyName(key)] as const)] as const
  const actionChoices = [['', 'choose…'], ...MENU_ACTIONS.map((action) => [action, action] as const)] as const
  const providersHint = `Comma list of ${Object.keys(capabilities).join(', ')}; empty: every provider`

  /** The fields of a key: every one on the key's own form, the usual ones on a menu's short "add a key" form. */
  const keyFields = (form: string, values: Columns, errors: FieldErrors, { layer = true, short = false } = {}) => {
    const control = (key: string) => {
      if (key === 'key') return select('key', values.key, keyChoices)
      if (key === 'action') return select('action', values.action, actionChoices)
      return undefined
    }
    const shown = FIELDS.filter(([key]) => (layer || key !== 'layer') && (!short || key !== 'priority'))
    return shown.map(([key, label, hint]) =>
      field(form, key, label, short && key !== 'layer' ? '' : key === 'provider' ? providersHint : hint, values[key], errors, control(key)),
    )
  }

  const keyForm = (
    c: ConsoleContext,
    { action, values, errors, submit }: { action: string; values: Columns; errors: FieldErrors; submit: string },
  ) => {
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
        <legend>Menu key</legend>
        <div class="fields">
          ${keyFields('f', values, errors)}
          <label class="check"><input type="checkbox" name="enabled"${values.enabled === 0 || values.enabled === false ? '' : raw(' checked')} /> Enabled</label>
        </div>
        ${field('f', 'options', 'Options (JSON)', 'A rule’s options: options.providers gives a provider its own answer', options, errors, (id, attributes) => html`<textarea id="${id}" name="options"${attributes}>${options}</textarea>`)}
      </fieldset>
      <p class="toolbar"><button>${submit}</button> <a href="/console/menus">Cancel</a></p>
    </form>`
  }

  /** A short form under each menu (and one for a new menu): the usual fields; the rest take their defaults. */
  const addKeyForm = (c: ConsoleContext, form: string, layer: string | undefined) =>
    html`<form method="post" action="/console/menus" novalidate>
      ${csrfField(c)}
      <input type="hidden" name="enabled" value="on" />
      ${layer === undefined ? '' : html`<input type="hidden" name="layer" value="${layer}" />`}
      <div class="fields">${keyFields(form, { layer }, {}, { layer: layer === undefined, short: true })}</div>
      <p class="toolbar">
        <button>${layer === undefined ? 'Create menu' : 'Add key'}</button>
        <a href="/console/menus/new${layer === undefined ? '' : `?layer=${encodeURIComponent(layer)}`}">All fields…</a>
      </p>
    </form>`

  const status = (row: MenuKeyRow, problem: string | undefined, warnings: readonly string[]) => {
    const on = row.enabled === 1
    return html`<span class="badge ${on ? 'on' : ''}">${on ? 'on' : 'off'}</span>
      ${problem ? html`<div class="problem">Skipped: ${problem}</div>` : ''}
      ${warnings.map((warning) => html`<div class="warning">${warning}</div>`)}`
  }

  const listPage = async (c: ConsoleContext, notice?: Notice, code: 200 | 400 = 200) => {
    const rows = await all()
    const editable = canEdit(c)
    const repeats = new Map(repeatedMenuKeys(rows).map(({ key, first }) => [key.id, duplicateKeyProblem(key, first)]))
    const layers = [...new Set(rows.map((row) => row.layer.trim()))].sort(byLayer)
    const menu = (layer: string, index: number) => {
      const keys = rows.filter((row) => row.layer.trim() === layer).sort(byKey)
      return html`<section class="card" id="menu-${index}">
        <h2>Menu at layer ${layer}</h2>
        <table>
          <thead><tr><th>Key</th><th>Does</th><th>Says first</th><th>Providers</th><th>Priority</th><th>Status</th>${editable ? html`<th>Change</th>` : ''}</tr></thead>
          <tbody>
            ${keys.map((row) => {
              const check = verdict(row)
              const on = row.enabled === 1
              const label = `key ${row.key} of layer ${row.layer}`
              return html`<tr class="${on ? '' : 'off'}" id="key-${row.id}">
                <td class="mono"><a href="/console/menus/${row.id}">${keyName(row.key)}</a></td>
                <td class="mono">${describeAction(rowToColumns(row))}</td>
                <td class="mono">${row.say ?? ''}</td>
                <td>${row.provider ?? html`<span class="muted">every provider</span>`}</td>
                <td class="mono">${row.priority}</td>
                <td>${status(row, check.problem ?? repeats.get(row.id), check.warnings ?? [])}</td>
                ${
                  editable
                    ? html`<td class="actions">
                        <form method="post" action="/console/menus/${row.id}/toggle" class="inline">${csrfField(c)}<button class="secondary" aria-label="${on ? 'Turn off' : 'Turn on'} ${label}">${on ? 'Turn off' : 'Turn on'}</button></form>
                        <a href="/console/menus/${row.id}/edit" aria-label="Edit ${label}">Edit</a>
                        <form method="post" action="/console/menus/${row.id}/delete" class="inline">${csrfField(c)}<button class="link" aria-label="Delete ${label}">Delete</button></form>
                      </td>`
                    : ''
                }
              </tr>`
            })}
          </tbody>
        </table>
        ${editable ? html`<h3>Add a key to layer ${layer}</h3>${addKeyForm(c, `add-${index}`, layer)}` : ''}
      </section>`
    }
    const body = html`
      <div class="toolbar">
        ${editable ? html`<a class="button" href="/console/menus/new">New key</a>` : ''}
        <a href="/console/menus/history">History</a>
        <span class="muted">A key is a rule for callers at its layer who typed it; changes reach calls within ${service.config.RULES_REFRESH_MS} ms.</span>
      </div>
      ${layers.length === 0 ? html`<p class="muted">No menus yet.</p>` : layers.map(menu)}
      ${editable ? html`<section class="card"><h2>New menu</h2><p class="muted">A menu is the keys of one layer: give the layer and its first key.</p>${addKeyForm(c, 'new-menu', undefined)}</section>` : ''}`
    return consolePage(c, { title: 'Menus', body, notice, status: code })
  }

  const saved = (c: ConsoleContext, text: string) => c.redirect(`/console/menus?done=${encodeURIComponent(text)}`, 303)
  const withWarnings = (text: string, warnings: readonly string[]) => `${text}${warnings.length ? ` Warning: ${warnings.join('; ')}` : ''}`

  const badAddress = (c: ConsoleContext, name: string, message: string) =>
    consolePage(c, {
      title: 'Not a page',
      status: 400,
      notice: { kind: 'error', text: `${name}: ${message}` },
      body: html`<p><a href="/console/menus">All menus</a></p>`,
    })
  const notFound = (c: ConsoleContext, what = 'menu key') =>
    consolePage(c, {
      title: `No such ${what}`,
      status: 404,
      body: html`<p>It may have been deleted; the history can restore it. <a href="/console/menus">All menus</a></p>`,
    })
  /** The key the address names, or the page that says why there is none. */
  const keyOf = async (c: ConsoleContext): Promise<MenuKeyRow | Response> => {
    const id = v.safeParse(Id, c.req.param('id'))
    if (!id.success) return badAddress(c, 'id', id.issues[0].message)
    return (await find(id.output)) ?? notFound(c)
  }

  const history = (c: ConsoleContext, entries: ChangeEntry[]) =>
    historyTable(c, entries, {
      noun: 'Key',
      link: (entry) => `/console/menus/${entry.entityId}`,
      label: (entry) => keyLabel(entry.after ?? entry.before, entry.entityId),
      revertPath: (entry) => `/console/menus/history/${entry.id}/revert`,
      describeCreated: describeAction,
    })
  const historyPage = async (c: ConsoleContext, notice?: Notice) =>
    consolePage(c, {
      title: 'Menu history',
      status: notice?.kind === 'error' ? 409 : 200,
      notice,
      body: html`<p><a href="/console/menus">All menus</a></p>${history(c, await changes.list({ entity: 'menu_keys', limit: 100 }))}`,
    })

  const invalidForm = (c: ConsoleContext, title: string, action: string, values: Columns, errors: FieldErrors, submit: string) =>
    consolePage(c, {
      title,
      status: 400,
      notice: { kind: 'error', text: 'The menu key was not saved: fix the fields marked below. Nothing was changed.' },
      body: keyForm(c, { action, values, errors, submit }),
    })

  return new Hono<ConsoleEnv>()
    .get('/menus', (c) => {
      const query = v.safeParse(PageQuery, c.req.query())
      const done = query.success ? query.output.done : undefined
      return listPage(c, done ? { kind: 'ok', text: done } : undefined)
    })
    .get('/menus/new', adminOnly, (c) => {
      const query = v.safeParse(PageQuery, c.req.query())
      if (!query.success) return badAddress(c, 'layer', 'is too long (at most 64 characters)')
      return consolePage(c, {
        title: 'New menu key',
        body: keyForm(c, {
          action: '/console/menus',
          values: { layer: query.output.layer, enabled: 1, priority: MENU_KEY_DEFAULTS.priority },
          errors: {},
          submit: 'Create key',
        }),
      })
    })
    .post('/menus', adminOnly, async (c) => {
      const { body, errors } = formToBody(await c.req.parseBody())
      const result = await validate(body, errors)
      if (!result.values) return invalidForm(c, 'New menu key', '/console/menus', body, result.errors, 'Create key')
      const [created] = (await db
        .insert(menuKeys)
        .values(result.values as never)
        .returning()
        .all()) as MenuKeyRow[]
      const row = created as MenuKeyRow
      await record(row.id, 'create', undefined, row)
      log.info('console: menu key created', { id: row.id })
      return saved(c, withWarnings(`Key ${row.key} of layer ${row.layer} created.`, result.warnings))
    })
    .get('/menus/history', (c) => historyPage(c))
    .post('/menus/history/:change/revert', adminOnly, async (c) => {
      const id = v.safeParse(Id, c.req.param('change'))
      if (!id.success) return badAddress(c, 'change', id.issues[0].message)
      const change = await changes.get(id.output)
      if (change?.entity !== 'menu_keys') return notFound(c, 'change')
      const outcome = await revert(change)
      return outcome.error === undefined ? saved(c, outcome.done) : historyPage(c, { kind: 'error', text: outcome.error })
    })
    .get('/menus/:id', async (c) => {
      const id = v.safeParse(Id, c.req.param('id'))
      if (!id.success) return badAddress(c, 'id', id.issues[0].message)
      const row = await find(id.output)
      const entries = await changes.list({ entity: 'menu_keys', entityId: id.output, limit: 50 })
      if (!row) {
        if (entries.length === 0) return notFound(c)
        return consolePage(c, { title: `Menu key ${id.output} (deleted)`, body: html`<h2>History</h2>${history(c, entries)}` })
      }
      const columns = rowToColumns(row)
      const check = verdict(row)
      const repeat = repeatedKeyProblem(await all(), row, row.id)
      const body = html`
        <div class="toolbar">
          ${canEdit(c) ? html`<a class="button" href="/console/menus/${row.id}/edit">Edit</a>` : ''}
          <a href="/console/menus">All menus</a>
        </div>
        <div class="card">
          <p><strong>Pressing</strong> <span class="mono">${keyName(row.key)}</span> at layer ${row.layer}:
            <span class="mono">${describeAction(columns)}</span>${row.say ? html`, saying <span class="mono">${row.say}</span> first` : ''}</p>
          <p><strong>Providers:</strong> ${row.provider ?? 'every provider'} · priority ${row.priority}</p>
          ${columns.options ? html`<p><strong>Options:</strong> <span class="mono">${JSON.stringify(columns.options)}</span></p>` : ''}
          <p><strong>Status:</strong> ${status(row, check.problem ?? repeat, check.warnings ?? [])}</p>
        </div>
        <h2>History</h2>
        ${history(c, entries)}
        ${
          canEdit(c)
            ? html`<h2>Delete</h2><form method="post" action="/console/menus/${row.id}/delete">${csrfField(c)}<button class="danger">Delete this key</button> <span class="muted">It can be restored from the history.</span></form>`
            : ''
        }`
      return consolePage(c, { title: `Layer ${row.layer} key ${row.key}`, body })
    })
    .get('/menus/:id/edit', adminOnly, async (c) => {
      const row = await keyOf(c)
      if (row instanceof Response) return row
      return consolePage(c, {
        title: `Edit layer ${row.layer} key ${row.key}`,
        body: keyForm(c, { action: `/console/menus/${row.id}`, values: rowToColumns(row), errors: {}, submit: 'Save' }),
      })
    })
    .post('/menus/:id', adminOnly, async (c) => {
      const existing = await keyOf(c)
      if (existing instanceof Response) return existing
      const { body, errors } = formToBody(await c.req.parseBody())
      const result = await validate(body, errors, existing)
      if (!result.values) {
        return invalidForm(
          c,
          `Edit layer ${existing.layer} key ${existing.key}`,
          `/console/menus/${existing.id}`,
          body,
          result.errors,
          'Save',
        )
      }
      await db
        .update(menuKeys)
        .set(result.values as never)
        .where(eq(menuKeys.id, existing.id))
        .run()
      const after = (await find(existing.id)) as MenuKeyRow
      await record(existing.id, 'update', existing, after)
      log.info('console: menu key changed', { id: existing.id })
      return saved(c, withWarnings(`Key ${after.key} of layer ${after.layer} saved.`, result.warnings))
    })
    .post('/menus/:id/toggle', adminOnly, async (c) => {
      const existing = await keyOf(c)
      if (existing instanceof Response) return existing
      const enabled = existing.enabled === 1 ? 0 : 1
      // Switching off is always allowed; switching on a key the service cannot use, or one its menu already has, is refused as in the API.
      if (enabled === 1) {
        const candidate = { ...existing, enabled }
        const problem = repeatedKeyProblem(await all(), candidate, existing.id) ?? verdict(candidate).problem
        if (problem)
          return listPage(c, { kind: 'error', text: `Key ${existing.key} of layer ${existing.layer} stays off: ${problem}` }, 400)
      }
      await db.update(menuKeys).set({ enabled }).where(eq(menuKeys.id, existing.id)).run()
      await record(existing.id, 'update', existing, { ...existing, enabled })
      return saved(c, `Key ${existing.key} of layer ${existing.layer} turned ${enabled ? 'on' : 'off'}.`)
    })
    .post('/menus/:id/delete', adminOnly, async (c) => {
      const existing = await keyOf(c)
      if (existing instanceof Response) return existing
      await db.delete(menuKeys).where(eq(menuKeys.id, existing.id)).run()
      await record(existing.id, 'delete', existing)
      return saved(c, `Key ${existing.key} of layer ${existing.layer} deleted; its history can restore it.`)
    })

  /** Puts a key back as it was before a change; one its menu has meanwhile been given again is refused. */
  async function revert(change: ChangeEntry) {
    return revertChange<MenuKeyRow>({
      db,
      table: menuKeys,
      change,
      current: await find(change.entityId),
      defaults: MENU_KEY_DEFAULTS,
      label: keyLabel(change.before ?? change.after, change.entityId),
      find,
      refuse: async (restored) => {
        const repeat = repeatedKeyProblem(await all(), restored, change.entityId)
        if (repeat) return `${repeat.replace(/^key: /, '').replace(/; change that key.*$/, '')}. Change or turn off that key first`
        const check = verdict(restored)
        return check.problem && restored.enabled === 1 ? `the service could not use it now (${check.problem})` : undefined
      },
      record: (before, after) => record(change.entityId, 'revert', before, after),
    })
  }
}
