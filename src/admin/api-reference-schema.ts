import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** A fragment of escaped HTML (what `html` returns). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** The parts of a JSON Schema (OpenAPI 3.1) the reference shows. Read from JSON, so every part may be missing. */
export interface JsonSchema {
  $ref?: string
  type?: string | string[]
  title?: string
  description?: string
  enum?: unknown[]
  const?: unknown
  default?: unknown
  examples?: unknown[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  nullable?: boolean
  deprecated?: boolean
  readOnly?: boolean
  writeOnly?: boolean
}

/** Finds what a `$ref` points at in the document (`#/components/schemas/Rule`), or undefined. */
export type RefResolver = (ref: string) => JsonSchema | undefined

/** Past this depth a schema is cut short: a schema that refers to itself would otherwise never end. */
const MAX_DEPTH = 8

/** What a schema is, made plain: one type line, its constraints, its fields (objects) or variants (unions). */
interface Shape {
  type: Html | string
  nullable: boolean
  description?: string
  notes: Html[]
  /** Nested fields (of an object, or of each item of an array) or the variants of a union. */
  children?: Html
}

/** A value from the document as code: strings as they are (quoted when empty), the rest as JSON. */
export const literal = (value: unknown) => html`<code>${typeof value === 'string' && value !== '' ? value : JSON.stringify(value)}</code>`

/** Text from the document with its `code spans` kept and blank lines as paragraph breaks; all of it escaped. */
export const prose = (text: unknown, className = 'description') =>
  typeof text === 'string' && text
    ? text
        .split(/\n\s*\n/)
        .map(
          (paragraph) =>
            html`<p class="${className}">${paragraph.split('`').map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : part))}</p>`,
        )
    : ''

const joined = (parts: Html[], separator: string) => parts.map((part, index) => html`${index > 0 ? separator : ''}${part}`)

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The schema with its `$ref` followed (the referring schema's own description wins). */
const followRef = (schema: JsonSchema, resolve: RefResolver, seen: ReadonlySet<string>): [JsonSchema, ReadonlySet<string>] => {
  if (typeof schema.$ref !== 'string' || seen.has(schema.$ref)) return [schema, seen]
  const target = resolve(schema.$ref)
  if (!target) return [schema, seen]
  const { $ref, ...own } = schema
  return followRef({ ...target, ...own }, resolve, new Set([...seen, $ref]))
}

/** anyOf/oneOf flattened ("string or (number or null)" is "string or number or null"), nulls counted apart. */
const variantsOf = (schema: JsonSchema): JsonSchema[] => {
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined
  if (!union) return [schema]
  return union.filter(isObject).flatMap((variant) => variantsOf(variant))
}

const isNull = (schema: JsonSchema) =>
  schema.type === 'null' || (Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === null)

/** allOf merged into one schema: the fields and required names of every part, the first part's word on the rest. */
const mergeAllOf = (schema: JsonSchema, resolve: RefResolver): JsonSchema => {
  if (!Array.isArray(schema.allOf)) return schema
  const { allOf, ...merged } = schema
  const properties: Record<string, JsonSchema> = { ...merged.properties }
  const required = [...(Array.isArray(merged.required) ? merged.required : [])]
  for (const given of allOf.filter(isObject) as JsonSchema[]) {
    const part = typeof given.$ref === 'string' ? (resolve(given.$ref) ?? given) : given
    for (const [key, value] of Object.entries(part)) if (!(key in merged)) Object.assign(merged, { [key]: value })
    if (isObject(part.properties)) Object.assign(properties, part.properties)
    if (Array.isArray(part.required)) required.push(...part.required)
  }
  return Object.keys(properties).length > 0 ? { ...merged, properties, required } : merged
}

/** Constraints said in words: "at most 200 characters", "matches ^\d+$", "default 100". */
const constraints = (schema: JsonSchema): Html[] => {
  const notes: Html[] = []
  const { minLength, maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems } = schema
  if (typeof minLength === 'number' && typeof maxLength === 'number') notes.push(html`${minLength}–${maxLength} characters`)
  else if (typeof maxLength === 'number') notes.push(html`at most ${maxLength} characters`)
  else if (typeof minLength === 'number') notes.push(minLength === 1 ? html`not empty` : html`at least ${minLength} characters`)
  if (typeof minimum === 'number') notes.push(html`≥ ${minimum}`)
  if (typeof exclusiveMinimum === 'number') notes.push(html`&gt; ${exclusiveMinimum}`)
  if (typeof maximum === 'number') notes.push(html`≤ ${maximum}`)
  if (typeof exclusiveMaximum === 'number') notes.push(html`&lt; ${exclusiveMaximum}`)
  if (typeof minItems === 'number') notes.push(html`at least ${minItems} items`)
  if (typeof maxItems === 'number') notes.push(html`at most ${maxItems} items`)
  if (typeof schema.format === 'string') notes.push(html`format ${literal(schema.format)}`)
  if (typeof schema.pattern === 'string') notes.push(html`matches ${literal(schema.pattern)}`)
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((value) => value !== null)
    if (values.length > 0) notes.push(html`one of ${joined(values.map(literal), ', ')}`)
  }
  if ('const' in schema) notes.push(html`always ${literal(schema.const)}`)
  if ('default' in schema) notes.push(html`default ${literal(schema.default)}`)
  if (Array.isArray(schema.examples) && schema.examples.length > 0) {
    notes.push(html`e.g. ${joined(schema.examples.map(literal), ', ')}`)
  }
  if (schema.readOnly === true) notes.push(html`read-only`)
  if (schema.writeOnly === true) notes.push(html`write-only`)
  if (schema.deprecated === true) notes.push(html`deprecated`)
  return notes
}

/** The one-word type: "string", "integer", "object", "any" (a schema that says nothing takes anything). */
const baseType = (schema: JsonSchema): string => {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter(
    (type): type is string => typeof type === 'string' && type !== 'null',
  )
  if (types.length > 0) return types.join(' or ')
  if (isObject(schema.properties)) return 'object'
  if (isObject(schema.items)) return 'array'
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return typeof schema.enum.find((value) => value !== null)
  return 'any'
}

/** Turns a schema into its shape; `depth` guards against schemas that nest (or refer to themselves) without end. */
const shapeOf = (given: JsonSchema, resolve: RefResolver, depth: number, seen: ReadonlySet<string> = new Set()): Shape => {
  const [followed, seenHere] = followRef(given, resolve, seen)
  const schema = mergeAllOf(followed, resolve)
  const variants = variantsOf(schema)
  const nullable = variants.some(isNull) || schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null'))
  const kept = variants.filter((variant) => !isNull(variant))
  if (kept.length !== 1 || kept[0] !== schema) {
    // A union: one variant (the other was null) reads as that variant; several read "A or B", listed when nested.
    const description = schema.description
    if (kept.length === 0) return { type: 'null', nullable: false, description, notes: [] }
    if (kept.length === 1) {
      const only = shapeOf(kept[0] as JsonSchema, resolve, depth, seenHere)
      return { ...only, nullable: nullable || only.nullable, description: description ?? only.description }
    }
    const shapes = kept.map((variant) => shapeOf(variant, resolve, depth + 1, seenHere))
    const simple = shapes.every((shape) => !shape.children)
    return {
      // Each variant's constraints beside it: "boolean or number (one of 0, 1)".
      type: html`${shapes.map(
        (shape, index) =>
          html`${index > 0 ? ' or ' : ''}${shape.type}${simple && shape.notes.length > 0 ? html` (${joined(shape.notes, '; ')})` : ''}`,
      )}`,
      nullable,
      description,
      notes: [],
      children: simple
        ? undefined
        : html`<ol class="variants">
            ${shapes.map((shape) => html`<li>${shapeLine(shape)}${shape.children ?? ''}</li>`)}
          </ol>`,
    }
  }

  const type = baseType(schema)
  const shape: Shape = { type, nullable, description: schema.description, notes: constraints(schema) }
  if (depth >= MAX_DEPTH) return { ...shape, notes: [...shape.notes, html`nested deeper than shown here`] }

  if (type === 'array' && isObject(schema.items)) {
    const item = shapeOf(schema.items, resolve, depth + 1, seenHere)
    return {
      ...shape,
      type: html`array of ${item.type}${item.nullable ? ' or null' : ''}`,
      notes: [...shape.notes, ...item.notes.map((note) => html`each ${note}`)],
      children: item.children,
    }
  }
  if (type === 'object') {
    const properties = isObject(schema.properties) ? Object.entries(schema.properties).filter(([, value]) => isObject(value)) : []
    const required = new Set(Array.isArray(schema.required) ? schema.required : [])
    const extra = schema.additionalProperties
    if (properties.length === 0) {
      if (isObject(extra)) {
        const value = shapeOf(extra, resolve, depth + 1, seenHere)
        return {
          ...shape,
          type: value.type === 'any' ? 'object (any keys)' : html`object (any keys) of ${value.type}`,
          children: value.children,
        }
      }
      return extra === false ? { ...shape, type: 'object (empty)' } : shape
    }
    const fields = properties.map(([name, value]) => field(name, required.has(name), shapeOf(value, resolve, depth + 1, seenHere)))
    if (isObject(extra)) {
      fields.push(
        html`<li class="field"><span class="name muted">other fields</span> ${shapeLine(shapeOf(extra, resolve, depth + 1, seenHere))}</li>`,
      )
    }
    if (extra === false) shape.notes.push(html`no other fields`)
    return { ...shape, children: html`<ul class="fields">${fields}</ul>` }
  }
  return shape
}

/** The type and its constraints on one line: `string or null · at most 200 characters`. */
const shapeLine = (shape: Shape) =>
  html`<span class="type">${shape.type}${shape.nullable ? ' or null' : ''}</span>${shape.notes.map(
    (note) => html` <span class="note">${note}</span>`,
  )}`

const field = (name: string, required: boolean, shape: Shape) =>
  html`<li class="field">
    <code class="name">${name}</code>
    ${required ? html`<span class="required">required</span>` : ''} ${shapeLine(shape)} ${prose(shape.description)}
    ${shape.children ?? ''}
  </li>`

/** A schema as a person reads it: its type line and description, then its fields, nested, each with its type. */
export const schemaView = (schema: unknown, resolve: RefResolver): Html => {
  if (!isObject(schema)) return html`<div class="schema"><span class="type">any</span></div>`
  const shape = shapeOf(schema as JsonSchema, resolve, 0)
  return html`<div class="schema">${shapeLine(shape)} ${prose(shape.description)} ${shape.children ?? ''}</div>`
}

/** The type line alone (for a parameter): its type, constraints and whether it may be null. */
export const schemaSummary = (schema: unknown, resolve: RefResolver): { line: Html; description?: string } => {
  if (!isObject(schema)) return { line: html`<span class="type">any</span>` }
  const shape = shapeOf(schema as JsonSchema, resolve, 0)
  return { line: html`${shapeLine(shape)}${shape.children ?? ''}`, description: shape.description }
}
