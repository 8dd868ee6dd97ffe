import { and, desc, gte, like, not } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import { decisions } from '../db/schema.ts'
import type { ActiveProvider, ProviderRequest } from '../providers/provider.ts'
import type { CallRouter } from '../routing/call-router.ts'
import type { RuleSnapshot } from '../rules/engine.ts'

/** One side of a re-routed call: what the rules chose and what the provider would get. */
export interface PreviewAnswer {
  rule: string
  action: string
  /** The answer's body as the provider would get it. */
  answer: string
}

export interface ReroutedCall {
  /** The decision row replayed. */
  decisionId: number
  at: string
  provider: string
  callId: string | null
  caller: string | null
  layer: string | null
  dtmf: string | null
  live: PreviewAnswer
  draft: PreviewAnswer
}

export interface DraftPreview {
  since: string
  /** Call steps replayed on both rule sets. */
  replayed: number
  /** Steps that could not be replayed (not a call step any more, a request the provider no longer reads). */
  skipped: number
  /** Whether the time limit stopped the replay before every step was tried. */
  timedOut: boolean
  rerouted: ReroutedCall[]
}

export interface DraftPreviewOptions {
  db: Database
  router: CallRouter
  providers: Readonly<Record<string, ActiveProvider>>
  live: RuleSnapshot
  draft: RuleSnapshot
  /** Replay the call steps recorded since then. */
  since: Date
  /** At most this many steps, newest first. */
  limit: number
  /** Stop replaying after this long (lookups of many callers take time); what was replayed is reported. */
  deadlineMs: number
}

const side = (
  evaluation: { rule?: { name: string }; fallback?: { name: string }; decision: { action: string } },
  body: string,
): PreviewAnswer => ({
  rule: evaluation.rule?.name ?? (evaluation.fallback ? `fallback: ${evaluation.fallback.name}` : 'no rule'),
  action: evaluation.decision.action,
  answer: body,
})

/** The request a decision row keeps, as the provider sent it: the body of a POST, or the query of a GET. */
const requestsOf = (stored: string): Pick<ProviderRequest, 'method' | 'query' | 'body'>[] => {
  let parsed: unknown
  try {
    parsed = JSON.parse(stored)
  } catch {
    return [{ method: 'POST', query: {}, body: stored }]
  }
  const asQuery =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((value) => typeof value === 'string')
      ? [{ method: 'GET', query: parsed as Record<string, string>, body: undefined }]
      : []
  return [{ method: 'POST', query: {}, body: parsed }, ...asQuery]
}

/**
 * The recorded call steps since `since` routed again on the live rules and on the draft, with the same
 * lookups, time and attempt as the step had: the ones whose answer would change. Nothing is written.
 */
export const previewDraft = async ({
  db,
  router,
  providers,
  live,
  draft,
  since,
  limit,
  deadlineMs,
}: DraftPreviewOptions): Promise<DraftPreview> => {
  const started = Date.now()
  const rows = await db
    .select()
    .from(decisions)
    .where(and(gte(decisions.at, since.toISOString()), not(like(decisions.action, 'status:%'))))
    .orderBy(desc(decisions.id))
    .limit(limit)
    .all()
  const preview: DraftPreview = { since: since.toISOString(), replayed: 0, skipped: 0, timedOut: false, rerouted: [] }
  for (const row of rows) {
    if (Date.now() - started > deadlineMs) {
      preview.timedOut = true
      break
    }
    const provider = Object.hasOwn(providers, row.provider) ? providers[row.provider] : undefined
    if (!provider || !row.request) {
      preview.skipped++
      continue
    }
    let answers: Awaited<ReturnType<CallRouter['replay']>>
    for (const request of requestsOf(row.request)) {
      answers = await router.replay(provider, request, new Date(row.at), row.attempt ?? 1, [live, draft]).catch(() => undefined)
      if (answers) break
    }
    const [before, after] = answers ?? []
    if (!before || !after) {
      preview.skipped++
      continue
    }
    preview.replayed++
    if (before.answer.status === after.answer.status && before.answer.body === after.answer.body) continue
    preview.rerouted.push({
      decisionId: row.id,
      at: row.at,
      provider: row.provider,
      callId: row.callId,
      caller: row.caller,
      layer: row.layer,
      dtmf: row.dtmf,
      live: side(before.evaluation, before.answer.body),
      draft: side(after.evaluation, after.answer.body),
    })
  }
  return preview
}
