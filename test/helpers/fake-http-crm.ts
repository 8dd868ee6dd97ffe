import { type FakeCrmServer, json, startFakeCrmServer } from './fake-crm-server.ts'
import { ACME_DESK_API_KEY, DANA_RECORD } from './http-crm-fixture.ts'

/**
 * Acme Desk on 127.0.0.1, an in-house CRM as the generic HTTP plugin meets them (there is no vendor reference
 * to follow: its shapes are the fixture's). Customers by phone or account number in one envelope, 401
 * without the key, 404 for an account asked by path, `{customer: null}` from the search, and call logs:
 * - `GET /api/v2/customers?phone=|account=` → `{data: {customers: [...]}}` (an empty list for nobody);
 * - `GET /api/v2/accounts/:number` → `{data: {customers: [customer]}}`, or 404;
 * - `POST /api/v2/customers/search` `{phone}` → `{data: {customers: customer | null}}`;
 * - `POST /api/v2/customers/:id/calls` → 201; `GET /api/v2/calls` lists what was logged.
 */
export interface FakeHttpCrm extends FakeCrmServer {
  apiKey: string
  calls: { customerId: string; body: unknown }[]
}

export const startFakeHttpCrm = async (customers: Record<string, unknown>[] = [DANA_RECORD]): Promise<FakeHttpCrm> => {
  const calls: FakeHttpCrm['calls'] = []
  const byPhone = (phone: string | undefined) =>
    customers.filter((customer) => (customer.phones as string[] | undefined)?.includes(phone ?? ''))
  const byAccount = (account: string | undefined) => customers.filter((customer) => customer.account_number === account)
  const unauthorized = (headers: Record<string, string>) => headers['x-api-key'] !== ACME_DESK_API_KEY
  const fake = await startFakeCrmServer({
    routes: {
      'GET /api/v2/customers': ({ query, headers }) => {
        if (unauthorized(headers)) return json({ error: 'invalid api key' }, 401)
        const found = query.phone !== undefined ? byPhone(query.phone) : byAccount(query.account)
        return json({ data: { customers: found }, meta: { count: found.length } })
      },
      'GET /api/v2/accounts/:number': ({ params, headers }) => {
        if (unauthorized(headers)) return json({ error: 'invalid api key' }, 401)
        const found = byAccount(params.number)
        return found.length ? json({ data: { customers: found } }) : json({ error: 'no such account' }, 404)
      },
      'POST /api/v2/customers/search': ({ json: body, headers }) => {
        if (unauthorized(headers)) return json({ error: 'invalid api key' }, 401)
        const phone = (body as { phone?: string } | undefined)?.phone
        if (!phone) return json({ error: 'phone is required' }, 422)
        return json({ data: { customers: byPhone(phone)[0] ?? null } })
      },
      'POST /api/v2/customers/:id/calls': ({ params, json: body, headers }) => {
        if (unauthorized(headers)) return json({ error: 'invalid api key' }, 401)
        if (!body || typeof body !== 'object') return json({ error: 'a JSON body is required' }, 400)
        calls.push({ customerId: params.id as string, body })
        return json({ id: calls.length }, 201)
      },
      'GET /api/v2/calls': ({ headers }) => (unauthorized(headers) ? json({ error: 'invalid api key' }, 401) : json({ data: calls })),
    },
  })
  return Object.assign(fake, { apiKey: ACME_DESK_API_KEY, calls })
}
