import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { maskPhone } from '../admin/decision-routes.ts'
import { runSimulation } from '../admin/simulate.ts'
import { AppError } from '../lib/app-error.ts'
import type { Decision, LookupResult, SayItem } from '../model/call-event.ts'
import type { RuleTrace } from '../rules/engine.ts'
import { type ConsoleContext, type ConsoleDeps, type ConsoleEnv, canEdit, consolePage, csrfField, type Html } from './console-layout.ts'
import { instantOfWallTime, wallDateAndTime } from './wall-time.ts'

type Simulated = Awaited<ReturnType<typeof runSimulation>>
type FieldErrors = Record<string, string[]>

/** The form's fields as typed: always strings, kept as they were so a person can change one and run again. */
interface TestCallValues {
  provider: string
  caller: string
  did: string
  layer: string
  dtmf: string
  attempt: string
  date: string
  time: string
}
const FIELD_NAMES = ['provider', 'caller', 'did', 'layer', 'dtmf', 'attempt', 'date', 'time'] as const

/** Digits with an optional leading + and the separators people type (spaces, dashes, dots, brackets). */
const PHONE_TEXT = /^\+?[\d\s().-]+$/
const phoneNumber = (example: string) =>
  v.pipe(
    v.string(),
    v.maxLength(32, 'is too long for a phone number'),
    v.check(
      (value) => value === '' || (PHONE_TEXT.test(value) && /^\d{3,15}$/.test(value.replace(/\D/g, ''))),
      `must be a phone number such as ${example} (or empty)`,
    ),
  )

const formSchema = (providerIds: readonly string[]) =>
  v.object({
    provider: v.picklist(providerIds, `must be one of ${providerIds.join(', ')}`),
    caller: phoneNumber('0501234567 or +972501234567'),
    did: phoneNumber('0722776772'),
    layer: v.pipe(v.string(), v.maxLength(64, 'is too long (at most 64 characters)')),
    dtmf: v.pipe(v.string(), v.maxLength(32, 'is too long (at most 32 keys)'), v.regex(/^[\d*#]*$/, 'may hold only digits, * and #')),
    attempt: v.pipe(v.string(), v.regex(/^([1-9]\d?)?$/, 'must be a whole number from 1 to 99')),
    date: v.pipe(
      v.string(),
      v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-11-23'),
      v.check(isCalendarDate, 'is not a day of the calendar'),
    ),
    time: v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be a time of day such as 09:30')),
  })

function isCalendarDate(text: string) {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** The instant a date and time of day name in a time zone (a time skipped by a DST jump lands after it). */
const instantIn = (date: string, time: string, timeZone: string) => new Date(instantOfWallTime(`${date}T${time}`, timeZone) ?? Number.NaN)

/** Phone-like runs in any text we show: 7 to 15 digits, not inside a longer word (tokens, ids). */
const PHONE_IN_TEXT = /(?<![\w+])\+?\d{7,15}(?!\w)/g
const significantDigits = (text: string) => text.replace(/\D/g, '').replace(/^0+/, '')

/**
 * What a viewer sees of the simulation: every phone-like number masked as the decision log masks callers,
 * except the numbers they typed into the form themselves (caller and DID): they know those already, and the
 * test is about them. A typed number is recognised in any of its forms (0501234567, +972501234567,
 * 972501234567) by its digits without the trunk 0, one ending with the other. Kept simple on purpose: it
 * masks by shape in every string of the result (call, trace reasons, lookups, decision, wire answer), so a
 * number a CRM or a rule brings in (an owner's phone, a reception desk) cannot slip through by its place.
 */
const maskerFor = (typed: string[]) => {
  const own = typed.map(significantDigits).filter((digits) => digits.length >= 7)
  const isOwn = (number: string) => {
    const digits = significantDigits(number)
    return digits.length >= 7 && own.some((typedDigits) => typedDigits.endsWith(digits) || digits.endsWith(typedDigits))
  }
  const maskText = (text: string) => text.replace(PHONE_IN_TEXT, (number) => (isOwn(number) ? number : (maskPhone(number) ?? number)))
  const mask = (value: unknown): unknown => {
    if (typeof value === 'string') return maskText(value)
    if (Array.isArray(value)) return value.map(mask)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mask(item)]))
    return value
  }
  return mask
}

const ms = (value: number) => `${Math.round(value * 100) / 100} ms`

const sayText = (items: SayItem[]) => items.map((item) => `${item.type} ${item.value}`).join(', ')

/** The decision's action and where it sends the call, in a line. */
const describeDecision = (decision: Decision): { action: string; target: string } => {
  switch (decision.action) {
    case 'go_to_layer':
      return { action: 'go to layer', target: `layer ${decision.layer}` }
    case 'say':
      return { action: 'say', target: `${sayText(decision.items)}, then layer ${decision.nextLayer}` }
    case 'collect':
      return {
        action: 'collect digits',
        target: `at layer ${decision.layer}${decision.prompt.length > 0 ? ` after ${sayText(decision.prompt)}` : ''}`,
      }
    case 'dial':
      return {
        action: 'dial',
        target: decision.targets.map((target) => `${target.type} ${target.value}`).join(', '),
      }
    case 'hangup':
      return { action: 'hang up', target: decision.items.length > 0 ? `after ${sayText(decision.items)}` : '' }
    case 'voicemail':
      return { action: 'voicemail', target: `messages up to ${decision.maxSeconds} s` }
    case 'provider_default':
      return { action: 'provider default', target: "the provider's own failover" }
  }
}

/** XML as a person reads it: one element a line, indented; text-only elements stay on their line. */
const prettyXml = (text: string) => {
  const tokens = text.replace(/>\s+</g, '><').match(/<[^>]+>|[^<]+/g) ?? []
  const lines: string[] = []
  let depth = 0
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string
    const pad = '  '.repeat(Math.max(depth, 0))
    if (token.startsWith('<?') || token.startsWith('<!')) lines.push(token)
    else if (token.startsWith('</')) {
      depth--
      lines.push(`${'  '.repeat(Math.max(depth, 0))}${token}`)
    } else if (token.startsWith('<')) {
      const next = tokens[index + 1]
      const close = tokens[index + 2]
      if (!token.endsWith('/>') && next !== undefined && !next.startsWith('<') && close?.startsWith('</')) {
        lines.push(`${pad}${token}${next}${close}`)
        index += 2
      } else {
        lines.push(`${pad}${token}`)
        if (!token.endsWith('/>')) depth++
      }
    } else if (token.trim() !== '') lines.push(`${pad}${token.trim()}`)
  }
  return lines.join('\n')
}

/** The answer's body as it goes on the wire, made readable: JSON indented, XML an element a line. */
const wireBody = (body: unknown, contentType: string) => {
  if (typeof body !== 'string') return JSON.stringify(body, null, 2)
  if (body === '') return ''
  return /xml/i.test(contentType) ? prettyXml(body) : body
}

/**
 * /console/test: a call run through the live pipeline without its side effects (the admin API's simulator):
 * the decision, every rule tried and why, the CRM lookups and the exact answer the provider would get.
 * Viewers may run it: it records no decision and keeps no call state; like every console POST it needs the
 * session's CSRF token.
 */
export const testCallPage = ({ service, now = Date.now }: ConsoleDeps) => {
  const timeZone = service.config.TIME_ZONE
  const providers = Object.fromEntries(service.providers)
  const providerIds = Object.keys(providers)
  const schema = formSchema(providerIds)

  const defaults = (): TestCallValues => {
    const { date, time } = wallDateAndTime(now(), timeZone)
    return { provider: providerIds[0] ?? '', caller: '', did: '', layer: '', dtmf: '', attempt: '1', date, time }
  }

  const field = (
    key: keyof TestCallValues,
    label: string,
    hint: string,
    values: TestCallValues,
    errors: FieldErrors,
    control?: (attributes: Html) => Html,
  ) => {
    const problems = errors[key] ?? []
    const id = `f-${key}`
    // As on the rules form: the label names the control alone; the error and the hint describe it.
    const describedBy = [problems.length > 0 ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
    const attributes = raw(`${describedBy ? ` aria-describedby="${describedBy}"` : ''}${problems.length > 0 ? ' aria-invalid="true"' : ''}`)
    const type = key === 'date' ? 'date' : key === 'time' ? 'time' : 'text'
    return html`<div class="field${problems.length > 0 ? ' invalid' : ''}">
      <label for="${id}">${label}</label>
      ${control ? control(attributes) : html`<input id="${id}" name="${key}" type="${type}" value="${values[key]}"${attributes} />`}
      ${problems.length > 0 ? html`<span class="error" id="${id}-error">${problems.join('; ')}</span>` : ''}
      ${hint ? html`<span class="hint muted" id="${id}-hint">${hint}</span>` : ''}
    </div>`
  }

  const form = (c: ConsoleContext, values: TestCallValues, errors: FieldErrors) => {
    const providerSelect = (attributes: Html) =>
      html`<select id="f-provider" name="provider"${attributes}>${[...service.providers.values()].map(
        (provider) =>
          html`<option value="${provider.id}"${values.provider === provider.id ? raw(' selected') : ''}>${provider.name}</option>`,
      )}</select>`
    return html`<form method="post" action="/console/test" novalidate>
      ${csrfField(c)}
      ${errors._ ? html`<p class="notice error" role="alert">${errors._.join('; ')}</p>` : ''}
      <fieldset>
        <legend>The call</legend>
        <div class="fields">
          ${field('provider', 'Provider', 'Whose webhook the call comes in by', values, errors, providerSelect)}
          ${field('caller', 'Caller', 'The number calling; empty: withheld', values, errors)}
          ${field('did', 'DID (number called)', 'e.g. 0722776772', values, errors)}
          ${field('layer', 'Layer', 'Where in the IVR the call is, e.g. 1 or 5; empty: the entry step', values, errors)}
          ${field('dtmf', 'Digits typed', 'e.g. 12345678; empty: nothing typed', values, errors)}
          ${field('attempt', 'Attempt at this layer', 'How many times the caller has been here, this time included', values, errors)}
          ${field('date', 'Date', `In ${timeZone}, the service’s TIME_ZONE`, values, errors)}
          ${field('time', 'Time', `In ${timeZone}`, values, errors)}
        </div>
      </fieldset>
      <p class="toolbar"><button>Run the test</button>
        <span class="muted">Runs the live rules and CRM lookups; records no decision, keeps no call state, logs nothing to the CRM.</span></p>
    </form>`
  }

  const traceTable = (trace: RuleTrace[], decided: Simulated) => {
    if (trace.length === 0) return html`<p class="muted">No enabled rule was there to try.</p>`
    const link = (rule: RuleTrace) =>
      html`<a href="/console/rules/${rule.ruleId}">${rule.name || `rule ${rule.ruleId}`}</a> <span class="muted mono">#${rule.ruleId}</span>`
    return html`<table class="trace">
        <thead><tr><th>Order</th><th>Rule</th><th>Matched?</th><th>Reason</th></tr></thead>
        <tbody>${trace.map(
          (rule, index) => html`<tr id="trace-${rule.ruleId}" class="${rule.matched ? '' : 'off'}">
            <td class="mono">${index + 1}</td>
            <td>${link(rule)}</td>
            <td>${rule.matched ? html`<span class="badge on">matched</span>` : html`<span class="badge">no</span>`}</td>
            <td>${rule.matched ? 'every condition met: this rule answers' : rule.reason}</td>
          </tr>`,
        )}</tbody>
      </table>
      <p class="muted">${
        decided.rule
          ? 'Rules after the one that matched were not tried.'
          : decided.fallback
            ? 'No rule matched, so a fallback answered.'
            : 'No rule matched.'
      } Rules that are off, or that the service cannot use, are not tried.</p>`
  }

  const lookupTable = (lookups: Partial<Record<string, LookupResult>>) => {
    const results = Object.values(lookups).filter((result): result is LookupResult => result !== undefined)
    if (results.length === 0) return html`<p class="muted">No CRM lookup: no rule that could apply to this call needs one.</p>`
    const outcome = (value: string) =>
      html`<span class="badge ${value === 'found' ? 'on' : value === 'error' ? 'bad' : value === 'skipped' ? 'warn' : ''}">${value}</span>`
    return html`<table class="lookups">
      <thead><tr><th>Lookup</th><th>Outcome</th><th>Contact</th><th>Time</th><th>Detail</th></tr></thead>
      <tbody>${results.map(
        (result) => html`<tr id="lookup-${result.key}">
            <td>by ${result.key === 'pin' ? 'digits typed (PIN / account)' : 'caller ID'}</td>
            <td>${outcome(result.outcome)}</td>
            <td>${
              result.contact
                ? html`${result.contact.name}${result.contact.segment ? ` (${result.contact.segment})` : ''}
                    <span class="muted mono">${result.contact.source}:${result.contact.id}</span>${
                      result.contact.owner?.name ? html`<div class="muted">owner ${result.contact.owner.name}</div>` : ''
                    }`
                : ''
            }</td>
            <td class="mono">${ms(result.ms)}</td>
            <td>${[result.cache ? `from the lookup cache (${result.cache})` : '', result.reason ?? ''].filter(Boolean).join('; ')}</td>
          </tr>
          ${result.plugins.map(
            (plugin) => html`<tr class="plugin">
              <td class="mono">↳ ${plugin.plugin}</td>
              <td>${outcome(plugin.outcome)}</td>
              <td></td>
              <td class="mono">${ms(plugin.ms)}</td>
              <td>${[plugin.kind, plugin.reason].filter(Boolean).join(': ')}</td>
            </tr>`,
          )}`,
      )}</tbody>
    </table>`
  }

  const results = (simulated: Simulated, at: Date) => {
    const decision = simulated.decision as Decision
    const { action, target } = describeDecision(decision)
    const call = simulated.call as Record<string, unknown>
    const callLine = [
      `${call.provider}`,
      call.callerRaw || call.caller ? `from ${call.caller ?? call.callerRaw}` : 'caller withheld',
      call.did ? `to ${call.did}` : '',
      `layer ${call.layer ?? '(entry)'}`,
      call.dtmf ? `typed ${call.dtmf}` : 'nothing typed',
      `attempt ${simulated.attempt}`,
    ]
      .filter(Boolean)
      .join(' · ')
    const local = wallDateAndTime(at.getTime(), timeZone)
    const why = simulated.rule
      ? html`rule <a href="/console/rules/${simulated.rule.id}">${simulated.rule.name}</a> matched`
      : simulated.fallback
        ? html`fallback “${simulated.fallback.name}”, because ${simulated.reason ?? 'no rule matched'}`
        : html`no rule and no fallback could answer: ${simulated.reason ?? ''}`
    const { answer } = simulated
    const body = wireBody(answer.body, answer.contentType)
    return html`<section id="result" aria-label="Result">
      <h2>Decision</h2>
      <div class="card">
        <table class="decision">
          <tbody>
            <tr><th>Action</th><td id="decision-action" class="mono">${action}</td></tr>
            <tr><th>Target</th><td id="decision-target" class="mono">${target || '—'}</td></tr>
            <tr><th>Why</th><td id="decision-why">${why}</td></tr>
            ${simulated.rule && simulated.reason ? html`<tr><th>Note</th><td>${simulated.reason}</td></tr>` : ''}
            <tr><th>Call</th><td>${callLine}</td></tr>
            <tr><th>At</th><td class="mono">${local.date} ${local.time} ${timeZone} (${at.toISOString()})</td></tr>
          </tbody>
        </table>
        <details><summary>The whole decision</summary><pre>${JSON.stringify(decision, null, 2)}</pre></details>
      </div>
      <h2>Rules tried, in order</h2>
      ${traceTable(simulated.rules as RuleTrace[], simulated)}
      <h2>CRM lookups</h2>
      ${lookupTable(simulated.lookups as Partial<Record<string, LookupResult>>)}
      <h2>What the provider would get</h2>
      <p>HTTP <span id="answer-status" class="mono">${answer.status}</span> ·
        <span id="answer-type" class="mono">${answer.contentType}</span></p>
      ${body === '' ? html`<p class="muted">An empty body.</p>` : html`<pre id="answer-body">${body}</pre>`}
    </section>`
  }

  const page = (c: ConsoleContext, values: TestCallValues, errors: FieldErrors, result?: Html, status?: 200 | 400) =>
    consolePage(c, {
      title: 'Test a call',
      status,
      notice: Object.keys(errors).length > 0 ? { kind: 'error', text: 'The call was not run: see the fields marked below.' } : undefined,
      body: html`<p class="muted">What a call would get, and why: pick the provider and type what the caller sends.
          Nothing is recorded${canEdit(c) ? '' : '; numbers other than the ones you typed are masked'}.</p>
        ${form(c, values, errors)}
        ${result ?? ''}`,
    })

  return new Hono<ConsoleEnv>()
    .get('/test', (c) => page(c, defaults(), {}))
    .post('/test', async (c) => {
      const posted = await c.req.parseBody()
      const fallback = defaults()
      const values = Object.fromEntries(
        FIELD_NAMES.map((key) => {
          const given = typeof posted[key] === 'string' ? (posted[key] as string).trim() : ''
          // An emptied date or time means now, as the form first showed it.
          return [key, given === '' && (key === 'date' || key === 'time') ? fallback[key] : given]
        }),
      ) as unknown as TestCallValues
      if (values.attempt === '') values.attempt = '1'
      const parsed = v.safeParse(schema, values)
      const errors: FieldErrors = {}
      if (!parsed.success) {
        for (const issue of parsed.issues) {
          const key = String(issue.path?.[0]?.key ?? '_')
          errors[key] = [...(errors[key] ?? []), issue.message]
        }
        return page(c, values, errors, undefined, 400)
      }
      const input = parsed.output
      const at = instantIn(input.date, input.time, timeZone)
      let simulated: Simulated
      try {
        simulated = await runSimulation(
          service.router,
          providers,
          {
            provider: input.provider,
            caller: input.caller,
            did: input.did,
            layer: input.layer,
            dtmf: input.dtmf,
            attempt: Number(input.attempt),
            at: at.toISOString(),
          },
          new URL(c.req.url).origin,
        )
      } catch (error) {
        // The simulator's own refusals name their field ("provider: …", "request: …"): shown beside it.
        if (!(error instanceof AppError) || error.code !== 'BAD_REQUEST') throw error
        const match = /^(\w+): (.*)$/s.exec(error.message)
        const key = match && (FIELD_NAMES as readonly string[]).includes(match[1] as string) ? (match[1] as string) : '_'
        return page(c, values, { [key]: [key === '_' ? error.message : (match?.[2] as string)] }, undefined, 400)
      }
      const shown = canEdit(c) ? simulated : (maskerFor([input.caller, input.did])(simulated) as Simulated)
      return page(c, values, {}, results(shown, at))
    })
}
