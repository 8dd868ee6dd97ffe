import type { MenuKeyRow, RuleRow } from '../db/schema.ts'
import { isEnabled } from './enabled.ts'

export const MENU_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'EMPTY_KEY', 'INVALID_KEY'] as const
export const MENU_ACTIONS = ['go_to_layer', 'queue', 'extension', 'phone', 'hangup', 'voicemail', 'sms'] as const

/** A menu key row, with the `options` column (JSON, as a rule's) where the database has it. */
export type MenuKeyInput = MenuKeyRow & { options?: string | null }

/**
 * The digits pattern of a key: the key itself, typed alone. `*` on its own is a glob that matches anything
 * (nothing typed included), so it is written as the one-character set `_[*]`.
 */
const keyPattern = (key: string): string => {
  if (key === 'EMPTY_KEY') return 'none'
  if (key === 'INVALID_KEY') return 'any'
  return key === '*' ? '_[*]' : key
}

/**
 * A menu key as the rule it stands for, so menus and rules share one engine, trace and rules:check.
 * Its id is the negative of the key's id, so it never collides with a rule's. Its `options` are a rule's
 * (options.providers gives a provider its own answer); a dial key's `to_layer` is the menu's own layer, so
 * a caller whose destination cannot be reached comes back to the menu, unless options.failed_layer says
 * otherwise.
 */
export const menuKeyRule = (key: MenuKeyInput): { row: RuleRow } | { reason: string } => {
  const keyName = key.key.trim().toUpperCase()
  if (!(MENU_KEYS as readonly string[]).includes(keyName)) return { reason: `key: must be one of ${MENU_KEYS.join(', ')}` }
  const action = key.action.trim().toLowerCase()
  if (!(MENU_ACTIONS as readonly string[]).includes(action)) return { reason: `action: must be one of ${MENU_ACTIONS.join(', ')}` }
  const target = key.target?.trim() ?? ''
  // hangup and voicemail (Stringee's actions 6 and 1) need nothing but the key's say.
  if (action !== 'hangup' && action !== 'voicemail' && !target) return { reason: `target: ${action} needs a target` }
  const answer: Pick<RuleRow, 'action' | 'toLayer' | 'dial'> =
    action === 'go_to_layer' || action === 'queue'
      ? { action: 'go_to_layer', toLayer: target, dial: null }
      : action === 'hangup' || action === 'voicemail'
        ? { action, toLayer: null, dial: null }
        : action === 'sms'
          ? // Stringee's action 5: the caller hears the key's say, the call ends, and the target is texted to them.
            { action: 'hangup', toLayer: null, dial: null }
          : // If the destination cannot be reached, the caller comes back to the menu.
            { action: 'dial', toLayer: key.layer, dial: `${action}:${target}` }
  return {
    row: {
      id: -key.id,
      name: `menu ${key.layer} key ${keyName}`,
      // Unmapped keys come after every mapped key of the menu.
      priority: key.priority + (keyName === 'INVALID_KEY' ? 1 : 0),
      enabled: key.enabled,
      provider: key.provider,
      did: null,
      caller: null,
      fromLayer: key.layer,
      dtmf: keyPattern(keyName),
      identifyBy: 'none',
      lookup: null,
      contactMatch: null,
      attempt: null,
      days: null,
      timeFrom: null,
      timeTo: null,
      timeZone: null,
      schedule: null,
      say: key.say,
      language: null,
      options: action === 'sms' ? withSms(key.options, target) : key.options?.trim() || null,
      note: null,
      ...answer,
    },
  }
}

/**
 * The key's options with its SMS text (the target) as options.sms. Options that are not a JSON object are
 * kept as they are, so the rule compiler reports them as it does for any key.
 */
const withSms = (options: string | null | undefined, text: string): string => {
  const given = options?.trim()
  if (!given) return JSON.stringify({ sms: text })
  try {
    const parsed: unknown = JSON.parse(given)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return JSON.stringify({ ...parsed, sms: text })
  } catch {
    // Left to the compiler, which names the column.
  }
  return given
}

type KeyIdentity = Pick<MenuKeyRow, 'layer' | 'key' | 'provider'>

/** The providers a key is for, as a set written one way: lower case, sorted; '' for every provider. */
const scopeOf = (provider: string | null): string =>
  [
    ...new Set(
      (provider ?? '')
        .split(',')
        .map((id) => id.trim().toLowerCase())
        .filter(Boolean),
    ),
  ]
    .sort()
    .join(', ')

/** Two keys are the same key when they have the same layer, key and provider scope (order and case aside). */
export const sameMenuKey = (a: KeyIdentity, b: KeyIdentity): boolean =>
  a.layer.trim() === b.layer.trim() &&
  a.key.trim().toUpperCase() === b.key.trim().toUpperCase() &&
  scopeOf(a.provider) === scopeOf(b.provider)

/** How a duplicate is reported, naming the column to change: `key: layer 7 already has key 1 for voicenter (menu key #3)`. */
export const duplicateKeyProblem = (key: KeyIdentity, first: KeyIdentity & { id: number }): string => {
  const scope = scopeOf(key.provider)
  return (
    `key: layer ${key.layer.trim()} already has key ${key.key.trim().toUpperCase()} for ${scope || 'every provider'} ` +
    `(menu key #${first.id}); change that key, or give this one another key, layer or provider`
  )
}

/**
 * Enabled keys that repeat an earlier one (same layer, key and provider scope): the engine walks keys by
 * priority then id, so only the first of them ever answers. Each comes with the key it repeats.
 */
export const repeatedMenuKeys = <Key extends KeyIdentity & { id: number; priority: number; enabled: unknown }>(
  keys: readonly Key[],
): { key: Key; first: Key }[] => {
  const ordered = keys.filter((key) => isEnabled(key.enabled)).sort((a, b) => a.priority - b.priority || a.id - b.id)
  const repeated: { key: Key; first: Key }[] = []
  ordered.forEach((key, index) => {
    const first = ordered.slice(0, index).find((earlier) => sameMenuKey(earlier, key))
    if (first) repeated.push({ key, first })
  })
  return repeated
}
