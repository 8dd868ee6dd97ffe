import { createHmac } from 'node:crypto'
import { sign, verify } from 'hono/utils/jwt/jwt'
import { describe, expect, it } from 'vitest'
import { createCallStateTokens, type HmacSha256, webCryptoHmac } from '../../src/providers/call-state-token.ts'

const SECRET = 'state-secret-0123456789abcdef'
const NOW = Date.UTC(2026, 10, 30, 12)
const state = { s: '5', a: 2, f: '0501234567', t: '0722776772', c: 'call-1' }
const nodeHmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest('base64url')

describe.each([
  ['WebCrypto', webCryptoHmac()],
  ["node:crypto (the Node entry's)", nodeHmac],
])('signed call state, HMAC by %s', (_name, hmac) => {
  const tokens = createCallStateTokens(SECRET, 3600, () => NOW, hmac)

  it('reads back what it signed, and signs what hono reads: a standard HS256 JWT', async () => {
    const token = await tokens.sign(state)
    expect(await tokens.read(token)).toEqual({ ...state, exp: NOW / 1000 + 3600 })
    expect(token).not.toContain('=')
    expect(await verify(token, SECRET, { alg: 'HS256', exp: false })).toMatchObject(state)
    // A state signed before this module signed its own (by hono, with the same secret) still reads.
    expect(await tokens.read(await sign({ ...state, exp: NOW / 1000 + 60 }, SECRET, 'HS256'))).toMatchObject(state)
  })

  it('refuses a forged, tampered, expired, unsigned or malformed state', async () => {
    const token = await tokens.sign(state)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const forged = await createCallStateTokens('another-secret-0123456789', 3600, () => NOW, hmac).sign(state)
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...state, a: 1, exp: NOW / 1000 + 3600 })).toString('base64url')}.${signature}`
    const expired = await createCallStateTokens(SECRET, 3600, () => NOW - 2 * 3_600_000, hmac).sign(state)
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
    for (const bad of [forged, tampered, expired, none, `${token}.x`, 'not a token', '', `${header}.${payload}`]) {
      expect(await tokens.read(bad), bad).toBeUndefined()
    }
  })
})
