import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { timingSafeEqual } from 'hono/utils/buffer'
import { errorResponse } from '../lib/app-error.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import { parseUntrustedJson, WEBHOOK_JSON_LIMITS } from '../lib/parse-untrusted-json.ts'
import type { ActiveProvider, Classified, ProviderAnswer, ProviderRequest } from '../providers/provider.ts'
import type { Service } from '../service.ts'
import type { Background } from './background.ts'

const MAX_WEBHOOK_BODY = 64 * 1024
/** Providers' webhook URLs are short; a longer one is an attack or a misconfiguration, answered without parsing. */
const MAX_WEBHOOK_URL = 16 * 1024

export interface WebhookOptions {
  /**
   * Answer only once the call's decision is committed, so a crash right after an answer loses no decision
   * (Node). On Workers the boundary is waitUntil: the runtime keeps the isolate until the write settles.
   */
  recordBeforeAnswer: boolean
  background: Background
  /** The request-target as received, where the runtime keeps it (the Node entry gives it; Workers cannot). */
  requestTarget?: (c: Context) => string | undefined
}

/**
 * One route for every provider: authenticate, read the request once, let the provider classify it, then
 * route, record and answer. Whatever fails, the provider gets an answer in its own format.
 */
export const webhookRoutes = (service: Service, { recordBeforeAnswer, background, requestTarget }: WebhookOptions) => {
  const { providers, router, log, config } = service

  const send = (answer: ProviderAnswer) =>
    new Response(answer.status === 204 ? null : answer.body, {
      status: answer.status,
      headers: { ...answer.headers, 'content-type': answer.contentType },
    })

  /** The provider's own failover answer with an HTTP status that says what went wrong. */
  const failover = async (provider: ActiveProvider, status: number) => {
    const answer = await provider.handler.render({ action: 'provider_default' }, { provider: provider.id })
    return new Response(answer.body, { status, headers: { 'content-type': answer.contentType } })
  }

  const classify = async (provider: ActiveProvider, request: ProviderRequest): Promise<Classified> => {
    try {
      return await provider.handler.classify(request)
    } catch (error) {
      // A bug in a provider's reading of a request still gets the call a fallback.
      log.error('request not classified', { provider: provider.id, error: errorMessage(error) })
      return { kind: 'invalid', reason: `request not classified: ${errorMessage(error)}`, partial: { provider: provider.id } }
    }
  }

  const answerWebhook = async (c: Context, provider: ActiveProvider) => {
    if (c.req.url.length > MAX_WEBHOOK_URL) {
      log.warn('webhook URL too long', { provider: provider.id, length: c.req.url.length })
      return failover(provider, 414)
    }
    if (config.WEBHOOK_SECRET) {
      const given = c.req.param('secret') ?? c.req.query('token') ?? c.req.header('x-webhook-secret')
      if (!given || !(await timingSafeEqual(given, config.WEBHOOK_SECRET))) {
        log.warn('webhook refused: missing or wrong secret', { provider: provider.id })
        return failover(provider, 401)
      }
    }
    const { handler } = provider
    const request = await readRequest(c, Boolean(handler.verify || handler.readsHeaders), log, requestTarget)
    if (!request) {
      log.warn('webhook body too large', { provider: provider.id, limit: MAX_WEBHOOK_BODY })
      return failover(provider, 413)
    }
    if (handler.verify && !(await handler.verify(request))) {
      log.warn('webhook refused: bad provider signature', { provider: provider.id })
      return failover(provider, 401)
    }
    const classified = await classify(provider, request)
    switch (classified.kind) {
      case 'question':
        return send(await classified.answer({ findCaller: (phone) => router.findCaller(phone, handler.lookupDeadlineMs) }))
      case 'status': {
        const recorded = router.recordStatus(provider.id, classified.status, request)
        if (recordBeforeAnswer) await recorded.catch(() => {})
        background.defer(c, recorded)
        // What the notice sets off (RingCentral's command waiting for a Play to end) goes once it is recorded.
        const { followUp } = classified.answer
        if (followUp) background.defer(c, recorded.catch(() => {}).then(followUp))
        return send(classified.answer)
      }
      default:
    }
    if (classified.acknowledge) {
      // The provider only wants an acknowledgement; what to do with the call goes out afterwards, and that
      // (the follow-up) is the answer the decision must be committed before.
      background.defer(
        c,
        router
          .route(provider, classified, request, (task) => background.defer(c, task))
          .then(async ({ answer, recorded, logged }) => {
            if (recordBeforeAnswer) await recorded
            await Promise.all([recorded, logged, answer.followUp?.()])
          }),
      )
      return send(classified.acknowledge)
    }
    const { answer, recorded, logged } = await router.route(provider, classified, request, (task) => background.defer(c, task))
    if (recordBeforeAnswer) await recorded
    background.defer(c, answer.followUp || logged ? Promise.all([recorded, logged, answer.followUp?.()]) : recorded)
    return send(answer)
  }

  const webhook = async (c: Context) => {
    const provider = providers.get(c.req.param('provider') ?? '')
    if (!provider) return errorResponse(c, 'NOT_FOUND', `no provider "${c.req.param('provider')}"`)
    try {
      return await answerWebhook(c, provider)
    } catch (error) {
      // Never a bare 500 to a provider: the caller still gets its failover.
      log.error('webhook failed', { provider: provider.id, error: errorMessage(error) })
      return failover(provider, 200)
    }
  }

  // Anything else under a provider's path (an empty secret segment, a doubled slash, extra segments) is still
  // that provider's endpoint: it gets the provider's answer (401 without the secret), never a bare 404.
  return new Hono().on(['GET', 'POST'], ['/:provider', '/:provider/:secret', '/:provider/*'], webhook)
}

/** Bodies without a declared length (chunked) are counted while they stream and refused past the limit. */
const streamedBodyLimit = bodyLimit({ maxSize: MAX_WEBHOOK_BODY, onError: (c) => c.body(null, 413) })

/**
 * Query fields plus a body parsed by its content type; an unparseable body stays text for the log.
 * Undefined when the body is over the limit. A declared length is checked from the header (Node's parser
 * never delivers more than it declares); only a body without one goes through Hono's bodyLimit, because
 * reading `c.req.raw.body` makes @hono/node-server build a full Request, which costs a third of the
 * throughput on the common path.
 */
const readRequest = async (
  c: Context,
  withHeaders: boolean,
  log: Logger,
  requestTarget?: (c: Context) => string | undefined,
): Promise<ProviderRequest | undefined> => {
  const query = c.req.query()
  const url = c.req.url
  // scheme://host[:port], without parsing the whole URL once more on every request.
  const pathStart = url.indexOf('/', url.indexOf('//') + 2)
  const origin = pathStart === -1 ? url : url.slice(0, pathStart)
  // Every header is only read for providers that sign requests: building them costs on each request.
  const base = {
    method: c.req.method,
    query,
    origin,
    url,
    // Only for providers that read headers (they sign requests): the raw target is what a signature covers.
    ...(withHeaders ? { headers: c.req.header(), target: requestTarget?.(c) } : {}),
  }
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return { ...base, body: undefined, rawBody: '' }
  const declared = c.req.header('content-length')
  if (declared === undefined || c.req.header('transfer-encoding') !== undefined) {
    if (await streamedBodyLimit(c, async () => {})) return undefined
  } else if (Number(declared) > MAX_WEBHOOK_BODY) return undefined
  const type = c.req.header('content-type') ?? ''
  const form = type.includes('application/x-www-form-urlencoded')
  // workerd warns on .text() of a body whose type is not text (a form): decoding the bytes says the same.
  const text = form ? new TextDecoder().decode(await c.req.arrayBuffer()) : await c.req.text()
  if (text.length > MAX_WEBHOOK_BODY) return undefined
  if (text.trim() === '') return { ...base, body: undefined, rawBody: text }
  if (form) return { ...base, body: Object.fromEntries(new URLSearchParams(text)), rawBody: text }
  const parsed = parseUntrustedJson(text)
  if (parsed.ok) return { ...base, body: parsed.value, rawBody: text }
  if (!parsed.reason.startsWith('not JSON')) log.warn('webhook body refused', { reason: parsed.reason })
  // Kept as text (cut, well-formed) for the provider to refuse and the decision log to show.
  return { ...base, body: text.slice(0, WEBHOOK_JSON_LIMITS.maxStringLength).toWellFormed(), rawBody: text }
}
