import { CALL_FIELDS, resolvePath, type Scope } from './scope.ts'

/**
 * Text with `{{path}}` or `{{path | default}}` placeholders, e.g. `{{owner.extension}}` or
 * `{{fields.balance | 0}}`. Rendering fails (undefined) when a placeholder has no value and no default,
 * so the rule does not apply and the next one is tried.
 */
export interface Template {
  source: string
  /** True when the text has no placeholders. */
  constant: boolean
  render(scope: Scope): { value: string } | { missing: string }
}

// No brace inside, and the parts are split and trimmed in code: the earlier lazy, whitespace-trimming
// pattern backtracked quadratically on rule text such as "{{a" followed by 20,000 spaces (0.3 s).
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g
const PATH = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/

export const compileTemplate = (source: string): Template => {
  const parts: (string | { path: string; fallback?: string })[] = []
  let last = 0
  const literal = (text: string) => {
    if (text.includes('{{') || text.includes('}}')) throw new Error(`unbalanced braces in "${source}"`)
    return text
  }
  for (const match of source.matchAll(PLACEHOLDER)) {
    const inner = match[1] as string
    const bar = inner.indexOf('|')
    const path = (bar < 0 ? inner : inner.slice(0, bar)).trim()
    const fallback = bar < 0 ? undefined : inner.slice(bar + 1).trim()
    // "{{}}" is not a placeholder; left in the literal text, it is refused as unbalanced below.
    if (path === '' && bar < 0) continue
    if (!PATH.test(path)) throw new Error(`"{{${path}}}" is not a field path (e.g. owner.extension)`)
    if (
      path.startsWith('call.') &&
      !CALL_FIELDS.includes(path.slice(5) as (typeof CALL_FIELDS)[number]) &&
      !path.startsWith('call.custom.')
    ) {
      throw new Error(`"{{${path}}}": call has ${CALL_FIELDS.join(', ')}`)
    }
    parts.push(literal(source.slice(last, match.index)), { path, fallback })
    last = (match.index ?? 0) + match[0].length
  }
  parts.push(literal(source.slice(last)))
  const constant = parts.length === 1
  return {
    source,
    constant,
    render(scope) {
      if (constant) return { value: source }
      let value = ''
      for (const part of parts) {
        if (typeof part === 'string') {
          value += part
          continue
        }
        const resolved = resolvePath(scope, part.path) ?? part.fallback
        if (resolved === undefined) return { missing: part.path }
        value += resolved
      }
      return { value }
    },
  }
}
