import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import * as v from 'valibot'
import { menuKeys } from '../db/schema.ts'
import { errorResponse } from '../lib/app-error.ts'
import { compileRule } from '../rules/compile-rule.ts'
import { isEnabled } from '../rules/enabled.ts'
import { duplicateKeyProblem, type MenuKeyInput, menuKeyRule, repeatedMenuKeys, sameMenuKey } from '../rules/menu-key.ts'
import { MenuKeyBody, MenuKeyPatch, MenuKeyQuery, MenuKeyView } from './admin-schemas.ts'
import { columnsToRow, rowToColumns } from './columns.ts'
import { crudRoutes, type RowCheck } from './crud-routes.ts'
import { queryParams } from './request-validators.ts'
import { type RowRulesOptions, usableRow } from './rules-routes.ts'

type MenuKeyRow = MenuKeyInput

/** Column defaults the database fills in, so a new key is checked as it will be stored. */
export const MENU_KEY_DEFAULTS = { priority: 1000, enabled: 1, say: null, options: null }

/** A menu key checked as the rule it becomes: it must compile and answer on one of its providers (the API and the console). */
export const checkMenuKey = (row: MenuKeyRow, { timeZone, capabilities }: Pick<RowRulesOptions, 'timeZone' | 'capabilities'>): RowCheck => {
  const rule = menuKeyRule(row)
  return usableRow('reason' in rule ? { ok: false, reason: rule.reason } : compileRule(rule.row, { timeZone }), 'menu key', capabilities)
}

/**
 * Why a key as it would be stored is refused: it repeats another enabled key (same layer, key and provider
 * scope), so only one of them could ever answer. Undefined when it does not; a key switched off repeats nothing.
 */
export const repeatedKeyProblem = (keys: readonly MenuKeyRow[], candidate: MenuKeyRow, id?: number): string | undefined => {
  if (!isEnabled(candidate.enabled)) return undefined
  const first = keys.find((key) => key.id !== id && isEnabled(key.enabled) && sameMenuKey(key, candidate))
  return first && duplicateKeyProblem(candidate, first)
}

/**
 * /menu-keys: key-press menus, each key checked as the rule it becomes. A key that repeats an enabled key
 * (same layer, key and provider scope) is refused: only one of them could ever answer. `?layer=` lists one
 * menu.
 */
export const menuRoutes = ({ db, log, timeZone, capabilities, changes }: RowRulesOptions) => {
  const check = (row: MenuKeyRow): RowCheck => checkMenuKey(row, { timeZone, capabilities })
  const allKeys = () => db.select().from(menuKeys).all() as Promise<MenuKeyRow[]>

  /**
   * Before a key is created or changed: the key as it would be stored must not repeat another enabled
   * key. Bodies that do not validate go on to the table's own route, which answers their 400.
   */
  const refuseRepeats = (schema: typeof MenuKeyBody | typeof MenuKeyPatch) =>
    createMiddleware(async (c, next) => {
      const parsed = v.safeParse(schema, await c.req.json().catch(() => undefined))
      if (!parsed.success) return next()
      const changes = columnsToRow(parsed.output as Record<string, unknown>) as Partial<MenuKeyRow>
      const id = c.req.param('id') === undefined ? undefined : Number(c.req.param('id'))
      const keys = await allKeys()
      const existing = id === undefined ? undefined : keys.find((key) => key.id === id)
      if (id !== undefined && !existing) return next()
      const problem = repeatedKeyProblem(keys, { ...MENU_KEY_DEFAULTS, ...existing, ...changes } as MenuKeyRow, id)
      return problem ? errorResponse(c, 'BAD_REQUEST', problem) : next()
    })

  return (
    new Hono()
      // Before the table's own list, which has no filter: this one answers every GET /menu-keys. The table's
      // route documents the answer; the query validator adds `layer` to that description.
      .get('/menu-keys', queryParams(MenuKeyQuery), async (c) => {
        const { layer } = c.req.valid('query')
        const keys = await allKeys()
        const repeats = new Map(repeatedMenuKeys(keys).map(({ key, first }) => [key.id, duplicateKeyProblem(key, first)]))
        const shown = layer === undefined ? keys : keys.filter((key) => key.layer.trim() === layer.trim())
        return c.json(
          shown.map((key) => {
            const verdict = check(key)
            return {
              ...rowToColumns(key),
              warnings: verdict.warnings ?? [],
              problem: verdict.problem ?? repeats.get(key.id) ?? null,
            }
          }),
        )
      })
      .post('/menu-keys', refuseRepeats(MenuKeyBody))
      .patch('/menu-keys/:id', refuseRepeats(MenuKeyPatch))
      .route(
        '/menu-keys',
        crudRoutes<MenuKeyRow>({
          db,
          log,
          tag: 'menu keys',
          names: { one: 'menu key', many: 'menu keys', article: 'a' },
          table: menuKeys,
          body: MenuKeyBody,
          patch: MenuKeyPatch,
          view: MenuKeyView,
          defaults: MENU_KEY_DEFAULTS,
          toRow: columnsToRow,
          fromRow: rowToColumns,
          check,
          history: changes && { entity: 'menu_keys', changes },
        }),
      )
  )
}
