import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { csrf } from 'hono/csrf'
import { html } from 'hono/html'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { Config } from '../config.ts'
import { errorMessage } from '../lib/logger.ts'
import { callsPages } from './calls-pages.ts'
import { CONSOLE_CSS } from './console-css.ts'
import { type ConsoleContext, type ConsoleDeps, type ConsoleEnv, consolePage, document } from './console-layout.ts'
import { draftPages } from './draft-pages.ts'
import { healthPage } from './health-page.ts'
import { hoursPages } from './hours-pages.ts'
import { menusPages } from './menus-pages.ts'
import { rulesPages } from './rules-pages.ts'
import { type ConsoleRole, createSessionStore, tokenFingerprint } from './session-store.ts'
import { testCallPage } from './test-call-page.ts'

const COOKIE = 'ivr_console'
const PATH = '/console'

/**
 * /console: pages for the people who run the call centre, served by the same app on Node and Workers.
 * Sign-in with ADMIN_TOKEN (may edit) or VIEWER_TOKEN (looks only) opens a session kept in the database; its
 * cookie is HttpOnly, SameSite=Strict and Secure behind https. Every POST must carry the session's CSRF token
 * and come from this origin. Pages are HTML with one stylesheet and no script (CSP default-src 'self').
 */
export const createConsole = (deps: ConsoleDeps) => {
  const { db, service, log, now = Date.now } = deps
  const config: Config = service.config
  const sessions = createSessionStore({
    db,
    idleMs: config.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
    maxAgeMs: config.CONSOLE_SESSION_HOURS * 3_600_000,
    now,
  })
  const tokens: Record<ConsoleRole, string | undefined> = { admin: config.ADMIN_TOKEN, viewer: config.VIEWER_TOKEN }
  const fingerprints = new Map<ConsoleRole, Promise<string>>()
  const fingerprintOf = async (role: ConsoleRole) => {
    const token = tokens[role]
    if (!token) return undefined
    let fingerprint = fingerprints.get(role)
    if (!fingerprint) {
      fingerprint = tokenFingerprint(token)
      fingerprints.set(role, fingerprint)
    }
    return fingerprint
  }

  const app = new Hono<ConsoleEnv>()
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals (a form from another origin, a malformed body): said plainly, nothing changed.
      const text =
        error.status === 403
          ? 'This request came from another site and was refused. Nothing was changed.'
          : 'This request could not be read. Nothing was changed.'
      return c.html(
        document(
          'Refused',
          html`<main class="sign-in card"><h1>Refused</h1><p>${text}</p><p><a href="${PATH}/rules">Back to the console</a></p></main>`,
        ),
        error.status,
      )
    }
    log.error('console: unhandled error', { error: errorMessage(error), path: c.req.path })
    return c.html(
      document(
        'Error',
        html`<main class="sign-in card"><h1>Something went wrong</h1><p>The error is in the service's log. <a href="${PATH}/rules">Back to the console</a></p></main>`,
      ),
      500,
    )
  })
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-origin',
    }),
  )
  app.use('*', async (c, next) => {
    await next()
    // Pages show routing and callers: never kept by a shared cache or the back button of a signed-out browser.
    if (!c.req.path.startsWith(`${PATH}/assets/`)) c.header('cache-control', 'no-store')
  })
  // A form posted from another site is refused before anything else reads it (SameSite=Strict is the first line).
  app.use('*', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin }))

  app.get('/assets/console.css', (c) =>
    c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }),
  )

  if (!tokens.admin && !tokens.viewer) {
    // Nothing else is served: no sign-in form for a console nobody can sign in to.
    app.all('*', (c) =>
      c.html(
        document(
          'Console is off',
          html`<main class="sign-in card">
            <h1>The console is off</h1>
            <p>Set <code>ADMIN_TOKEN</code> (may edit) and, for supervisors, <code>VIEWER_TOKEN</code> (may look) in the
              environment (on Workers: <code>wrangler secret put ADMIN_TOKEN</code>), each at least 16 characters, and restart.
              Then sign in here with one of them.</p>
          </main>`,
        ),
        404,
      ),
    )
    return app
  }

  const secure = (c: Context) =>
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto') === 'https' ||
    (config.PUBLIC_URL?.startsWith('https:') ?? false)

  const signInPage = (c: Context, { error, next }: { error?: string; next?: string } = {}) =>
    c.html(
      document(
        'Sign in',
        html`<main class="sign-in">
          <form method="post" action="${PATH}/sign-in" class="card">
            <h1>Sign in to the console</h1>
            ${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
            <label>Token
              <input type="password" name="token" autocomplete="current-password" required autofocus />
              <span class="hint muted">ADMIN_TOKEN to edit routing${tokens.viewer ? ', VIEWER_TOKEN to look' : ''}.</span>
            </label>
            ${next ? html`<input type="hidden" name="next" value="${next}" />` : ''}
            <p><button>Sign in</button></p>
          </form>
        </main>`,
      ),
      error ? 401 : 200,
    )

  /** Only a console path is a place to go back to after sign-in (no open redirect). */
  const safeNext = (next: unknown) =>
    typeof next === 'string' && /^\/console(\/[\w\-./?=&%]*)?$/.test(next) && !next.includes('//') ? next : `${PATH}/rules`

  app.get('/sign-in', (c) => signInPage(c, { next: c.req.query('next') }))
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody()
    const given = typeof form.token === 'string' ? form.token.trim() : ''
    let role: ConsoleRole | undefined
    // Both compared every time, in constant time: which token matched is not told by the timing.
    const [admin, viewer] = await Promise.all([
      given && tokens.admin ? timingSafeEqual(given, tokens.admin) : false,
      given && tokens.viewer ? timingSafeEqual(given, tokens.viewer) : false,
    ])
    if (admin) role = 'admin'
    else if (viewer) role = 'viewer'
    if (!role) {
      log.warn('console: sign-in refused', { ip: c.req.header('x-forwarded-for') ?? undefined })
      return signInPage(c, { error: 'That token is not valid here.', next: typeof form.next === 'string' ? form.next : undefined })
    }
    const { id } = await sessions.open(role, (await fingerprintOf(role)) as string)
    setCookie(c, COOKIE, id, {
      path: PATH,
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      // The browser may drop it at the session's longest life; the server ends it sooner when idle.
      maxAge: config.CONSOLE_SESSION_HOURS * 3600,
    })
    log.info('console: signed in', { role })
    return c.redirect(safeNext(form.next), 303)
  })

  const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const session = await sessions.read(getCookie(c, COOKIE), fingerprintOf)
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const target = `${c.req.path}${new URL(c.req.url).search}`
        return c.redirect(`${PATH}/sign-in?next=${encodeURIComponent(target)}`, 303)
      }
      return c.html(
        document(
          'Signed out',
          html`<main class="sign-in card"><h1>Your session has ended</h1><p><a href="${PATH}/sign-in">Sign in again</a>; nothing was changed.</p></main>`,
        ),
        401,
      )
    }
    c.set('session', session)
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const body = await c.req.parseBody()
      const given = typeof body._csrf === 'string' ? body._csrf : (c.req.header('x-csrf-token') ?? '')
      if (!given || !(await timingSafeEqual(given, session.csrfToken))) {
        log.warn('console: form refused without its CSRF token', { path: c.req.path })
        return consolePage(c, {
          title: 'Refused',
          status: 403,
          notice: {
            kind: 'error',
            text: 'This form was refused: it did not carry this session’s security token. Nothing was changed; reload the page and try again.',
          },
          body: html``,
        })
      }
    }
    await next()
  }
  app.use('*', requireSession)

  app.post('/sign-out', async (c) => {
    await sessions.close(getCookie(c, COOKIE))
    deleteCookie(c, COOKIE, { path: PATH, secure: secure(c) })
    return c.redirect(`${PATH}/sign-in`, 303)
  })
  app.get('/', (c) => c.redirect(`${PATH}/rules`, 303))

  app.route('/', rulesPages(deps))
  app.route('/', draftPages(deps))
  // sections: each page module's routes, mounted at /console (one line each)
  app.route('/', callsPages(deps))
  app.route('/', menusPages(deps))
  app.route('/', hoursPages(deps))
  app.route('/', testCallPage(deps))
  app.route('/', healthPage(deps))

  app.notFound((c) =>
    'session' in (c.var as object) && c.get('session')
      ? consolePage(c as ConsoleContext, {
          title: 'Not found',
          status: 404,
          body: html`<p>No such page. <a href="${PATH}/rules">Rules</a></p>`,
        })
      : c.text('not found', 404),
  )
  return app
}
