import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import * as v from 'valibot'
import { maskPhone } from '../admin/decision-routes.ts'
import type { DraftPreview } from '../admin/draft-preview.ts'
import { draftService, PREVIEW_DEFAULTS } from '../admin/draft-routes.ts'
import type { RuleDifference } from '../admin/routing-draft.ts'
import { adminOnly, type ConsoleContext, type ConsoleDeps, type ConsoleEnv, canEdit, consolePage, csrfField } from './console-layout.ts'
import { DRAFT_RULES, ruleSetPages, ruleTable } from './rules-pages.ts'

/** How far back a preview may look, as offered in its form. */
const PREVIEW_HOURS = [1, 6, 24, 72, 168] as const
const PreviewQuery = v.object({
  hours: v.optional(
    v.pipe(v.string(), v.transform(Number), v.picklist(PREVIEW_HOURS as unknown as number[], `must be one of ${PREVIEW_HOURS.join(', ')}`)),
    String(PREVIEW_DEFAULTS.hours),
  ),
})

const KIND_LABELS: Record<RuleDifference['kind'], string> = { added: 'new', changed: 'changed', removed: 'removed' }

const pretty = (answer: string) => {
  try {
    return JSON.stringify(JSON.parse(answer), null, 2)
  } catch {
    return answer
  }
}

/**
 * /console/draft: the draft rule set. Start it from the live rules, edit its rules (the rule pages under
 * /console/draft/rules), see how it differs, preview it on the calls of the last hours, publish it (one
 * transaction; calls in progress finish on the rules they started with) or throw it away.
 */
export const draftPages = (deps: ConsoleDeps) => {
  const { db, service, log, now = Date.now } = deps
  const { drafts, check, preview } = draftService({
    db,
    atomic: service.atomic,
    timeZone: service.config.TIME_ZONE,
    capabilities: service.capabilities,
    router: service.router,
    rules: service.rules,
    providers: Object.fromEntries(service.providers),
    clock: () => new Date(now()),
  })
  const actor = { role: 'admin', via: 'console' } as const

  const differencesList = (differences: RuleDifference[]) =>
    differences.length === 0
      ? html`<p class="muted">The draft is the same as the live rules so far.</p>`
      : html`<ul class="differences">
          ${differences.map((difference) => {
            const row = difference.draft ?? difference.live
            const name = row?.name || `rule ${difference.id}`
            return html`<li><span class="badge warn">${KIND_LABELS[difference.kind]}</span> ${name}${
              difference.kind === 'changed' ? html` <span class="muted">(${difference.columns.join(', ')})</span>` : ''
            }</li>`
          })}
        </ul>`

  const previewTable = (c: ConsoleContext, result: DraftPreview) => {
    const mask = !canEdit(c)
    const summary = `${result.replayed} call step${result.replayed === 1 ? '' : 's'} since ${result.since.replace('T', ' ').slice(0, 16)} UTC replayed; ${result.rerouted.length} would be answered differently${
      result.skipped ? `; ${result.skipped} could not be replayed` : ''
    }${result.timedOut ? '; stopped at the time limit before the oldest' : ''}.`
    return html`<section id="preview">
      <h2>Preview on recorded calls</h2>
      <p role="status">${summary}</p>
      ${
        result.rerouted.length === 0
          ? ''
          : html`<table class="preview">
              <thead><tr><th>When (UTC)</th><th>Call</th><th>Now (live rules)</th><th>With the draft</th></tr></thead>
              <tbody>${result.rerouted.map(
                (call) => html`<tr>
                  <td class="mono">${call.at.replace('T', ' ').slice(0, 19)}</td>
                  <td>${call.provider} · ${(mask ? maskPhone(call.caller) : call.caller) ?? 'no caller ID'} · layer ${call.layer ?? '—'}${
                    call.dtmf ? html` · typed ${mask ? '•'.repeat(call.dtmf.length) : call.dtmf}` : ''
                  }</td>
                  <td><strong>${call.live.rule}</strong> → ${call.live.action}<pre>${pretty(call.live.answer)}</pre></td>
                  <td><strong>${call.draft.rule}</strong> → ${call.draft.action}<pre>${pretty(call.draft.answer)}</pre></td>
                </tr>`,
              )}</tbody>
            </table>`
      }
    </section>`
  }

  const draftPage = async (
    c: ConsoleContext,
    { notice, result }: { notice?: { kind: 'ok' | 'error'; text: string }; result?: DraftPreview } = {},
  ) => {
    const status = await drafts.status()
    const editable = canEdit(c)
    if (!status) {
      return consolePage(c, {
        title: 'Draft',
        notice,
        body: html`<div class="card">
          <p>No draft is open. A draft is a copy of the live rules that you can change, try on the calls of the last day, and
            publish in one step; callers are routed by the live rules until then, and a call already in progress finishes on the
            rules it started with.</p>
          ${editable ? html`<form method="post" action="/console/draft/start">${csrfField(c)}<button>Start a draft</button></form>` : ''}
        </div>`,
      })
    }
    const [rows, differences] = await Promise.all([drafts.rules(), drafts.differences()])
    const badges = new Map(
      differences.flatMap((difference) => (difference.kind === 'removed' ? [] : [[difference.id, KIND_LABELS[difference.kind]] as const])),
    )
    const body = html`
      <div class="card">
        <p>Started ${status.startedAt.replace('T', ' ').slice(0, 16)} UTC by ${status.startedBy}. Live calls are routed by the
          live rules until it is published.</p>
        ${
          status.liveChanged
            ? html`<p class="notice error" role="alert">Live routing was changed since this draft was started: publishing replaces
                the live rules with the draft’s.</p>`
            : ''
        }
        <h2>What changes</h2>
        ${differencesList(differences)}
        <div class="toolbar">
          <form method="get" action="/console/draft/preview" class="inline">
            <label class="inline-label" for="preview-hours">Try it on the calls of the last</label>
            <select id="preview-hours" name="hours">${PREVIEW_HOURS.map(
              (hours) =>
                html`<option value="${hours}"${hours === PREVIEW_DEFAULTS.hours ? raw(' selected') : ''}>${hours === 1 ? '1 hour' : `${hours} hours`}</option>`,
            )}</select>
            <button class="secondary">Preview</button>
          </form>
          ${
            editable
              ? html`<form method="post" action="/console/draft/publish" class="inline">${csrfField(c)}
                  ${
                    status.liveChanged
                      ? html`<label class="check inline-label"><input type="checkbox" name="replace_live_changes" /> Replace the live changes</label>`
                      : ''
                  }
                  <button>Publish</button>
                </form>
                <form method="post" action="/console/draft/discard" class="inline">${csrfField(c)}<button class="danger">Discard the draft</button></form>`
              : ''
          }
        </div>
      </div>
      ${result ? previewTable(c, result) : ''}
      <h2>The draft’s rules</h2>
      <div class="toolbar">${editable ? html`<a class="button" href="/console/draft/rules/new">New rule in the draft</a>` : ''}</div>
      ${ruleTable(c, rows, { base: '/console/draft/rules', verdict: check, badges })}`
    return consolePage(c, { title: 'Draft', notice, body })
  }

  const back = (c: ConsoleContext, text: string, kind: 'done' | 'error' = 'done') =>
    c.redirect(`/console/draft?${kind}=${encodeURIComponent(text)}`, 303)

  return (
    new Hono<ConsoleEnv>()
      .get('/draft', (c) => {
        const done = c.req.query('done')
        const error = c.req.query('error')
        return draftPage(c, { notice: error ? { kind: 'error', text: error } : done ? { kind: 'ok', text: done } : undefined })
      })
      .get('/draft/preview', async (c) => {
        const query = v.safeParse(PreviewQuery, c.req.query())
        if (!query.success) {
          return consolePage(c, {
            title: 'Draft',
            status: 400,
            notice: { kind: 'error', text: `hours: ${query.issues[0]?.message}` },
            body: html`<p><a href="/console/draft">Back to the draft</a></p>`,
          })
        }
        if (!(await drafts.status())) return back(c, 'There is no draft to preview.', 'error')
        const result = await preview({ hours: query.output.hours })
        return draftPage(c, { result })
      })
      .post('/draft/start', adminOnly, async (c) => {
        const started = await drafts.start(actor)
        if (started) log.info('console: draft started')
        return back(c, started ? 'Draft started from the live rules.' : 'A draft was already open: here it is.')
      })
      .post('/draft/discard', adminOnly, async (c) => {
        await drafts.discard()
        log.info('console: draft discarded')
        return back(c, 'Draft discarded; the live rules are unchanged.')
      })
      .post('/draft/publish', adminOnly, async (c) => {
        const form = await c.req.parseBody()
        const outcome = await drafts.publish(actor, { replaceLiveChanges: form.replace_live_changes === 'on' })
        if (!outcome.published) return back(c, outcome.message, 'error')
        log.info('console: draft published', { revision: outcome.revision, changed: outcome.changed })
        return c.redirect(
          `/console/rules?done=${encodeURIComponent(`Draft published: ${outcome.changed} rule${outcome.changed === 1 ? '' : 's'} changed. Calls already in progress finish on the rules they started with.`)}`,
          303,
        )
      })
      // The draft's rule pages need an open draft (the wildcard covers /draft/rules itself).
      .use('/draft/rules/*', async (c, next) => ((await drafts.status()) ? next() : back(c, 'Start a draft first.', 'error')))
      .route('/', ruleSetPages(deps, DRAFT_RULES))
  )
}
