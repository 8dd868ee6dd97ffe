import { Hono } from 'hono'
import { menuKeys } from '../db/schema.ts'
import { compileRule } from '../rules/compile-rule.ts'
import { menuKeyRule } from '../rules/menu-key.ts'
import { MenuKeyBody, MenuKeyPatch, MenuKeyView } from './admin-schemas.ts'
import { columnsToRow, rowToColumns } from './columns.ts'
import { crudRoutes } from './crud-routes.ts'
import { type RowRulesOptions, usableRow } from './rules-routes.ts'

/** /menu-keys: key-press menus, each key checked as the rule it becomes. */
export const menuRoutes = ({ db, log, timeZone, capabilities }: RowRulesOptions) =>
  new Hono().route(
    '/menu-keys',
    crudRoutes<typeof menuKeys.$inferSelect>({
      db,
      log,
      tag: 'menu keys',
      names: { one: 'menu key', many: 'menu keys', article: 'a' },
      table: menuKeys,
      body: MenuKeyBody,
      patch: MenuKeyPatch,
      view: MenuKeyView,
      defaults: { priority: 1000, enabled: 1, say: null },
      toRow: columnsToRow,
      fromRow: rowToColumns,
      check: (row) => {
        const rule = menuKeyRule(row)
        return usableRow(
          'reason' in rule ? { ok: false, reason: rule.reason } : compileRule(rule.row, { timeZone }),
          'menu key',
          capabilities,
        )
      },
    }),
  )
