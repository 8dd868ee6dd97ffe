import type { MenuKeyRow, RuleRow } from '../db/schema.ts'

export const MENU_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'EMPTY_KEY', 'INVALID_KEY'] as const
export const MENU_ACTIONS = ['go_to_layer', 'queue', 'extension', 'phone', 'hangup'] as const

/**
 * A menu key as the rule it stands for, so menus and rules share one engine, trace and rules:check.
 * Its id is the negative of the key's id, so it never collides with a rule's.
 */
export const menuKeyRule = (key: MenuKeyRow): { row: RuleRow } | { reason: string } => {
  const keyName = key.key.trim().toUpperCase()
  if (!(MENU_KEYS as readonly string[]).includes(keyName)) return { reason: `key: must be one of ${MENU_KEYS.join(', ')}` }
  const action = key.action.trim().toLowerCase()
  if (!(MENU_ACTIONS as readonly string[]).includes(action)) return { reason: `action: must be one of ${MENU_ACTIONS.join(', ')}` }
  const target = key.target?.trim() ?? ''
  if (action !== 'hangup' && !target) return { reason: `target: ${action} needs a target` }
  const answer: Pick<RuleRow, 'action' | 'toLayer' | 'dial' | 'options'> =
    action === 'go_to_layer' || action === 'queue'
      ? { action: 'go_to_layer', toLayer: target, dial: null, options: null }
      : action === 'hangup'
        ? { action: 'hangup', toLayer: null, dial: null, options: null }
        : {
            action: 'dial',
            toLayer: null,
            dial: `${action}:${target}`,
            // If the destination cannot be reached, the caller comes back to the menu.
            options: JSON.stringify({ failed_layer: key.layer }),
          }
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
      dtmf: keyName === 'EMPTY_KEY' ? 'none' : keyName === 'INVALID_KEY' ? 'any' : keyName,
      identifyBy: 'none',
      lookup: null,
      contactMatch: null,
      attempt: null,
      days: null,
      timeFrom: null,
      timeTo: null,
      timeZone: null,
      say: key.say,
      language: null,
      note: null,
      ...answer,
    },
  }
}
