import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServiceHarness, StartHarness } from '../helpers/harness.ts'
import { HOSTILE, wireProblems } from './wire-safety.ts'

export interface ContractRequest {
  name: string
  body: unknown
  contentType?: string
}

export interface ProviderContract {
  /** The provider id, as in /webhooks/<id>. */
  provider: string
  /** How answers are read before the checks: JSON (default) or text (XML, or nothing at all). */
  answerFormat?: 'json' | 'text'
  /** The status of an accepted request. @default 200 */
  okStatus?: number
  /** Real requests from the provider's docs; each must get a real (non-failover) answer. */
  requests: ContractRequest[]
  /**
   * Documented requests with the given text in every field the caller controls (numbers, names, ids, echoed
   * data): each must still get a valid answer that is safe on the wire, whether it is routed or refused.
   */
  hostileRequests(text: string): ContractRequest[]
  /** True when the body is a valid answer in the provider's format. */
  isValidAnswer(body: unknown): boolean
  /** True when the answer is the provider's own failover signal rather than a routing decision. */
  isProviderDefault(body: unknown): boolean
}

/**
 * What every provider adapter must do, whatever its format: answer every documented request, answer
 * every malformed one with a valid fallback, refuse unauthenticated calls in its own format, and log
 * one decision per request.
 */
export const testProviderContract = (contract: ProviderContract, start: StartHarness) => {
  describe(`${contract.provider}: provider contract`, () => {
    let server: ServiceHarness
    const path = `/webhooks/${contract.provider}`
    beforeAll(async () => {
      server = await start()
    })
    afterAll(() => server.close())

    const send = async (body: unknown, contentType = 'application/json', target = path) => {
      const response = await server.post(target, body, { 'content-type': contentType })
      const text = await response.text()
      return { status: response.status, text, json: (contract.answerFormat === 'text' ? text : JSON.parse(text)) as unknown }
    }

    it.each(contract.requests)('answers the documented request: $name', async ({ body, contentType }) => {
      const answer = await send(body, contentType)
      expect(answer.status).toBe(contract.okStatus ?? 200)
      expect(contract.isValidAnswer(answer.json), answer.text).toBe(true)
      expect(contract.isProviderDefault(answer.json), answer.text).toBe(false)
    })

    it.each(contract.hostileRequests(HOSTILE))(
      'answers the request with control characters and lone surrogates: $name',
      async ({ body, contentType }) => {
        const answer = await send(body, contentType)
        expect(answer.status).toBe(contract.okStatus ?? 200)
        expect(contract.isValidAnswer(answer.json), answer.text).toBe(true)
        expect(wireProblems(answer.text), answer.text).toEqual([])
      },
    )

    // Long enough to pass every cap, short enough for the 64 KiB body limit once JSON- or form-encoded.
    it.each(contract.hostileRequests(HOSTILE.repeat(100)))(
      'answers the request with thousands of characters in its fields: $name',
      async ({ body, contentType }) => {
        const answer = await send(body, contentType)
        expect(answer.status).toBe(contract.okStatus ?? 200)
        expect(contract.isValidAnswer(answer.json), answer.text).toBe(true)
        expect(wireProblems(answer.text), answer.text.slice(0, 2000)).toEqual([])
      },
    )

    it.each([
      ['malformed JSON', '{"METHOD": "IVR_LAYER_INPUT", "DATA": {'],
      ['an empty body', ''],
      ['a JSON array', [1, 2, 3]],
      ['a JSON string', '"hello"'],
      ['an object of the wrong shape', { hello: 'world' }],
      ['null', 'null'],
    ])('answers %s with a valid fallback', async (_, body) => {
      const answer = await send(body)
      expect(answer.status).toBe(contract.okStatus ?? 200)
      expect(contract.isValidAnswer(answer.json), answer.text).toBe(true)
    })

    it('logs one decision per request', async () => {
      await server.settle()
      const before = await server.countDecisions()
      for (const request of contract.requests) await send(request.body, request.contentType)
      await send('not json at all')
      await server.settle()
      expect((await server.countDecisions()) - before).toBe(contract.requests.length + 1)
    })
  })

  describe(`${contract.provider}: webhook secret`, () => {
    const secret = 'a-long-webhook-secret-0123456789'
    let server: ServiceHarness
    beforeAll(async () => {
      server = await start({ WEBHOOK_SECRET: secret })
    })
    afterAll(() => server.close())
    const request = () => contract.requests[0]?.body

    it.each([
      ['no secret', `/webhooks/${contract.provider}`, {}],
      ['a wrong secret in the path', `/webhooks/${contract.provider}/wrong-secret-wrong-secret`, {}],
      ['a wrong token', `/webhooks/${contract.provider}?token=nope`, {}],
      ['a secret that is only a prefix', `/webhooks/${contract.provider}/${secret.slice(0, -1)}`, {}],
    ])('refuses %s with 401 and a valid failover answer', async (_, target, headers) => {
      const response = await server.post(target, request(), headers)
      expect(response.status).toBe(401)
      const body = contract.answerFormat === 'text' ? await response.text() : await response.json()
      expect(contract.isValidAnswer(body)).toBe(true)
      expect(contract.isProviderDefault(body)).toBe(true)
    })

    it.each([
      ['in the path', `/webhooks/${contract.provider}/${secret}`, {}],
      ['as ?token=', `/webhooks/${contract.provider}?token=${secret}`, {}],
      ['in X-Webhook-Secret', `/webhooks/${contract.provider}`, { 'x-webhook-secret': secret }],
    ])('accepts the secret %s', async (_, target, headers) => {
      const response = await server.post(target, request(), headers)
      expect(response.status).toBe(contract.okStatus ?? 200)
      const body = contract.answerFormat === 'text' ? await response.text() : await response.json()
      expect(contract.isProviderDefault(body)).toBe(false)
    })
  })
}
