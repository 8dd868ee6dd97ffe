import { Hono } from 'hono'
import type { Database } from '../db/database.ts'
import { fallbacks, rules } from '../db/schema.ts'
import type { Logger } from '../lib/logger.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import { type AnsweringRow, judgeCapabilities, type RowKind } from '../rules/capability-check.ts'
import { type Compiled, compileFallback, compileRule } from '../rules/compile-rule.ts'
import { FallbackBody, FallbackPatch, FallbackView, RuleBody, RulePatch, RuleView } from './admin-schemas.ts'
import type { ChangeLog } from './change-log.ts'
import { columnsToRow, rowToColumns } from './columns.ts'
import { crudRoutes, type RowCheck } from './crud-routes.ts'

export interface RowRulesOptions {
  db: Database
  log: Logger
  /** Time zone of rules without their own. */
  timeZone: string
  /** What each registered provider can do; without it rows are only compiled. */
  capabilities?: Readonly<Record<string, ProviderCapabilities>>
  /** Where edits are kept for the console's history. */
  changes?: ChangeLog
}

/**
 * A row the service can use: it compiles with the service's own compiler, and it can answer on at least one
 * provider it applies to (a scope naming a provider that is not registered is refused too). Providers it
 * applies to but cannot answer on are warnings.
 */
export const usableRow = (
  compiled: Compiled<AnsweringRow>,
  kind: RowKind,
  capabilities: Readonly<Record<string, ProviderCapabilities>> | undefined,
): RowCheck => {
  if (!compiled.ok) return { problem: compiled.reason, warnings: [] }
  if (!capabilities) return { warnings: [] }
  const verdict = judgeCapabilities(compiled.value, capabilities, kind)
  return verdict.error ? { problem: verdict.error, warnings: [] } : { warnings: verdict.warnings }
}

/** /rules and /fallbacks: the routing rows, refused when the service could not use them. */
export const rulesRoutes = ({ db, log, timeZone, capabilities, changes }: RowRulesOptions) =>
  new Hono()
    .route(
      '/rules',
      crudRoutes<typeof rules.$inferSelect>({
        db,
        log,
        tag: 'rules',
        names: { one: 'rule', many: 'rules', article: 'a' },
        table: rules,
        body: RuleBody,
        patch: RulePatch,
        view: RuleView,
        defaults: { name: '', priority: 100, enabled: 1, identifyBy: 'caller' },
        toRow: columnsToRow,
        fromRow: rowToColumns,
        check: (row) => usableRow(compileRule(row, { timeZone }), 'rule', capabilities),
        history: changes && { entity: 'rules', changes },
      }),
    )
    .route(
      '/fallbacks',
      crudRoutes<typeof fallbacks.$inferSelect>({
        db,
        log,
        tag: 'fallbacks',
        names: { one: 'fallback', many: 'fallbacks', article: 'a' },
        table: fallbacks,
        body: FallbackBody,
        patch: FallbackPatch,
        view: FallbackView,
        defaults: { name: '', enabled: 1 },
        toRow: columnsToRow,
        fromRow: rowToColumns,
        check: (row) => usableRow(compileFallback(row), 'fallback', capabilities),
        history: changes && { entity: 'fallbacks', changes },
      }),
    )
