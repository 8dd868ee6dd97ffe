/**
 * "Acme Desk", the in-house CRM the generic HTTP plugin is tested against (test/helpers/fake-http-crm.ts):
 * its one customer, its API key, and the HTTP_CRM_* settings that map its answers. Web APIs only, so the
 * workerd tests use it too.
 */
/** `${NAME}` in a setting: the plugin puts that variable's value there. */
export const secretReference = (name: string) => `\${${name}}`

export const ACME_DESK_API_KEY = 'acme-desk-key-0123456789'

export const DANA_PHONE = '+972501234567'
export const DANA_PIN = '12345678'

/** As Acme Desk answers: nested person and company, a list of labels, the account manager inside. */
export const DANA_RECORD = {
  id: 7,
  person: { first_name: 'Dana', last_name: 'Levi' },
  company: { name: 'Levi Ltd' },
  tier: 'VIP',
  labels: ['vip', 'enterprise'],
  account_manager: { id: 'u-42', name: 'John Doe', email: 'john@example.com', ext: '101', mobile: '+972541000101', queue: '22' },
  balance: 120.5,
  emails: ['dana@levi.example', 'accounts@levi.example'],
  tickets: [{ id: 'T-222', subject: 'Invoice' }],
  phones: [DANA_PHONE],
  account_number: DANA_PIN,
  updated_at: '2026-01-01T00:00:00Z',
}

export const ACME_DESK_MAPPING = {
  root: 'data.customers',
  id: 'id',
  name: ['person.first_name', 'person.last_name'],
  company: 'company.name',
  segment: 'tier',
  tags: 'labels',
  updatedAt: 'updated_at',
  owner: {
    id: 'account_manager.id',
    name: 'account_manager.name',
    email: 'account_manager.email',
    extension: 'account_manager.ext',
    phone: 'account_manager.mobile',
    layer: 'account_manager.queue',
  },
  fields: { balance: 'balance', email: 'emails', lastTicket: 'tickets[0].id' },
}

/** The settings for Acme Desk at `url`: lookups by phone and PIN, calls logged, the key from its own variable. */
export const acmeDeskEnv = (url: string): Record<string, string> => ({
  HTTP_CRM_PHONE_URL: `${url}/api/v2/customers?phone={phone}`,
  HTTP_CRM_PIN_URL: `${url}/api/v2/customers?account={pin}`,
  HTTP_CRM_HEADERS: JSON.stringify({ 'x-api-key': secretReference('HTTP_CRM_API_KEY') }),
  HTTP_CRM_API_KEY: ACME_DESK_API_KEY,
  HTTP_CRM_MAPPING: JSON.stringify(ACME_DESK_MAPPING),
  HTTP_CRM_LOG_URL: `${url}/api/v2/customers/{contact.id}/calls`,
  HTTP_CRM_LOG_BODY: JSON.stringify({
    call_id: '{callId}',
    direction: '{direction}',
    caller: '{from}',
    started_at: '{at}',
    duration_seconds: '{durationSeconds}',
    outcome: '{status}',
    note: 'IVR ({provider}): {summary}',
    agent_id: '{contact.owner.id}',
  }),
})
