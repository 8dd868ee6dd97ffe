import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, consoleClient, textOf, VIEWER_TOKEN } from './console-client.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const start = async (env: Record<string, string> = CONSOLE_ENV, now?: () => Date) => {
  server = await startTestServer({ env, ...(now ? { clock: now } : {}) })
  return server
}

describe('console sign-in and sessions', () => {
  it('without any token says how to turn it on and serves nothing else', async () => {
    const { url } = await start({})
    for (const path of ['/console', '/console/rules', '/console/sign-in']) {
      const answer = await fetch(url + path, { redirect: 'manual' })
      expect(answer.status).toBe(404)
      expect(textOf(await answer.text())).toContain('Set ADMIN_TOKEN')
    }
    const post = await fetch(`${url}/console/sign-in`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
    })
    expect(post.status).toBe(404)
    expect(post.headers.get('set-cookie')).toBeNull()
  })

  it('sends a signed-out visitor to sign in and back to the page asked for', async () => {
    const { url } = await start()
    const browser = consoleClient(url)
    const page = await browser.get('/console/rules/history')
    expect(page.status).toBe(303)
    expect(page.location).toBe('/console/sign-in?next=%2Fconsole%2Frules%2Fhistory')
    const signIn = await browser.get(page.location as string)
    expect(signIn.html).toContain('name="next" value="/console/rules/history"')
    const signedIn = await browser.post('/console/sign-in', { token: ADMIN_TOKEN, next: '/console/rules/history' }, { withoutCsrf: true })
    expect(signedIn.location).toBe('/console/rules/history')
    // An address elsewhere is never where sign-in sends anyone.
    const elsewhere = await consoleClient(url).post(
      '/console/sign-in',
      { token: ADMIN_TOKEN, next: 'https://evil.example/' },
      { withoutCsrf: true },
    )
    expect(elsewhere.location).toBe('/console/rules')
    const protocolRelative = await consoleClient(url).post(
      '/console/sign-in',
      { token: ADMIN_TOKEN, next: '/console//evil.example' },
      { withoutCsrf: true },
    )
    expect(protocolRelative.location).toBe('/console/rules')
  })

  it('refuses a wrong token and sets a strict, HttpOnly cookie for a right one', async () => {
    const { url } = await start()
    const refused = await consoleClient(url).post('/console/sign-in', { token: 'not-the-token-at-all' }, { withoutCsrf: true })
    expect(refused.status).toBe(401)
    expect(textOf(refused.html)).toContain('That token is not valid here.')
    const answer = await fetch(`${url}/console/sign-in`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: 'manual',
    })
    const cookie = answer.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^ivr_console=[0-9a-f]{64};/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/console')
    // Plain http on loopback: Secure would make the browser drop it; behind https it is set (next test).
    expect(cookie).not.toContain('Secure')
    const behindHttps = await fetch(`${url}/console/sign-in`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: 'manual',
    })
    expect(behindHttps.headers.get('set-cookie')).toContain('Secure')
  })

  it('keeps no usable secret in the database: the cookie id is stored hashed', async () => {
    const { url } = await start()
    const browser = consoleClient(url)
    await browser.signIn(ADMIN_TOKEN)
    const id = browser.cookies.get('ivr_console') as string
    const rows = (server as TestServer).openSideConnection().prepare('SELECT * FROM console_sessions').all() as Record<string, unknown>[]
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(id)
    expect(JSON.stringify(rows)).not.toContain(ADMIN_TOKEN)
  })

  it('refuses a form without the session’s CSRF token, or from another origin, and changes nothing', async () => {
    const { url } = await start()
    const browser = consoleClient(url)
    await browser.signIn(ADMIN_TOKEN)
    const side = (server as TestServer).openSideConnection()
    const before = side.prepare('SELECT id, enabled FROM rules ORDER BY id').all()
    const noToken = await browser.post('/console/rules/2/toggle', {}, { withoutCsrf: true })
    expect(noToken.status).toBe(403)
    expect(textOf(noToken.html)).toContain('did not carry this session’s security token')
    const wrongToken = await browser.post('/console/rules/2/toggle', { _csrf: 'f'.repeat(64) })
    expect(wrongToken.status).toBe(403)
    const crossSite = await fetch(`${url}/console/rules/2/toggle`, {
      method: 'POST',
      headers: {
        cookie: `ivr_console=${browser.cookies.get('ivr_console')}`,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: browser.csrf }),
      redirect: 'manual',
    })
    expect(crossSite.status).toBe(403)
    expect(side.prepare('SELECT id, enabled FROM rules ORDER BY id').all()).toEqual(before)
  })

  it('signs out: the session is gone from the database and the cookie no longer opens pages', async () => {
    const { url } = await start()
    const browser = consoleClient(url)
    await browser.signIn(ADMIN_TOKEN)
    const id = browser.cookies.get('ivr_console') as string
    const out = await browser.post('/console/sign-out')
    expect(out.location).toBe('/console/sign-in')
    const reused = await fetch(`${url}/console/rules`, { headers: { cookie: `ivr_console=${id}` }, redirect: 'manual' })
    expect(reused.status).toBe(303)
    expect((server as TestServer).openSideConnection().prepare('SELECT count(*) AS n FROM console_sessions').get()).toEqual({ n: 0 })
  })

  it('ends a session left idle longer than CONSOLE_SESSION_IDLE_MINUTES, and any after CONSOLE_SESSION_HOURS', async () => {
    let now = new Date('2026-11-23T08:00:00Z')
    const { url } = await start({ ...CONSOLE_ENV, CONSOLE_SESSION_IDLE_MINUTES: '30', CONSOLE_SESSION_HOURS: '2' }, () => now)
    const idle = consoleClient(url)
    await idle.signIn(VIEWER_TOKEN)
    const busy = consoleClient(url)
    await busy.signIn(VIEWER_TOKEN)
    // The busy one opens a page every 20 minutes; the idle one comes back after 31.
    for (let minutes = 20; minutes <= 100; minutes += 20) {
      now = new Date(Date.parse('2026-11-23T08:00:00Z') + minutes * 60_000)
      expect((await busy.get('/console/rules')).status).toBe(200)
    }
    now = new Date(Date.parse('2026-11-23T08:00:00Z') + 31 * 60_000)
    expect((await idle.get('/console/rules')).status).toBe(303)
    now = new Date(Date.parse('2026-11-23T08:00:00Z') + 121 * 60_000)
    expect((await busy.get('/console/rules')).status).toBe(303)
  })

  it('ends the sessions of a token that is changed', async () => {
    server = await startTestServer({ env: CONSOLE_ENV })
    const browser = consoleClient(server.url)
    await browser.signIn(ADMIN_TOKEN)
    const cookie = browser.cookies.get('ivr_console') as string
    const databasePath = server.databasePath
    await server.close()
    server = undefined
    // The same database under a new ADMIN_TOKEN: the old sign-in opens nothing.
    const { startNodeServer } = await import('../../src/runtime/node.ts')
    const restarted = await startNodeServer({
      env: { DATABASE_PATH: databasePath, ADMIN_TOKEN: 'a-brand-new-admin-token-42', RULES_REFRESH_MS: '0' },
      port: 0,
      host: '127.0.0.1',
    })
    try {
      const answer = await fetch(`${restarted.url}/console/rules`, { headers: { cookie: `ivr_console=${cookie}` }, redirect: 'manual' })
      expect(answer.status).toBe(303)
    } finally {
      await restarted.close()
    }
  })

  it('serves pages with a CSP of the app alone, no script, no caching', async () => {
    const { url } = await start()
    const browser = consoleClient(url)
    await browser.signIn(ADMIN_TOKEN)
    const answer = await fetch(`${url}/console/rules`, { headers: { cookie: `ivr_console=${browser.cookies.get('ivr_console')}` } })
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await answer.text()
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    const css = await fetch(`${url}/console/assets/console.css`)
    expect(css.headers.get('content-type')).toContain('text/css')
  })
})
