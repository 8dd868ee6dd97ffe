import { html } from 'hono/html'
import type { CallMasker } from './calls-masking.ts'
import type { CallLogRecord, CallRecord, DecisionRecord } from './calls-query.ts'
import type { Html } from './console-layout.ts'
import { readableTime } from './wall-time.ts'

/** What a lookups entry of the decision log holds (call-router's LookupResult without the contact). */
interface StoredLookup {
  key?: string
  outcome?: string
  ms?: number
  cache?: string
  reason?: string
  contactId?: string
  plugins?: { plugin?: string; outcome?: string; ms?: number; reason?: string; kind?: string }[]
}

/** What a call log in the outbox carries (call-log-outbox's payload). */
interface StoredCallLog {
  contact?: { name?: string; company?: string }
  from?: string
  to?: string
  summary?: string
  status?: string
  durationMs?: number
}

const parse = <Value>(text: string | null): Value | undefined => {
  if (!text) return undefined
  try {
    return JSON.parse(text) as Value
  } catch {
    return undefined
  }
}

const isNotice = (step: DecisionRecord) => step.action?.startsWith('status:') ?? false

/** A step looked the caller up by the digits they typed: those digits are a PIN or an account number. */
export const lookedUpByDigits = (step: DecisionRecord) =>
  step.lookupKey === 'pin' || (parse<StoredLookup[]>(step.lookups) ?? []).some((lookup) => lookup?.key === 'pin')

/**
 * Digits typed in this call that are secrets: typed to be looked up, or long enough to be an account number
 * (a menu choice such as "2" is not).
 */
export const typedSecrets = (steps: DecisionRecord[]) =>
  steps.flatMap((step) => (step.dtmf && (lookedUpByDigits(step) || step.dtmf.replace(/\D/g, '').length >= 4) ? [step.dtmf] : []))

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '' : `${Math.round(value * 100) / 100} ms`)

const badge = (outcome: string | undefined) =>
  html`<span class="badge ${outcome === 'found' ? 'on' : outcome === 'error' ? 'bad' : outcome === 'skipped' ? 'warn' : ''}">${outcome ?? '?'}</span>`

const ACTIONS: Record<string, string> = {
  dial: 'put through (dial)',
  go_to_layer: 'sent to a layer',
  say: 'announced, then a layer',
  collect: 'asked for digits',
  hangup: 'hung up',
  voicemail: 'sent to voicemail',
  provider_default: 'the provider’s own failover',
}

/** An action as a person reads it, with its name for those who know the rules. */
export const describeAction = (action: string | null | undefined) =>
  action ? html`${ACTIONS[action] ?? action} <span class="muted mono">${action}</span>` : html`<span class="muted">none</span>`

/** Which rule answered: a link to it, a menu key, or the fallback and why. */
export const describeRule = (
  step: Pick<DecisionRecord, 'ruleId' | 'ruleName' | 'action'> & { reason?: string | null },
  masker: CallMasker,
): Html => {
  if (step.ruleId !== null && step.ruleId > 0)
    return html`<a href="/console/rules/${step.ruleId}">${masker.text(step.ruleName) || `rule ${step.ruleId}`}</a> <span class="muted mono">#${step.ruleId}</span>`
  if (step.ruleId !== null) return html`${masker.text(step.ruleName) || 'a menu key'} <span class="muted">(menu key)</span>`
  return html`<span class="badge warn">fallback</span> ${masker.text(step.ruleName) || 'no fallback row: the built-in answer'}`
}

/** The contact a lookup found, named as the decision log names contacts: `<CRM>:<id>`. */
const contactOf = (lookup: StoredLookup) => {
  if (lookup.contactId === undefined) return ''
  const crm = lookup.plugins?.find((plugin) => plugin.outcome === 'found')?.plugin
  return crm ? `${crm}:${lookup.contactId}` : lookup.contactId
}

const lookupRows = (step: DecisionRecord, masker: CallMasker) => {
  const lookups = parse<StoredLookup[]>(step.lookups)
  if (!step.lookups) return html`<p class="muted">No CRM lookup at this step: no rule that could apply needed one.</p>`
  if (!Array.isArray(lookups)) return html`<pre>${masker.json(step.lookups, { secretDigits: true })}</pre>`
  return html`<table class="lookups">
    <thead><tr><th>Lookup</th><th>Outcome</th><th>Contact</th><th>Time</th><th>Detail</th></tr></thead>
    <tbody>${lookups.map(
      (lookup) => html`<tr>
          <td>by ${lookup.key === 'pin' ? 'digits typed (PIN / account)' : 'caller ID'}</td>
          <td>${badge(lookup.outcome)}</td>
          <td class="mono">${contactOf(lookup)}</td>
          <td class="mono">${ms(lookup.ms)}</td>
          <td>${masker.text([lookup.cache ? `from the lookup cache (${lookup.cache})` : '', lookup.reason ?? ''].filter(Boolean).join('; '))}</td>
        </tr>
        ${(lookup.plugins ?? []).map(
          (plugin) => html`<tr class="plugin">
            <td class="mono">↳ ${plugin.plugin ?? ''}</td>
            <td>${badge(plugin.outcome)}</td>
            <td></td>
            <td class="mono">${ms(plugin.ms)}</td>
            <td>${masker.text([plugin.kind, plugin.reason].filter(Boolean).join(': '))}</td>
          </tr>`,
        )}`,
    )}</tbody>
  </table>`
}

const stepSection = (step: DecisionRecord, index: number, timeZone: string, masker: CallMasker) => {
  const secret = lookedUpByDigits(step)
  const when = readableTime(step.at, timeZone)
  if (isNotice(step)) {
    return html`<section class="card step notice" id="step-${step.id}">
      <h3>${index}. Status from the provider: ${step.action?.slice('status:'.length)} <span class="muted">· ${when}</span></h3>
      <table class="facts"><tbody>
        ${step.durationMs !== null ? html`<tr><th scope="row">Call length</th><td>${Math.round(step.durationMs / 1000)} s</td></tr>` : ''}
        ${step.caller ? html`<tr><th scope="row">From</th><td class="mono">${masker.phone(step.caller)}</td></tr>` : ''}
        ${step.did ? html`<tr><th scope="row">To</th><td class="mono">${masker.phone(step.did)}</td></tr>` : ''}
      </tbody></table>
      <h4>Request received</h4>
      <pre>${masker.json(step.request)}</pre>
    </section>`
  }
  return html`<section class="card step" id="step-${step.id}">
    <h3>${index}. ${step.layer ? `Layer ${step.layer}` : 'Entry'}${step.attempt && step.attempt > 1 ? `, attempt ${step.attempt}` : ''} <span class="muted">· ${when}</span></h3>
    <table class="facts"><tbody>
      <tr><th scope="row">Caller</th><td class="mono">${masker.phone(step.caller) || html`<span class="muted">withheld</span>`}</td></tr>
      <tr><th scope="row">Number called</th><td class="mono">${masker.phone(step.did)}</td></tr>
      <tr><th scope="row">Digits typed</th><td class="mono">${step.dtmf ? masker.typed(step.dtmf, secret) : html`<span class="muted">none</span>`}</td></tr>
      <tr><th scope="row">Rule</th><td>${describeRule(step, masker)}</td></tr>
      <tr><th scope="row">Action</th><td>${describeAction(step.action)}</td></tr>
      ${step.reason ? html`<tr><th scope="row">Why</th><td>${masker.text(step.reason)}</td></tr>` : ''}
      <tr><th scope="row">Answered in</th><td class="mono">${ms(step.durationMs)}</td></tr>
    </tbody></table>
    <h4>Request received</h4>
    <pre>${masker.json(step.request, { secretDigits: secret })}</pre>
    <h4>CRM lookup</h4>
    ${lookupRows(step, masker)}
    <h4>Answer sent</h4>
    <pre>${masker.json(step.answer, { secretDigits: secret })}</pre>
  </section>`
}

const callLogRows = (logs: CallLogRecord[], timeZone: string, maxAttempts: number, masker: CallMasker) => {
  if (logs.length === 0) return html`<p class="muted">None: no step found the caller in a CRM that takes call logs.</p>`
  return html`<table class="call-logs">
    <thead><tr><th>CRM</th><th>Queued</th><th>State</th><th>Attempts</th><th>Last error</th><th>What it says</th></tr></thead>
    <tbody>${logs.map((log) => {
      const payload = parse<StoredCallLog>(log.payload) ?? {}
      const state = log.deliveredAt
        ? html`<span class="badge on">delivered</span> ${readableTime(log.deliveredAt, timeZone)}`
        : log.attempts >= maxAttempts
          ? html`<span class="badge bad">given up</span>`
          : html`<span class="badge">waiting</span> next try ${readableTime(new Date(log.nextAttemptAt).toISOString(), timeZone)}`
      return html`<tr id="call-log-${log.id}">
        <td class="mono">${log.plugin}</td>
        <td>${readableTime(log.createdAt, timeZone)}</td>
        <td>${state}</td>
        <td class="mono">${log.attempts}</td>
        <td>${log.lastError ? html`<span class="problem">${masker.text(log.lastError)}</span>` : ''}</td>
        <td>
          <div>${payload.contact?.name ?? ''}${payload.contact?.company ? ` (${payload.contact.company})` : ''}</div>
          <div class="muted mono">from ${masker.phone(payload.from)} to ${masker.phone(payload.to)}${
            payload.status ? ` · ended ${payload.status}` : ''
          }${payload.durationMs !== undefined ? ` · ${Math.round(payload.durationMs / 1000)} s` : ''}</div>
          ${payload.summary ? html`<pre>${masker.text(payload.summary)}</pre>` : ''}
        </td>
      </tr>`
    })}</tbody>
  </table>`
}

/** One call's page: what it was, then each step in time order, its call state and its CRM call logs. */
export const callTimeline = (
  record: CallRecord,
  { timeZone, maxAttempts, masker }: { timeZone: string; maxAttempts: number; masker: CallMasker },
) => {
  const { steps, state, logs, truncated } = record
  const first = steps[0] as DecisionRecord
  const routed = steps.filter((step) => !isNotice(step))
  const notices = steps.length - routed.length
  const fallbacks = routed.filter((step) => step.ruleId === null).length
  return html`
    <p class="toolbar"><a href="/console/calls">All calls</a> <span class="muted">Times are in ${timeZone}.</span></p>
    <table class="facts summary"><tbody>
      <tr><th scope="row">Provider</th><td class="mono">${first.provider}</td></tr>
      <tr><th scope="row">Call id</th><td class="mono">${first.callId ?? html`<span class="muted">none: the request could not be read far enough</span>`}</td></tr>
      <tr><th scope="row">Started</th><td>${readableTime(first.at, timeZone)}</td></tr>
      <tr><th scope="row">Caller</th><td class="mono">${masker.phone(first.caller) || html`<span class="muted">withheld</span>`}</td></tr>
      <tr><th scope="row">Number called</th><td class="mono">${masker.phone(first.did)}</td></tr>
      <tr><th scope="row">Steps</th><td>${routed.length} routed${notices > 0 ? `, ${notices} status ${notices === 1 ? 'notice' : 'notices'}` : ''}${
        fallbacks > 0 ? html` · <span class="badge warn">${fallbacks} by fallback</span>` : ''
      }</td></tr>
    </tbody></table>
    ${masker.reveals ? '' : html`<p class="muted">Phone numbers and digits typed for a lookup are masked: you are signed in as a viewer.</p>`}
    <h2>Steps</h2>
    ${truncated ? html`<p class="notice error">This call has more steps than can be shown; the first ${steps.length} are below.</p>` : ''}
    ${steps.map((step, index) => stepSection(step, index + 1, timeZone, masker))}
    <h2>Call state</h2>
    ${
      state
        ? html`<p class="muted">What the service keeps about the call between steps (visits per layer, the provider’s own state); last changed ${readableTime(
            new Date(state.updatedAt).toISOString(),
            timeZone,
          )}.</p><pre>${masker.json(state.data, { secretDigits: true })}</pre>`
        : html`<p class="muted">None kept: the call needed no attempt counts, or its state has expired.</p>`
    }
    <h2>CRM call logs</h2>
    ${callLogRows(logs, timeZone, maxAttempts, masker)}`
}
