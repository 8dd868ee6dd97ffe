import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { API_REFERENCE_CSS } from './api-reference-css.ts'
import { type OpenApiDocument, renderApiReference } from './api-reference-html.ts'

/** The reference's paths under the admin app; served without the token, like the document they describe. */
export const API_REFERENCE_PATHS = { page: '/docs', stylesheet: '/docs.css' } as const

export interface ApiReferencePageOptions {
  /** The OpenAPI document the admin app serves (built once, on first use). */
  document: () => Promise<unknown>
  /** Where the admin app serves it, e.g. `/openapi.json`: the page links to it. */
  documentPath: string
}

/** Nothing but this origin's stylesheet and links: no script, no frame, no form. */
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: 'same-origin',
})

/**
 * /docs: the admin API reference as plain HTML rendered on the server from the OpenAPI document, with one
 * stylesheet served here (/docs.css): no script and nothing from another site, so it works offline and
 * under CSP default-src 'self', on Node and on Workers alike.
 */
export const apiReferencePage = ({ document, documentPath }: ApiReferencePageOptions) => {
  const app = new Hono()
  let rendered: { base: string; page: string } | undefined

  // Routes, not `use('*')`: this app is mounted at the admin app's root, where `*` would reach every admin route.
  app.get(API_REFERENCE_PATHS.page, pageHeaders, async (c) => {
    // Where the admin app is mounted (/admin), from this request's own path: the page links to its siblings.
    const base = c.req.path.slice(0, -API_REFERENCE_PATHS.page.length)
    if (rendered?.base !== base) {
      const page = await renderApiReference((await document()) as OpenApiDocument, {
        documentUrl: `${base}${documentPath}`,
        stylesheetUrl: `${base}${API_REFERENCE_PATHS.stylesheet}`,
      })
      rendered = { base, page: page.toString() }
    }
    return c.html(rendered.page)
  })
  app.get(API_REFERENCE_PATHS.stylesheet, pageHeaders, (c) =>
    c.body(API_REFERENCE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }),
  )
  return app
}
