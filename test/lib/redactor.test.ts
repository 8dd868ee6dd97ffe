import { describe, expect, it } from 'vitest'
import type { Logger } from '../../src/lib/logger.ts'
import { createRedactor, redactingLogger } from '../../src/lib/redactor.ts'

const env = {
  WEBHOOK_SECRET: 'wh-secret/with+chars&=1234',
  ADMIN_TOKEN: 'admin-token-0123456789',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-abcdef',
  VOICENTER_DEFAULT_COUNTRY: 'IL',
  SHORT_TOKEN: 'abc',
  PORT: '3000',
}

describe('createRedactor', () => {
  const redact = createRedactor(env)

  it('takes out every secret-named setting, plain and URL-encoded', () => {
    const url = `https://ivr.example.com/webhooks/routee/${encodeURIComponent(env.WEBHOOK_SECRET)}?state=x`
    expect(redact(url)).toBe('https://ivr.example.com/webhooks/routee/[redacted]?state=x')
    expect(redact(`token=${env.WEBHOOK_SECRET}`)).toBe('token=[redacted]')
    expect(redact(`Bearer ${env.HUBSPOT_ACCESS_TOKEN} and ${env.ADMIN_TOKEN}`)).toBe('Bearer [redacted] and [redacted]')
  })

  it('leaves settings that are not secrets, and secrets too short to be real, alone', () => {
    expect(redact('IL 3000 abc')).toBe('IL 3000 abc')
  })

  it('is the identity without secrets', () => {
    expect(createRedactor({ PORT: '1' })('anything')).toBe('anything')
  })
})

describe('redactingLogger', () => {
  it('redacts messages, string fields and nested fields', () => {
    const lines: unknown[] = []
    const sink: Logger = {
      debug: () => {},
      info: (message, fields) => lines.push({ message, fields }),
      warn: () => {},
      error: () => {},
    }
    const log = redactingLogger(sink, createRedactor(env))
    log.info(`calling with ${env.ADMIN_TOKEN}`, { url: `/x/${env.ADMIN_TOKEN}`, nested: { token: env.ADMIN_TOKEN }, n: 1 })
    expect(lines).toEqual([{ message: 'calling with [redacted]', fields: { url: '/x/[redacted]', nested: { token: '[redacted]' }, n: 1 } }])
  })
})
