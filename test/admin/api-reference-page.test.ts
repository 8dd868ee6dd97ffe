import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiReferencePage } from '../../src/admin/api-reference-page.ts'
import { launchChromium } from '../console/browser.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

const TOKEN = 'admin-token-0123456789abcdef'

/** The parts of the real document the checks walk. */
interface Schema {
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  anyOf?: Schema[]
  enum?: unknown[]
  description?: string
}
interface Operation {
  tags: string[]
  summary?: string
  description?: string
  parameters?: { name: string; in: string; required?: boolean; description?: string }[]
  requestBody?: { content: Record<string, { schema: Schema }> }
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>
  security?: Record<string, string[]>[]
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>
}

const decode = (text: string) =>
  text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&')
/** What a person reads: tags dropped, entities decoded, white space collapsed. */
const textOf = (markup: string) => decode(markup.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ')
/** Text without its white space and code marks: tags split words in textOf where the page has none. */
const squashed = (text: string) => text.replaceAll('`', '').replace(/\s+/g, '')

/** Every operation section of the page, by "METHOD /admin/path". */
const sectionsOf = (page: string) => {
  const sections = new Map<string, string>()
  for (const [, body] of page.matchAll(/<section class="operation card" id="[^"]+">([\s\S]*?)<\/section>/g)) {
    const method = /<span class="method (\w+)">/.exec(body as string)?.[1]
    const path = /<code class="path">([^<]+)<\/code>/.exec(body as string)?.[1]
    sections.set(`${method?.toUpperCase()} ${decode(path ?? '')}`, body as string)
  }
  return sections
}

/** Every field name, enum value and description in a schema, at any depth (unions and array items too). */
const schemaParts = (
  schema: Schema | undefined,
  parts = { names: new Set<string>(), values: new Set<string>(), texts: new Set<string>() },
) => {
  if (!schema || typeof schema !== 'object') return parts
  if (schema.description) parts.texts.add(schema.description)
  for (const value of schema.enum ?? []) if (typeof value === 'string') parts.values.add(value)
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    parts.names.add(name)
    schemaParts(field, parts)
  }
  for (const variant of schema.anyOf ?? []) schemaParts(variant, parts)
  schemaParts(schema.items, parts)
  return parts
}

describe('/admin/docs on the real server', () => {
  let server: TestServer
  let document: OpenApi
  let page: string
  let response: Response
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN } })
    document = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as OpenApi
    // No token: the reference is public, as the document is.
    response = await fetch(`${server.url}/admin/docs`)
    page = await response.text()
  })
  afterAll(() => server.close())

  it('is served without the token, as HTML with a CSP of default-src self', () => {
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('content-security-policy')).toMatch(/(^|;\s*)default-src 'self'(;|$)/)
    expect(page).toMatch(/^<!doctype html>/i)
  })

  it('renders every operation of the document: method, path, summary, description and the token it needs', () => {
    const sections = sectionsOf(page)
    const expected = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} /admin${path}`),
    )
    expect(expected.length).toBeGreaterThanOrEqual(30)
    expect([...sections.keys()].sort()).toEqual(expected.sort())
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} /admin${path}`
        const text = textOf(sections.get(name) as string)
        expect(text, name).toContain(operation.summary)
        if (operation.description) expect(squashed(text), name).toContain(squashed(operation.description))
        expect(text, name).toContain(operation.security?.length ? 'Needs bearer' : 'No token needed')
      }
    }
    expect(textOf(page)).toContain('Send the header Authorization: Bearer <token>')
    expect(textOf(page)).toContain("The token is the service's ADMIN_TOKEN")
  })

  it('lists each parameter, and each body and answer field at every depth with its enums and descriptions', () => {
    const sections = sectionsOf(page)
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} /admin${path}`
        const section = sections.get(name) as string
        const text = textOf(section)
        for (const parameter of operation.parameters ?? []) {
          const row = new RegExp(`<tr>\\s*<td><code class="name">${parameter.name}</code>(.*?)</td>\\s*<td>${parameter.in}</td>`, 's')
          expect(section, `${name} parameter ${parameter.name}`).toMatch(row)
          expect(row.exec(section)?.[1]?.includes('required'), `${name} parameter ${parameter.name} required`).toBe(
            parameter.required === true,
          )
        }
        const bodies = [
          ...Object.values(operation.requestBody?.content ?? {}),
          ...Object.values(operation.responses).flatMap((answer) => Object.values(answer.content ?? {})),
        ]
        for (const { schema } of bodies) {
          const { names, values, texts } = schemaParts(schema)
          for (const field of names) expect(section, `${name} field ${field}`).toContain(`<code class="name">${field}</code>`)
          for (const value of values) expect(section, `${name} value ${value}`).toContain(`<code>${value}</code>`)
          for (const description of texts) expect(squashed(text), `${name}: ${description}`).toContain(squashed(description))
        }
        for (const [status, answer] of Object.entries(operation.responses)) {
          expect(section, `${name} ${status}`).toMatch(new RegExp(`<span class="status s\\dxx">${status}</span>`))
          expect(text, `${name} ${status}`).toContain(`${status} ${answer.description}`)
        }
      }
    }
    // Required marks go where the schema says: a rule needs its action, not its name.
    const createRule = sectionsOf(page).get('POST /admin/rules') as string
    expect(createRule).toMatch(/<code class="name">action<\/code>\s*<span class="required">required<\/span>/)
    expect(createRule).toMatch(/<code class="name">name<\/code>\s*<span class="type">/)
    // A nested object is listed inside its field: the simulator's answer names the rule that matched.
    expect(sectionsOf(page).get('POST /admin/simulate')).toMatch(
      /<code class="name">rule<\/code>[\s\S]*?object or null[\s\S]*?<ul class="fields">\s*<li class="field">\s*<code class="name">id<\/code>/,
    )
  })

  it('has a table of contents by tag linking to every operation', () => {
    const toc = /<nav class="toc"[^>]*>([\s\S]*?)<\/nav>/.exec(page)?.[1] ?? ''
    const tags = new Set(Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.tags[0])))
    for (const tag of tags) expect(textOf(toc), tag).toContain(tag)
    const targets = [...toc.matchAll(/href="#(op-[^"]+)"/g)].map((match) => match[1])
    const anchors = [...page.matchAll(/<section class="operation card" id="([^"]+)"/g)].map((match) => match[1])
    expect(targets).toEqual(anchors)
    expect(new Set(anchors).size).toBe(anchors.length)
  })

  it('loads nothing from another site and runs no script; its one stylesheet is served here, also without the token', async () => {
    expect(page).not.toMatch(/<script/i)
    expect(page).not.toMatch(/\son\w+\s*=/i)
    const references = [...page.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1] as string)
    expect(references.length).toBeGreaterThan(30)
    for (const reference of references) expect(reference, reference).toMatch(/^(#[\w-]+|\/admin\/[\w./-]+)$/)
    expect(references).toContain('/admin/openapi.json')
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(page)?.[1]
    expect(stylesheet).toBe('/admin/docs.css')
    const css = await fetch(`${server.url}${stylesheet}`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    const rules = await css.text()
    expect(rules).toContain('.method.post')
    expect(rules).not.toMatch(/@import|url\(/)
  })

  it('keeps every other admin path behind the token', async () => {
    for (const path of ['/admin/rules', '/admin/docs/', '/admin/docsx', '/admin/docs.cssx', '/admin/routee/docs']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(401)
    }
    expect((await fetch(`${server.url}/admin/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  })
})

describe('/admin/docs in a real browser, offline', () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    ;[server, browser] = await Promise.all([startTestServer({ env: { ADMIN_TOKEN: TOKEN } }), launchChromium()])
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('shows every operation styled, asking nothing of any other site, with no CSP complaint', async () => {
    const context = await browser.newContext()
    const requested: string[] = []
    // Offline: anything bound for another origin would fail (and be listed).
    await context.route('**/*', (route) => {
      requested.push(route.request().url())
      return route.request().url().startsWith(`${server.url}/`) ? route.continue() : route.abort('internetdisconnected')
    })
    const page = await context.newPage()
    const complaints: string[] = []
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) complaints.push(message.text())
    })
    await page.goto(`${server.url}/admin/docs`)
    const document = (await (await fetch(`${server.url}/admin/openapi.json`)).json()) as OpenApi
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods)).length
    expect(await page.locator('section.operation').count()).toBe(operations)
    await expect.poll(() => page.locator('script').count()).toBe(0)
    // The stylesheet applied: a POST badge is green, not the browser's default.
    const badge = await page
      .locator('.method.post')
      .first()
      .evaluate((element) => getComputedStyle(element).backgroundColor)
    expect(badge).toBe('rgb(23, 121, 74)')
    await page.getByRole('link', { name: 'Simulate a call' }).click()
    expect(page.url()).toMatch(/#op-/)
    await expect.poll(() => page.getByText('What a call would get, and why').isVisible()).toBe(true)
    expect(requested.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([])
    expect(requested).toEqual(expect.arrayContaining([`${server.url}/admin/docs`, `${server.url}/admin/docs.css`]))
    expect(complaints).toEqual([])
    await context.close()
  })
})

describe('apiReferencePage', () => {
  const hostile = '<script>alert(1)</script>'
  const document = {
    openapi: '3.1.0',
    info: { title: `API ${hostile}`, version: '"><b>1</b>', description: `Intro with \`code ${hostile}\` and ${hostile}` },
    servers: [{ url: '/api' }],
    tags: [{ name: `tag ${hostile}`, description: `About <i>it</i>` }],
    components: {
      securitySchemes: { 'key"><b>': { type: 'apiKey', in: 'header', name: `X-Key ${hostile}`, description: hostile } },
      schemas: {
        Node: {
          type: 'object',
          description: 'A tree node',
          properties: { label: { type: 'string', enum: [hostile, 'plain'] }, child: { $ref: '#/components/schemas/Node' } },
          required: ['label'],
        },
      },
    },
    paths: {
      '/things/{id}"><script>': {
        parameters: [{ name: `id ${hostile}`, in: 'path', required: true, schema: { type: 'string', pattern: hostile } }],
        get: {
          operationId: `" onmouseover="alert(1)`,
          tags: [`tag ${hostile}`],
          summary: `Get <img src=x onerror=alert(1)>`,
          description: `Says ${hostile}`,
          security: [{ 'key"><b>': [] }],
          responses: {
            '200': {
              description: `OK ${hostile}`,
              content: {
                'application/json': {
                  schema: {
                    allOf: [
                      { type: 'object', properties: { '<svg onload=alert(1)>': { type: 'string', default: hostile } }, required: [] },
                      { type: 'object', properties: { tree: { $ref: '#/components/schemas/Node' } }, required: ['tree'] },
                    ],
                  },
                },
              },
            },
          },
        },
      },
      '/public': { post: { summary: 'Open', security: [], responses: { '204': { description: 'Done' } } } },
    },
  }

  const render = async () => {
    const app = apiReferencePage({ document: async () => document, documentPath: '/spec.json' })
    const response = await app.request('/docs')
    return { response, page: await response.text() }
  }

  it('escapes every text it takes from the document, in text and in attributes', async () => {
    const { response, page } = await render()
    expect(response.status).toBe(200)
    expect(page).not.toMatch(/<(script|img|svg|b|i)[\s>]/i)
    expect(page).not.toMatch(/\son\w+\s*=\s*"/i)
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).toContain('Get &lt;img src=x onerror=alert(1)&gt;')
    expect(page).toContain('<code>code &lt;script&gt;alert(1)&lt;/script&gt;</code>')
    expect(page).toContain('About &lt;i&gt;it&lt;/i&gt;')
    // Anchors made from names keep only safe characters.
    for (const [, id] of page.matchAll(/\sid="([^"]*)"/g)) expect(id).toMatch(/^[\w-]+$/)
    const text = textOf(page)
    expect(text).toContain('GET /api/things/{id}"><script>')
    expect(text).toContain(`Needs key"><b>`)
    expect(text).toContain('No token needed')
  })

  it('follows $ref within the document, merges allOf, and stops at a schema that contains itself', async () => {
    const { page } = await render()
    const get = /<section class="operation card" id="[^"]+">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? ''
    expect(get).toContain('<code class="name">&lt;svg onload=alert(1)&gt;</code>')
    expect(get).toMatch(/<code class="name">tree<\/code>\s*<span class="required">required<\/span>/)
    expect(textOf(get)).toContain('A tree node')
    // Node → child → Node …: followed once, then shown as a node without going round again.
    expect(get.match(/<code class="name">child<\/code>/g)?.length).toBeGreaterThanOrEqual(1)
    expect(get.match(/<code class="name">child<\/code>/g)?.length).toBeLessThan(10)
    expect(page).toContain('href="/spec.json"')
  })
})
