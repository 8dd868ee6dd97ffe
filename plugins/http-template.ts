/**
 * The small languages of the generic HTTP plugin's settings: paths into a JSON answer (`data.person.name`,
 * `results[0].id`) and templates with `{placeholder}`s (URLs, and JSON bodies whose values are filled in).
 * Everything is compiled once at start, so a mistake is a start-up error that names the setting.
 */

/** A step into a JSON value: an object key or an array index. */
export type PathStep = string | number

const STEP = /^(?:([^.[\]]+)|\[(\d+)\])/

/** `data.results[0].name` → ['data', 'results', 0, 'name']; undefined when it is not a path. */
export const compilePath = (path: string): PathStep[] | undefined => {
  const steps: PathStep[] = []
  let rest = path.trim()
  if (!rest) return undefined
  while (rest) {
    const match = STEP.exec(rest)
    if (!match) return undefined
    steps.push(match[1] !== undefined ? match[1] : Number(match[2]))
    rest = rest.slice(match[0].length)
    // A dot must lead to a key; an index may follow directly.
    if (rest.startsWith('.')) {
      rest = rest.slice(1)
      if (!rest || rest.startsWith('[') || rest.startsWith('.')) return undefined
    } else if (rest && !rest.startsWith('[')) return undefined
  }
  return steps
}

/** The value at `steps`, or undefined where the answer has nothing there. */
export const readPath = (value: unknown, steps: readonly PathStep[]): unknown => {
  let current = value
  for (const step of steps) {
    if (current === null || current === undefined) return undefined
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined
      current = current[step]
    } else {
      if (typeof current !== 'object' || Array.isArray(current)) return undefined
      current = Object.hasOwn(current, step) ? (current as Record<string, unknown>)[step] : undefined
    }
  }
  return current
}

/** `${HTTP_CRM_TOKEN}`: a secret taken from the environment at start. */
export const SECRET_REFERENCE = /\$\{([A-Z][A-Z0-9_]*)\}/g
/** `{phone}`, `{contact.owner.id}`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:(?:\.[A-Za-z0-9_]+)|(?:\[\d+\]))*)\}/g

/** A text with `{placeholder}`s, filled in from values by name. */
export interface TextTemplate {
  placeholders: string[]
  render(values: (name: string) => unknown, encode?: (text: string) => string): string
}

export const compileText = (template: string): TextTemplate => {
  const placeholders = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] as string)
  return {
    placeholders,
    render: (values, encode = (text) => text) =>
      template.replace(PLACEHOLDER, (_, name: string) => {
        const value = values(name)
        return value === undefined || value === null ? '' : encode(String(value))
      }),
  }
}

/**
 * A JSON body template: the JSON value as written, where a string that is only `"{name}"` becomes the value
 * itself (a number stays a number, a missing value is null) and other strings have their placeholders
 * filled in as text.
 */
export interface JsonTemplate {
  placeholders: string[]
  render(values: (name: string) => unknown): unknown
}

const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*(?:(?:\.[A-Za-z0-9_]+)|(?:\[\d+\]))*)\}$/

export const compileJson = (template: unknown): JsonTemplate => {
  const placeholders: string[] = []
  const walk = (node: unknown): ((values: (name: string) => unknown) => unknown) => {
    if (typeof node === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(node)
      if (whole) {
        placeholders.push(whole[1] as string)
        return (values) => values(whole[1] as string) ?? null
      }
      const text = compileText(node)
      placeholders.push(...text.placeholders)
      return text.placeholders.length ? (values) => text.render(values) : () => node
    }
    if (Array.isArray(node)) {
      const items = node.map(walk)
      return (values) => items.map((item) => item(values))
    }
    if (node && typeof node === 'object') {
      const entries = Object.entries(node).map(([key, value]) => [key, walk(value)] as const)
      return (values) => Object.fromEntries(entries.map(([key, render]) => [key, render(values)]))
    }
    return () => node
  }
  const render = walk(template)
  return { placeholders, render }
}

/** A lookup of dotted names (`contact.owner.id`) in one object, for rendering templates. */
export const valuesFrom =
  (source: unknown) =>
  (name: string): unknown => {
    const steps = compilePath(name)
    return steps ? readPath(source, steps) : undefined
  }
