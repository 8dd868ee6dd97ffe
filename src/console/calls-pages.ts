import { asc } from 'drizzle-orm'
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import { rules } from '../db/schema.ts'
import {
  type CallFilters,
  DEFAULT_PERIOD_MS,
  type FilterErrors,
  type FilterField,
  type FilterValues,
  KEPT_NUMBER_FIELD,
  keepNumber,
  maskedNumber,
  OUTCOMES,
  parseCallFilters,
} from './calls-filters.ts'
import { type CallMasker, callMasker } from './calls-masking.ts'
import { type CallPage, type CallRecord, type CallSummary, listCalls, loadCall, loadLoneStep } from './calls-query.ts'
import { callTimeline, describeAction, describeRule, typedSecrets } from './calls-timeline.ts'
import { type ConsoleContext, type ConsoleDeps, type ConsoleEnv, consolePage, type Html } from './console-layout.ts'
import { readableTime } from './wall-time.ts'

const LABELS: Record<FilterField, string> = {
  number: 'Caller’s number',
  provider: 'Provider',
  rule: 'Rule',
  outcome: 'Outcome',
  from: 'From',
  to: 'To',
  before: 'Page',
}

/** Rule names offered in the rule filter (a datalist: any name or number may still be typed). */
const RULE_NAMES_OFFERED = 500

const outcomeLabel = (lookupOutcome: string | null | undefined) =>
  lookupOutcome ? (OUTCOMES.find(([value]) => value === lookupOutcome)?.[1] ?? lookupOutcome) : ''

/**
 * /console/calls: recent calls with their filters, and one call's timeline (each request, lookup, decision,
 * answer and status callback, its call state and its CRM call logs). A viewer sees phone numbers masked
 * everywhere on these pages, the numbers inside stored requests and answers included, and the digits a
 * caller typed to be looked up; an admin sees them whole.
 */
export const callsPages = ({ db, service, now = Date.now }: ConsoleDeps) => {
  const { TIME_ZONE: timeZone, DEFAULT_COUNTRY: defaultCountry, CALL_LOG_MAX_ATTEMPTS: maxAttempts } = service.config
  const providers = Object.keys(service.capabilities).sort()
  const reveals = (c: ConsoleContext) => c.get('session').role === 'admin'

  const field = (key: FilterField, hint: string, errors: FilterErrors, control: (attributes: Html) => Html) => {
    const problem = errors[key]
    const id = `f-${key}`
    // As on the rules form: the label names the control alone; the error and the hint describe it.
    const describedBy = [problem ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
    const attributes = raw(
      `id="${id}" name="${key}"${describedBy ? ` aria-describedby="${describedBy}"` : ''}${problem ? ' aria-invalid="true"' : ''}`,
    )
    return html`<div class="field${problem ? ' invalid' : ''}">
      <label for="${id}">${LABELS[key]}</label>
      ${control(attributes)}
      ${problem ? html`<span class="error" id="${id}-error">${problem}</span>` : ''}
      ${hint ? html`<span class="hint muted" id="${id}-hint">${hint}</span>` : ''}
    </div>`
  }

  const select = (value: string | undefined, choices: readonly (readonly [string, string])[]) => (attributes: Html) =>
    html`<select ${attributes}>${choices.map(
      ([choice, label]) => html`<option value="${choice}"${(value ?? '') === choice ? raw(' selected') : ''}>${label}</option>`,
    )}</select>`

  /** The number as the form shows it back: whole to an admin; masked to a viewer, carried on in a hidden field. */
  const numberEcho = (c: ConsoleContext, values: FilterValues) => {
    const typed = values.number ?? ''
    if (!typed || reveals(c)) return { shown: typed, kept: '' }
    return { shown: maskedNumber(typed), kept: typed.includes('•') ? '' : keepNumber(typed) }
  }

  const filterForm = async (c: ConsoleContext, values: FilterValues, errors: FilterErrors) => {
    const ruleNames = await db
      .select({ id: rules.id, name: rules.name })
      .from(rules)
      .orderBy(asc(rules.priority), asc(rules.id))
      .limit(RULE_NAMES_OFFERED)
      .all()
    const number = numberEcho(c, values)
    const masker = callMasker({ reveal: reveals(c) })
    return html`<form method="get" action="/console/calls" class="card" novalidate>
      <div class="fields">
        ${field(
          'number',
          'As the caller dialled from: local (starting with 0) or international (starting with +)',
          errors,
          (attributes) =>
            html`<input ${attributes} type="tel" value="${number.shown}" autocomplete="off" />${
              number.kept ? html`<input type="hidden" name="${KEPT_NUMBER_FIELD}" value="${number.kept}" />` : ''
            }`,
        )}
        ${field('provider', '', errors, select(values.provider, [['', 'any provider'], ...providers.map((id) => [id, id] as const)]))}
        ${field(
          'rule',
          'A rule’s name or number; fallbacks are named “fallback: …”',
          errors,
          (attributes) => html`<input ${attributes} list="rule-names" value="${masker.text(values.rule)}" autocomplete="off" />
            <datalist id="rule-names">${ruleNames.map((rule) =>
              // A viewer picks by number: a name with a phone number in it is shown masked, and would not match.
              masker.reveals
                ? html`<option value="${rule.name || String(rule.id)}"></option>`
                : html`<option value="${String(rule.id)}">${masker.text(rule.name)}</option>`,
            )}</datalist>`,
        )}
        ${field('outcome', 'At any step of the call', errors, select(values.outcome, [['', 'any outcome'], ...OUTCOMES]))}
        ${field(
          'from',
          `Calls that started from this time, in ${timeZone}; empty: the last ${DEFAULT_PERIOD_MS / 3_600_000} hours`,
          errors,
          (attributes) => html`<input ${attributes} type="datetime-local" value="${values.from ?? ''}" />`,
        )}
        ${field('to', `In ${timeZone}; empty: until now`, errors, (attributes) => html`<input ${attributes} type="datetime-local" value="${values.to ?? ''}" />`)}
      </div>
      <p class="toolbar"><button>Show calls</button> <a href="/console/calls">Clear the filters</a></p>
    </form>`
  }

  /** A link to another page of the same search. */
  const pageLink = (c: ConsoleContext, values: FilterValues, before?: number) => {
    const query = new URLSearchParams()
    const number = numberEcho(c, values)
    if (number.shown) query.set('number', number.shown)
    if (number.kept) query.set(KEPT_NUMBER_FIELD, number.kept)
    for (const key of ['provider', 'rule', 'outcome', 'from', 'to'] as const) if (values[key]) query.set(key, values[key] as string)
    if (before !== undefined) query.set('before', String(before))
    return `/console/calls?${query}`
  }

  const lastStep = (call: CallSummary, masker: CallMasker) => {
    if (!call.last) return html`<td class="muted">none routed</td><td></td><td></td>`
    return html`<td>${describeRule(call.last, masker)}</td>
      <td>${describeAction(call.last.action)}</td>
      <td>${outcomeLabel(call.last.lookupOutcome)}</td>`
  }

  const callRow = (call: CallSummary, masker: CallMasker) => {
    const href =
      call.callId === null
        ? `/console/calls/step/${call.firstId}`
        : `/console/calls/${encodeURIComponent(call.provider)}/${encodeURIComponent(call.callId)}`
    return html`<tr id="call-${call.firstId}">
      <td><a href="${href}">${readableTime(call.startedAt, timeZone)}</a></td>
      <td class="mono">${call.provider}</td>
      <td class="mono">${masker.phone(call.caller) || html`<span class="muted">withheld</span>`}</td>
      <td class="mono">${masker.phone(call.did)}</td>
      <td class="mono">${call.steps}${call.lastStatus ? html` <span class="badge" title="the last status the provider reported">${call.lastStatus}</span>` : ''}</td>
      ${lastStep(call, masker)}
      <td>${call.fallbacks > 0 ? html`<span class="badge warn" title="${masker.text(call.fallbackReason) || 'no rule matched'}">fallback</span> <span class="muted">${masker.text(call.fallbackReason)}</span>` : ''}</td>
    </tr>`
  }

  const callTable = (page: CallPage, masker: CallMasker) =>
    page.calls.length === 0
      ? html`<p class="notice ok" role="status">No calls ${page.older ? 'in the part of the period searched so far' : 'match these filters in this period'}.</p>`
      : html`<table class="calls">
          <thead><tr><th>Started</th><th>Provider</th><th>Caller</th><th>Number called</th><th>Steps</th><th>Last rule</th><th>Last action</th><th>Caller lookup</th><th>Fallback</th></tr></thead>
          <tbody>${page.calls.map((call) => callRow(call, masker))}</tbody>
        </table>`

  const refused = async (c: ConsoleContext, values: FilterValues, errors: FilterErrors) =>
    consolePage(c, {
      title: 'Calls',
      status: 400,
      notice: {
        kind: 'error',
        text: `Not searched: ${Object.entries(errors)
          .map(([key, problem]) => `“${LABELS[key as FilterField]}” (${key}) ${problem}`)
          .join('; ')}.`,
      },
      body: await filterForm(c, values, errors),
    })

  const callPage = (c: ConsoleContext, record: CallRecord, title: string) => {
    const first = record.steps[0]
    const masker = callMasker({ reveal: reveals(c), secrets: typedSecrets(record.steps), keep: [first?.callId ?? ''] })
    return consolePage(c, { title, body: callTimeline(record, { timeZone, maxAttempts, masker }) })
  }

  const noSuchCall = (c: ConsoleContext) =>
    consolePage(c, {
      title: 'No such call',
      status: 404,
      body: html`<p>No step of this call is in the decision log: it may be older than the log keeps. <a href="/console/calls">All calls</a></p>`,
    })

  return new Hono<ConsoleEnv>()
    .get('/calls', async (c) => {
      const { filters, values, errors } = parseCallFilters(c.req.query(), { defaultCountry, timeZone, providers, now: now() })
      if (!filters) return refused(c, values, errors)
      const page = await listCalls(db, filters as CallFilters)
      const masker = callMasker({ reveal: reveals(c) })
      const body = html`
        ${await filterForm(c, values, {})}
        <p class="muted">Newest first, by when the call started; times are in ${timeZone}.${
          reveals(c) ? '' : ' Phone numbers are masked: you are signed in as a viewer.'
        }</p>
        ${callTable(page, masker)}
        ${
          page.searchedBackTo
            ? html`<p class="muted">To keep this page quick, it searched the calls that started after ${readableTime(page.searchedBackTo, timeZone)}.</p>`
            : ''
        }
        <p class="toolbar">
          ${filters.before ? html`<a class="button secondary" href="${pageLink(c, values)}">Newest calls</a>` : ''}
          ${page.older ? html`<a class="button secondary" href="${pageLink(c, values, page.older)}" rel="next">Older calls →</a>` : ''}
        </p>`
      return consolePage(c, { title: 'Calls', body })
    })
    .get('/calls/step/:id', async (c) => {
      const id = Number(c.req.param('id'))
      const record = Number.isSafeInteger(id) && id > 0 ? await loadLoneStep(db, id) : undefined
      if (!record) return noSuchCall(c)
      return callPage(c, record, 'A request without a call id')
    })
    .get('/calls/:provider/:callId', async (c) => {
      const provider = c.req.param('provider')
      const callId = c.req.param('callId')
      const record = await loadCall(db, provider, callId)
      if (!record) return noSuchCall(c)
      return callPage(c, record, `Call ${callId}`)
    })
}
