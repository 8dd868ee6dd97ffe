import type { Context, MiddlewareHandler } from 'hono'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { Database } from '../db/database.ts'
import type { Logger } from '../lib/logger.ts'
import type { Service } from '../service.ts'
import type { ConsoleSession } from './session-store.ts'

/** What the console's pages are built from: the service's parts and its database. */
export interface ConsoleDeps {
  db: Database
  service: Service
  log: Logger
  /** The console's clock (sessions, history); tests pin it. */
  now?: () => number
}

/** What every console page handler sees: the signed-in session (set by the console's session middleware). */
export interface ConsoleEnv {
  Variables: { session: ConsoleSession }
}

export type ConsoleContext = Context<ConsoleEnv>

/** A fragment of escaped HTML (what `html` returns). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** The console's sections, in the order of the navigation bar. */
const SECTIONS = [
  { path: '/console/rules', label: 'Rules' },
  { path: '/console/draft', label: 'Draft' },
  { path: '/console/menus', label: 'Menus' },
  { path: '/console/hours', label: 'Hours' },
  { path: '/console/test', label: 'Test a call' },
  { path: '/console/calls', label: 'Calls' },
  { path: '/console/health', label: 'Health' },
] as const

/** The hidden field every console form carries; the console refuses a POST without it. */
export const csrfField = (c: ConsoleContext) => html`<input type="hidden" name="_csrf" value="${c.get('session').csrfToken}" />`

/** Whether the signed-in role may change things (the UI offers no edit to a viewer; the server refuses one too). */
export const canEdit = (c: ConsoleContext) => c.get('session').role === 'admin'

export interface PageOptions {
  title: string
  body: Html
  /** A line at the top: what the last action did, or why it did not. */
  notice?: { kind: 'ok' | 'error'; text: string }
  status?: 200 | 400 | 403 | 404 | 409
}

/** A whole console page: the navigation (with the role and sign-out) around `body`. */
export const consolePage = (c: ConsoleContext, { title, body, notice, status = 200 }: PageOptions) => {
  const session = c.get('session')
  const here = c.req.path
  const nav = SECTIONS.map(
    ({ path, label }) =>
      html`<a href="${path}"${here === path || here.startsWith(`${path}/`) ? raw(' aria-current="page"') : ''}>${label}</a>`,
  )
  return c.html(
    document(
      title,
      html`<header class="top">
          <a class="brand" href="/console">ivr-crm-router</a>
          <nav>${nav}</nav>
          <span class="role" title="signed in with the ${session.role} token">${session.role}</span>
          <form method="post" action="/console/sign-out" class="inline">${csrfField(c)}<button class="link">Sign out</button></form>
        </header>
        <main>
          <h1>${title}</h1>
          ${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}</p>` : ''}
          ${body}
        </main>`,
    ),
    status,
  )
}

/** The HTML document every console answer is: one stylesheet from the app itself, no script. */
export const document = (title: string, content: Html) =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · ivr-crm-router</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
      </head>
      <body>
        ${content}
      </body>
    </html>`

/** Refuses a change to a viewer: the UI offers none, and the server says no to a hand-made request. */
export const adminOnly: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.get('session').role !== 'admin') {
    return consolePage(c, {
      title: 'Not allowed',
      status: 403,
      notice: { kind: 'error', text: 'You are signed in as a viewer: you can look but not change anything.' },
      body: html``,
    })
  }
  await next()
}
