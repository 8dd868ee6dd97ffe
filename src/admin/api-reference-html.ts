import { html } from 'hono/html'
import { type Html, type JsonSchema, prose, type RefResolver, schemaSummary, schemaView } from './api-reference-schema.ts'

/** The parts of an OpenAPI 3.1 document the reference shows. Read from JSON, so every part may be missing. */
export interface OpenApiDocument {
  openapi?: string
  info?: { title?: string; version?: string; description?: string }
  servers?: { url?: string; description?: string }[]
  tags?: { name?: string; description?: string }[]
  security?: SecurityRequirement[]
  components?: { securitySchemes?: Record<string, SecurityScheme> } & Record<string, unknown>
  paths?: Record<string, PathItem>
}

type SecurityRequirement = Record<string, string[]>

interface SecurityScheme {
  type?: string
  scheme?: string
  bearerFormat?: string
  name?: string
  in?: string
  description?: string
}

interface Parameter {
  $ref?: string
  name?: string
  in?: string
  required?: boolean
  description?: string
  deprecated?: boolean
  schema?: JsonSchema
}

interface MediaTypes {
  content?: Record<string, { schema?: JsonSchema }>
}

interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  description?: string
  deprecated?: boolean
  security?: SecurityRequirement[]
  parameters?: Parameter[]
  requestBody?: MediaTypes & { $ref?: string; required?: boolean; description?: string }
  responses?: Record<string, MediaTypes & { $ref?: string; description?: string }>
}

type PathItem = { parameters?: Parameter[] } & Partial<Record<(typeof METHODS)[number], Operation>>

export interface ReferenceOptions {
  /** Where the raw document is served (linked from the page). */
  documentUrl: string
  /** Where the page's stylesheet is served. */
  stylesheetUrl: string
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `#/components/schemas/Rule` looked up in the document itself; a reference to anywhere else is not followed. */
const refResolver =
  (document: OpenApiDocument): RefResolver =>
  (ref) => {
    if (!ref.startsWith('#/')) return undefined
    let at: unknown = document
    for (const part of ref.slice(2).split('/')) {
      const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')
      at = isObject(at) ? at[key] : undefined
    }
    return isObject(at) ? at : undefined
  }

const followed = <T extends { $ref?: string }>(value: T, resolve: RefResolver): T =>
  typeof value.$ref === 'string' ? ((resolve(value.$ref) as T | undefined) ?? value) : value

interface Entry {
  method: (typeof METHODS)[number]
  path: string
  operation: Operation
  parameters: Parameter[]
  anchor: string
}

/** Every operation in document order, each with an anchor of its own and its path's parameters. */
const entriesOf = (document: OpenApiDocument, resolve: RefResolver): Entry[] => {
  const anchors = new Set<string>()
  const unique = (wanted: string) => {
    let anchor = wanted
    for (let n = 2; anchors.has(anchor); n++) anchor = `${wanted}-${n}`
    anchors.add(anchor)
    return anchor
  }
  const entries: Entry[] = []
  for (const [path, item] of Object.entries(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue
    const shared = Array.isArray(item.parameters) ? item.parameters.filter(isObject).map((p) => followed(p, resolve)) : []
    for (const method of METHODS) {
      const operation = item[method]
      if (!isObject(operation)) continue
      const own = Array.isArray(operation.parameters) ? operation.parameters.filter(isObject).map((p) => followed(p, resolve)) : []
      // An operation's own parameter replaces its path's of the same name and place.
      const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own]
      const id = typeof operation.operationId === 'string' && operation.operationId ? operation.operationId : `${method}-${path}`
      entries.push({ method, path, operation, parameters, anchor: unique(`op-${id.replace(/[^A-Za-z0-9_-]+/g, '-')}`) })
    }
  }
  return entries
}

/** Operations grouped by their first tag: the document's tag order first, then the order they appear in. */
const byTag = (document: OpenApiDocument, entries: Entry[]) => {
  const groups = new Map<string, Entry[]>()
  for (const tag of Array.isArray(document.tags) ? document.tags : []) {
    if (isObject(tag) && typeof tag.name === 'string') groups.set(tag.name, [])
  }
  for (const entry of entries) {
    const tag = Array.isArray(entry.operation.tags) && typeof entry.operation.tags[0] === 'string' ? entry.operation.tags[0] : 'other'
    groups.set(tag, [...(groups.get(tag) ?? []), entry])
  }
  return [...groups].filter(([, group]) => group.length > 0)
}

const tagAnchor = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9_-]+/g, '-')}`

const methodBadge = (method: string) => html`<span class="method ${method}">${method.toUpperCase()}</span>`

/** The first server's URL when it is a path (`/admin`): shown before each path, as a request would use it. */
const pathPrefix = (document: OpenApiDocument) => {
  const url = Array.isArray(document.servers) && isObject(document.servers[0]) ? document.servers[0].url : undefined
  return typeof url === 'string' && url.startsWith('/') ? url.replace(/\/$/, '') : ''
}

/** How to send a scheme's credential, said plainly: the header for a bearer token, the field for an API key. */
const schemeUse = (scheme: SecurityScheme) => {
  if (scheme.type === 'http' && typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'bearer')
    return html`Send the header <code>Authorization: Bearer &lt;token&gt;</code>`
  if (scheme.type === 'http') return html`HTTP <code>${String(scheme.scheme)}</code> authentication`
  if (scheme.type === 'apiKey') return html`Send the key in the ${String(scheme.in)} field <code>${String(scheme.name)}</code>`
  return html`${String(scheme.type)}`
}

const schemesOf = (document: OpenApiDocument) =>
  Object.entries(isObject(document.components?.securitySchemes) ? document.components.securitySchemes : {})
const hasSchemes = (document: OpenApiDocument) => schemesOf(document).length > 0

const authentication = (document: OpenApiDocument) => {
  const schemes = schemesOf(document)
  if (schemes.length === 0) return ''
  return html`<section class="card" id="authentication">
    <h2>Authentication</h2>
    <dl>
      ${schemes.map(
        ([name, scheme]) =>
          html`<dt id="${`auth-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`}"><code>${name}</code></dt>
            <dd>${isObject(scheme) ? html`<p>${schemeUse(scheme)}.</p>${prose(scheme.description)}` : ''}</dd>`,
      )}
    </dl>
  </section>`
}

/** Which credentials an operation needs: its own `security`, else the document's; `[]` (or none) is public. */
const securityLine = (document: OpenApiDocument, operation: Operation) => {
  const requirements = Array.isArray(operation.security) ? operation.security : Array.isArray(document.security) ? document.security : []
  const names = requirements.filter(isObject).map((requirement) => Object.keys(requirement))
  if (names.length === 0 || names.some((all) => all.length === 0)) return html`<p class="auth">No token needed.</p>`
  return html`<p class="auth">Needs ${names.map(
    (all, index) =>
      html`${index > 0 ? ' or ' : ''}${all.map(
        (name, n) => html`${n > 0 ? ' and ' : ''}<a href="${`#auth-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`}"><code>${name}</code></a>`,
      )}`,
  )}.</p>`
}

const parametersTable = (parameters: Parameter[], resolve: RefResolver) =>
  parameters.length === 0
    ? ''
    : html`<h4>Parameters</h4>
        <table class="parameters">
          <thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead>
          <tbody>
            ${parameters.map((parameter) => {
              const { line, description } = schemaSummary(parameter.schema, resolve)
              return html`<tr>
                <td><code class="name">${String(parameter.name)}</code>${parameter.required === true ? html` <span class="required">required</span>` : ''}</td>
                <td>${String(parameter.in)}</td>
                <td>${line}</td>
                <td>${prose(typeof parameter.description === 'string' ? parameter.description : description)}${parameter.deprecated === true ? html`<p class="note">deprecated</p>` : ''}</td>
              </tr>`
            })}
          </tbody>
        </table>`

/** Each media type of a body with its schema. */
const contentOf = (body: MediaTypes, resolve: RefResolver) =>
  Object.entries(isObject(body.content) ? body.content : {}).map(
    ([mediaType, media]) =>
      html`<p class="media"><code>${mediaType}</code></p>${schemaView(isObject(media) ? media.schema : undefined, resolve)}`,
  )

const requestBody = (operation: Operation, resolve: RefResolver) => {
  if (!isObject(operation.requestBody)) return ''
  const body = followed(operation.requestBody, resolve)
  return html`<h4>Request body ${body.required === true ? html`<span class="required">required</span>` : ''}</h4>
    ${prose(body.description)} ${contentOf(body, resolve)}`
}

const statusClass = (status: string) => (/^[1-5]/.test(status) ? `s${status[0]}xx` : 'sdefault')

/** Each answer with its status; the bodies of errors start folded, since most share one shape. */
const responses = (operation: Operation, resolve: RefResolver) => {
  const answers = Object.entries(isObject(operation.responses) ? operation.responses : {}).filter(([, answer]) => isObject(answer))
  if (answers.length === 0) return ''
  return html`<h4>Responses</h4>
    <ul class="responses">
      ${answers.map(([status, given]) => {
        const answer = followed(given, resolve)
        const body = isObject(answer.content) && Object.keys(answer.content).length > 0 ? contentOf(answer, resolve) : undefined
        const head = html`<span class="status ${statusClass(status)}">${status}</span> ${answer.description ?? ''}`
        if (!body) return html`<li><p class="answer">${head}</p></li>`
        return html`<li><details${/^2/.test(status) ? html` open` : ''}><summary>${head}</summary>${body}</details></li>`
      })}
    </ul>`
}

const operationSection = (
  document: OpenApiDocument,
  { method, path, operation, parameters, anchor }: Entry,
  prefix: string,
  resolve: RefResolver,
) =>
  html`<section class="operation card" id="${anchor}">
    <h3>${methodBadge(method)} <code class="path">${prefix}${path}</code>${operation.deprecated === true ? html` <span class="note">deprecated</span>` : ''}</h3>
    ${typeof operation.summary === 'string' ? html`<p class="summary">${operation.summary}</p>` : ''}
    ${prose(operation.description)} ${securityLine(document, operation)} ${parametersTable(parameters, resolve)}
    ${requestBody(operation, resolve)} ${responses(operation, resolve)}
  </section>`

/**
 * An OpenAPI document as one HTML page, for reading: a table of contents by tag, then every operation with
 * its parameters, request body and responses, schemas as nested field lists. Everything taken from the
 * document is escaped; the page has no script and its one stylesheet is `stylesheetUrl`.
 */
export const renderApiReference = (document: OpenApiDocument, { documentUrl, stylesheetUrl }: ReferenceOptions): Html => {
  const resolve = refResolver(document)
  const entries = entriesOf(document, resolve)
  const groups = byTag(document, entries)
  const prefix = pathPrefix(document)
  const info = isObject(document.info) ? document.info : {}
  const title = typeof info.title === 'string' && info.title ? info.title : 'API reference'
  const tagDescriptions = new Map(
    (Array.isArray(document.tags) ? document.tags : []).filter(isObject).map((tag) => [tag.name, tag.description] as const),
  )
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${title}</title>
<link rel="stylesheet" href="${stylesheetUrl}" />
</head>
<body>
<header class="top"><span class="brand">${title}</span>${typeof info.version === 'string' ? html` <span class="version">${info.version}</span>` : ''}
  <a href="${documentUrl}">OpenAPI document (JSON)</a></header>
<div class="layout">
<nav class="toc" aria-label="Contents">
  ${hasSchemes(document) ? html`<p><a href="#authentication">Authentication</a></p>` : ''}
  ${groups.map(
    ([tag, group]) => html`<p class="tag"><a href="#${tagAnchor(tag)}">${tag}</a></p>
      <ul>
        ${group.map(({ method, path, operation, anchor }) => html`<li><a href="#${anchor}">${methodBadge(method)} ${typeof operation.summary === 'string' ? operation.summary : path}</a></li>`)}
      </ul>`,
  )}
</nav>
<main>
  <h1>${title}</h1>
  ${prose(info.description)}
  <p>${entries.length} operations${prefix ? html`, under <code>${prefix}</code>` : ''}. The same description as JSON, for tools: <a href="${documentUrl}">${documentUrl}</a>.</p>
  ${authentication(document)}
  ${groups.map(
    ([tag, group]) => html`<section class="tag-group" id="${tagAnchor(tag)}">
      <h2>${tag}</h2>
      ${prose(tagDescriptions.get(tag))}
      ${group.map((entry) => operationSection(document, entry, prefix, resolve))}
    </section>`,
  )}
</main>
</div>
</body>
</html>`
}
