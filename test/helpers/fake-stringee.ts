import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import { readBody } from './read-body.ts'

/** One SMS as the fake received it (whether or not it was sent). */
export interface FakeStringeeSms {
  from: string
  to: string
  text: string
  /** Stringee's result code for it: 0 sent, else why not. */
  r: number
}

/**
 * A fake of Stringee's SMS REST API (POST /v1/sms) on 127.0.0.1. It checks X-STRINGEE-AUTH as Stringee
 * does: an HS256 JWT signed with the API key's secret, header cty `stringee-api;v=1`, issued by the key's
 * SID (iss) for the REST API (rest_api: true) and not expired; else 401. A good token gets Stringee's 200
 * with one result per message, whose `r` is 0 when it is sent and not 0 when it is refused (a brandname
 * not registered, a number that is not one): Stringee answers 200 for those too.
 *
 * Tests in workerd cannot read this process's memory, so what it received is also served at
 * `GET /fake/sms?to=<digits>`. A message to a number ending in 0000 is never answered (a send that times out).
 */
export interface FakeStringee {
  url: string
  keySid: string
  keySecret: string
  brandname: string
  received: FakeStringeeSms[]
  /** Requests refused with 401, and why. */
  refused: string[]
  close(): Promise<void>
}

export const FAKE_STRINGEE = { keySid: 'SK.0.fake-stringee-sid', keySecret: 'fake-stringee-api-key-secret', brandname: 'ACME' }

const SENT = { r: 0, msg: 'Success' }
const BAD_BRANDNAME = { r: 5, msg: 'BRANDNAME_NOT_FOUND' }
const BAD_NUMBER = { r: 4, msg: 'INVALID_PHONE_NUMBER' }

const fromBase64Url = (part: string) => Buffer.from(part, 'base64url').toString('utf8')

/** Why Stringee would refuse this token, or undefined when it takes it. */
const tokenProblem = (token: string | undefined, keySid: string, keySecret: string): string | undefined => {
  const parts = (token ?? '').split('.')
  if (parts.length !== 3) return 'not a JWT'
  const [header = '', payload = '', signature = ''] = parts
  const expected = createHmac('sha256', keySecret).update(`${header}.${payload}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature'
  const head = JSON.parse(fromBase64Url(header)) as Record<string, unknown>
  const claims = JSON.parse(fromBase64Url(payload)) as Record<string, unknown>
  if (head.alg !== 'HS256' || head.typ !== 'JWT') return 'not an HS256 JWT'
  if (head.cty !== 'stringee-api;v=1') return 'cty is not stringee-api;v=1'
  if (claims.iss !== keySid) return 'iss is not the API key SID'
  if (claims.rest_api !== true) return 'rest_api is not true'
  if (typeof claims.jti !== 'string' || !claims.jti) return 'no jti'
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return 'expired'
  return undefined
}

export const startFakeStringee = async (): Promise<FakeStringee> => {
  const held: ServerResponse[] = []
  const fake: FakeStringee = {
    url: '',
    ...FAKE_STRINGEE,
    received: [],
    refused: [],
    close: () =>
      new Promise((resolve) => {
        for (const response of held) response.destroy()
        server.close(() => resolve())
      }),
  }
  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const url = new URL(request.url ?? '/', 'http://fake')
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(payload))
    }
    if (request.method === 'GET' && url.pathname === '/fake/sms') {
      return send(
        200,
        fake.received.filter((sms) => sms.to === url.searchParams.get('to')),
      )
    }
    if (request.method !== 'POST' || url.pathname !== '/v1/sms') return send(404, { r: 404, message: 'Not found' })
    const header = request.headers['x-stringee-auth']
    const problem = tokenProblem(Array.isArray(header) ? header[0] : header, fake.keySid, fake.keySecret)
    if (problem) {
      fake.refused.push(problem)
      return send(401, { r: 401, message: 'Unauthorized' })
    }
    const messages = (JSON.parse(body || '{}') as { sms?: { from?: string; to?: string; text?: string }[] }).sms ?? []
    if (messages.some((sms) => sms.to?.endsWith('0000'))) {
      held.push(response)
      return
    }
    const result = messages.map((sms) => {
      const outcome = sms.from !== fake.brandname ? BAD_BRANDNAME : !/^\d{9,15}$/.test(sms.to ?? '') ? BAD_NUMBER : SENT
      fake.received.push({ from: sms.from ?? '', to: sms.to ?? '', text: sms.text ?? '', r: outcome.r })
      return outcome.r === 0 ? { price: 650, smsType: 2, ...outcome } : { price: 0, smsType: 0, ...outcome }
    })
    send(200, { smsSent: result.filter((item) => item.r === 0).length, result })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return fake
}
