import { Hono } from 'hono'
import * as v from 'valibot'
import type { RunAtomically } from '../db/atomic.ts'
import type { Database } from '../db/database.ts'
import { draftRules, type RuleRow } from '../db/schema.ts'
import { errorResponse } from '../lib/app-error.ts'
import type { Logger } from '../lib/logger.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { ActiveProvider } from '../providers/provider.ts'
import type { CallRouter } from '../routing/call-router.ts'
import { compileRule } from '../rules/compile-rule.ts'
import { compileRoutingRows, type RuleCache } from '../rules/rule-cache.ts'
import { RuleBody, RulePatch, RuleView } from './admin-schemas.ts'
import { columnName, columnsToRow, rowToColumns } from './columns.ts'
import { crudRoutes } from './crud-routes.ts'
import { type DraftPreview, previewDraft } from './draft-preview.ts'
import { jsonBody } from './request-validators.ts'
import { routeDocs } from './route-docs.ts'
import { type Actor, createRoutingDrafts, type RoutingDrafts } from './routing-draft.ts'
import { usableRow } from './rules-routes.ts'

export interface DraftRoutesOptions {
  db: Database
  log: Logger
  atomic: RunAtomically
  timeZone: string
  capabilities: Readonly<Record<string, ProviderCapabilities>>
  router: CallRouter
  rules: RuleCache
  providers: Readonly<Record<string, ActiveProvider>>
  /** The service's clock: what "the last day" of recorded calls means, and when a draft was published. */
  clock?: () => Date
}

/** What a preview replays by default: the last day of calls, at most this many steps, within this time. */
export const PREVIEW_DEFAULTS = { hours: 24, limit: 500, deadlineMs: 10_000 } as const

export const PreviewBody = v.strictObject({
  hours: v.optional(
    v.pipe(v.number('must be a number'), v.minValue(1, 'must be at least 1'), v.maxValue(24 * 7, 'must be at most 168 (a week)')),
  ),
  limit: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.integer('must be a whole number'),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(2000, 'must be at most 2000'),
    ),
  ),
})

const PublishBody = v.strictObject({
  replace_live_changes: v.optional(v.boolean('must be true or false')),
})

/** The draft in the shape the API answers. */
const DraftView = v.object({
  started_at: v.string(),
  started_by: v.string(),
  base_revision: v.number(),
  live_revision: v.number(),
  live_changed: v.pipe(v.boolean(), v.description('Live routing was edited since the draft began: publishing replaces those edits')),
  differences: v.array(v.object({ id: v.number(), kind: v.picklist(['added', 'removed', 'changed']), columns: v.array(v.string()) })),
})

/** The draft's parts the console and the API share: drafts, the rule check, and the preview. */
export const draftService = ({
  db,
  atomic,
  timeZone,
  capabilities,
  router,
  rules,
  providers,
  clock = () => new Date(),
}: Omit<DraftRoutesOptions, 'log'>) => {
  const check = (row: RuleRow) => usableRow(compileRule(row, { timeZone }), 'rule', capabilities)
  const drafts = createRoutingDrafts({ db, atomic, check, now: clock })
  return {
    drafts,
    check,
    async preview({
      hours = PREVIEW_DEFAULTS.hours,
      limit = PREVIEW_DEFAULTS.limit,
    }: {
      hours?: number
      limit?: number
    }): Promise<DraftPreview> {
      const now = clock()
      const live = await rules.current()
      const draft = compileRoutingRows(await drafts.routingRows(), -1, { timeZone })
      return previewDraft({
        db,
        router,
        providers,
        live,
        draft,
        since: new Date(now.getTime() - hours * 3_600_000),
        limit,
        deadlineMs: PREVIEW_DEFAULTS.deadlineMs,
      })
    },
  }
}

export type DraftService = ReturnType<typeof draftService>

const API: Actor = { role: 'admin', via: 'api' }

const view = async (drafts: RoutingDrafts) => {
  const status = await drafts.status()
  if (!status) return undefined
  const differences = await drafts.differences()
  return {
    started_at: status.startedAt,
    started_by: status.startedBy,
    base_revision: status.baseRevision,
    live_revision: status.liveRevision,
    live_changed: status.liveChanged,
    differences: differences.map(({ id, kind, columns }) => ({ id, kind, columns: columns.map(columnName) })),
  }
}

/**
 * /draft: a draft rule set beside the live rules (start, edit its rules, compare, preview on recorded calls,
 * publish in one transaction, discard), the same steps the console's draft page takes.
 */
export const draftRoutes = (options: DraftRoutesOptions) => {
  const { db, log } = options
  const { drafts, check, preview } = draftService(options)
  const noDraft = 'no draft is open: POST /admin/draft starts one from the live rules'

  return (
    new Hono()
      .get(
        '/draft',
        routeDocs({
          tag: 'draft',
          summary: 'Show the draft',
          description: 'When it was started, whether live routing changed since, and how its rules differ from the live ones.',
          answer: { status: 200, description: 'The draft', schema: DraftView },
          errors: { 404: 'No draft is open' },
        }),
        async (c) => {
          const draft = await view(drafts)
          return draft ? c.json(draft) : errorResponse(c, 'NOT_FOUND', noDraft)
        },
      )
      .post(
        '/draft',
        routeDocs({
          tag: 'draft',
          summary: 'Start a draft',
          description: 'Copies the live rules into a draft; edits to /draft/rules change only the draft until it is published.',
          answer: { status: 201, description: 'Started', schema: DraftView },
          errors: { 409: 'A draft is already open' },
        }),
        async (c) => {
          if (!(await drafts.start(API))) return errorResponse(c, 'CONFLICT', 'a draft is already open: publish or discard it first')
          log.info('admin: draft started')
          return c.json(await view(drafts), 201)
        },
      )
      .delete(
        '/draft',
        routeDocs({
          tag: 'draft',
          summary: 'Discard the draft',
          answer: { status: 204, description: 'Discarded' },
          errors: { 404: 'No draft is open' },
        }),
        async (c) => {
          if (!(await drafts.discard())) return errorResponse(c, 'NOT_FOUND', noDraft)
          log.info('admin: draft discarded')
          return c.body(null, 204)
        },
      )
      .post(
        '/draft/preview',
        routeDocs({
          tag: 'draft',
          summary: 'Preview the draft on recorded calls',
          description: `Routes the call steps recorded in the last \`hours\` (default ${PREVIEW_DEFAULTS.hours}; at most \`limit\`, default ${PREVIEW_DEFAULTS.limit}, newest first) on the live rules and on the draft, with the same lookups, time and attempt, and lists those the draft would answer differently. Nothing is written; the CRM is only read (through the cache). Stops after ${PREVIEW_DEFAULTS.deadlineMs / 1000} s and says so.`,
          body: PreviewBody,
          answer: { status: 200, description: 'The calls the draft would route differently, old and new answer side by side' },
          errors: { 400: 'Invalid input', 404: 'No draft is open' },
        }),
        jsonBody(PreviewBody),
        async (c) => {
          if (!(await drafts.status())) return errorResponse(c, 'NOT_FOUND', noDraft)
          return c.json(await preview(c.req.valid('json')))
        },
      )
      .post(
        '/draft/publish',
        routeDocs({
          tag: 'draft',
          summary: 'Publish the draft',
          description:
            'Makes the draft the live rules in one transaction (a call in progress keeps the rules it started with); each rule changed is in the history. Refused (409) when live routing was edited since the draft began, unless `replace_live_changes` is true.',
          body: PublishBody,
          answer: { status: 200, description: 'Published: the new routing revision and how many rules changed' },
          errors: {
            400: 'Invalid input, or a draft rule the service could not use',
            404: 'No draft is open',
            409: 'Live routing was edited since the draft began',
          },
        }),
        jsonBody(PublishBody),
        async (c) => {
          const outcome = await drafts.publish(API, { replaceLiveChanges: c.req.valid('json').replace_live_changes })
          if (outcome.published) {
            log.info('admin: draft published', { revision: outcome.revision, changed: outcome.changed })
            return c.json({ revision: outcome.revision, changed: outcome.changed })
          }
          const code = outcome.reason === 'no-draft' ? 'NOT_FOUND' : outcome.reason === 'live-changed' ? 'CONFLICT' : 'BAD_REQUEST'
          return errorResponse(c, code, outcome.message)
        },
      )
      // The wildcard covers /draft/rules itself too.
      .use('/draft/rules/*', async (c, next) => ((await drafts.status()) ? next() : errorResponse(c, 'NOT_FOUND', noDraft)))
      .route(
        '/draft/rules',
        crudRoutes<RuleRow>({
          db,
          log,
          tag: 'draft',
          names: { one: 'draft rule', many: 'draft rules', article: 'a' },
          table: draftRules,
          body: RuleBody,
          patch: RulePatch,
          view: RuleView,
          defaults: { name: '', priority: 100, enabled: 1, identifyBy: 'caller' },
          toRow: columnsToRow,
          fromRow: rowToColumns,
          check,
        }),
      )
  )
}
