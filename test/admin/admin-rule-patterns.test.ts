import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

const TOKEN = 'admin-token-0123456789abcdef'

/** Patterns that would need a backtracking engine are refused when written, with the field named. */
describe('admin API: rule patterns', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_TOKEN: TOKEN } })
  })
  afterAll(() => server.close())

  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as { error?: { message: string }; id?: number } }
  }
  const count = (table: string) => (server.openSideConnection().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  const rule = { name: 'pattern', priority: 3, identify_by: 'none', action: 'go_to_layer', to_layer: 40 }

  it.each([
    [{ dtmf: '/(a)\\1/' }, 'dtmf: /(a)\\1/: the backreference \\1 is not supported'],
    [{ caller: '/^(?=05)\\d+$/' }, 'caller: /^(?=05)\\d+$/: the lookahead (?=…) is not supported'],
    [{ did: '/(?<!\\+)972/' }, 'did: /(?<!\\+)972/: the negative lookbehind (?<!…) is not supported'],
    [{ from_layer: '/(?<n>1)\\k<n>/' }, 'from_layer: /(?<n>1)\\k<n>/: the named backreference \\k<…> is not supported'],
    [{ dtmf: '/\\d{1,1000}/' }, 'dtmf: regular expression /\\d{1,1000}/ is too large'],
  ])('POST refuses %j with a 400 that names the field, and stores nothing', async (columns, message) => {
    const before = count('rules')
    const response = await call('POST', '/rules', { ...rule, ...columns })
    expect(response.status).toBe(400)
    expect(response.body.error?.message).toContain(message)
    expect(count('rules')).toBe(before)
  })

  it('PATCH refuses a backreference and the rule keeps its pattern', async () => {
    const created = await call('POST', '/rules', { ...rule, dtmf: '/^\\d{4}$/' })
    expect(created.status).toBe(201)
    const response = await call('PATCH', `/rules/${created.body.id}`, { dtmf: '/(a)\\1/' })
    expect(response.status).toBe(400)
    expect(response.body.error?.message).toContain('dtmf: /(a)\\1/: the backreference \\1 is not supported')
    const stored = server.openSideConnection().prepare('SELECT dtmf FROM rules WHERE id = ?').get(created.body.id) as { dtmf: string }
    expect(stored.dtmf).toBe('/^\\d{4}$/')
  })

  it('fallbacks are checked the same way', async () => {
    const response = await call('POST', '/fallbacks', { name: 'fb', did: '/(?<=0)72/', action: 'go_to_layer', to_layer: 20 })
    expect(response.status).toBe(400)
    expect(response.body.error?.message).toContain('did: /(?<=0)72/: the lookbehind (?<=…) is not supported')
  })

  it('accepts a pattern that is catastrophic only for a backtracking engine', async () => {
    expect((await call('POST', '/rules', { ...rule, dtmf: '/(\\d+)+x/' })).status).toBe(201)
  })
})
