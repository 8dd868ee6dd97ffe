import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readBody } from './read-body.ts'

/**
 * A fake Routee on 127.0.0.1: the OAuth token endpoint and POST /voice/conversation, with Routee's
 * 1 request/s limit, for the outbound-call client to be tested against.
 */
export interface FakeRoutee {
  url: string
  applicationId: string
  applicationSecret: string
  /** Tokens handed out; a test can remove them to force a 401 (a token Routee does not know). */
  tokens: Set<string>
  /**
   * Tokens Routee still knows but no longer takes (revoked credentials, an expired token): answered 403, the
   * other status Routee's docs say to fetch a new token on.
   */
  forbidden: Set<string>
  tokenRequests: number
  expiresIn: number
  conversations: { at: number; authorization?: string; body: Record<string, unknown> }[]
  close(): Promise<void>
}

export const startFakeRoutee = async (): Promise<FakeRoutee> => {
  let issued = 0
  const fake: FakeRoutee = {
    url: '',
    applicationId: 'app-id',
    applicationSecret: 'app-secret',
    tokens: new Set(),
    forbidden: new Set(),
    tokenRequests: 0,
    expiresIn: 3600,
    conversations: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request)
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(payload))
    }
    if (request.method === 'POST' && request.url === '/oauth/token') {
      fake.tokenRequests++
      const expected = `Basic ${Buffer.from(`${fake.applicationId}:${fake.applicationSecret}`).toString('base64')}`
      if (request.headers.authorization !== expected || body !== 'grant_type=client_credentials') {
        return send(401, { error: 'invalid_client' })
      }
      const token = `token-${++issued}`
      fake.tokens.add(token)
      return send(200, { access_token: token, token_type: 'Bearer', expires_in: fake.expiresIn, scope: 'voice' })
    }
    if (request.method === 'POST' && request.url === '/voice/conversation') {
      const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
      if (fake.forbidden.has(token)) return send(403, { code: '403', developerMessage: 'Access is denied' })
      if (!fake.tokens.has(token)) return send(401, { code: '401', developerMessage: 'Invalid token' })
      const previous = fake.conversations.at(-1)
      const now = Date.now()
      if (previous && now - previous.at < 990) return send(429, { code: '429', developerMessage: 'Too many requests' })
      const parsed = JSON.parse(body) as Record<string, unknown>
      fake.conversations.push({ at: now, authorization: request.headers.authorization, body: parsed })
      return send(200, {
        ...parsed,
        trackingId: `tracking-${fake.conversations.length}`,
        direction: 'Outbound',
        createdAt: new Date().toISOString(),
      })
    }
    send(404, { code: '404' })
  }
  const server = createServer((request, response) => void handle(request, response))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return fake
}
