/**
 * A browser's part in a console test over HTTP: keeps the session cookie, reads each page's CSRF token and
 * posts forms as a browser does (urlencoded, with the page's Origin). For what only a real browser shows,
 * the Chromium tests in test/console/console-browser.test.ts drive the same pages.
 */
export interface ConsolePage {
  status: number
  html: string
  /** Where a redirect pointed (303 after a form), else the page's own path. */
  location?: string
}

export const ADMIN_TOKEN = 'console-admin-token-0123456789'
export const VIEWER_TOKEN = 'console-viewer-token-0123456789'

/** The environment that turns the console on with both roles. */
export const CONSOLE_ENV = { ADMIN_TOKEN, VIEWER_TOKEN }

/** `send` is how requests reach the app: fetch over HTTP by default, the Worker's own fetch in workerd tests. */
export const consoleClient = (baseUrl: string, send: (url: string, init: RequestInit) => Promise<Response> = fetch) => {
  const cookies = new Map<string, string>()
  const origin = new URL(baseUrl).origin
  let csrf = ''

  const keepCookies = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const [name = '', value = ''] = pair.split('=')
      if (/max-age=0/i.test(line) || value === '') cookies.delete(name)
      else cookies.set(name, value)
    }
  }
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const read = async (response: Response): Promise<ConsolePage> => {
    keepCookies(response)
    const html = await response.text()
    const token = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1]
    if (token) csrf = token
    return { status: response.status, html, location: response.headers.get('location') ?? undefined }
  }

  const client = {
    cookies,
    /** The CSRF token of the last page read (every form of the session carries the same one). */
    get csrf() {
      return csrf
    },
    async get(path: string): Promise<ConsolePage> {
      return read(await send(baseUrl + path, { headers: { cookie: cookieHeader() }, redirect: 'manual' }))
    },
    /** Posts a form; `_csrf` is the session's unless the fields give one (or `withoutCsrf`). */
    async post(path: string, fields: Record<string, string> = {}, { withoutCsrf = false } = {}): Promise<ConsolePage> {
      const body = new URLSearchParams(withoutCsrf || '_csrf' in fields ? fields : { _csrf: csrf, ...fields })
      return read(
        await send(baseUrl + path, {
          method: 'POST',
          headers: { cookie: cookieHeader(), origin, 'content-type': 'application/x-www-form-urlencoded' },
          body,
          redirect: 'manual',
        }),
      )
    },
    /** Signs in and opens the rules page (so a CSRF token is at hand); throws when the token is refused. */
    async signIn(token: string) {
      const answer = await client.post('/console/sign-in', { token }, { withoutCsrf: true })
      if (answer.status !== 303) throw new Error(`sign-in refused: ${answer.status}`)
      const page = await client.get('/console/rules')
      if (page.status !== 200) throw new Error(`the rules page answered ${page.status}`)
      return page
    },
  }
  return client
}

export type ConsoleClient = ReturnType<typeof consoleClient>

/** The text of a page without its tags (for assertions on what a person reads). */
export const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
