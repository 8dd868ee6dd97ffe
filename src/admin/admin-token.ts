import type { MiddlewareHandler } from 'hono'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { Config } from '../config.ts'
import { errorResponse } from '../lib/app-error.ts'

/**
 * Bearer ADMIN_TOKEN, compared in constant time; without a configured token the endpoint is off (404).
 * Guards /admin and /metrics.
 */
export const adminToken =
  (config: Pick<Config, 'ADMIN_TOKEN'>): MiddlewareHandler =>
  async (c, next) => {
    if (!config.ADMIN_TOKEN) return errorResponse(c, 'DISABLED', 'set ADMIN_TOKEN to use this endpoint')
    const given = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (!given || !(await timingSafeEqual(given, config.ADMIN_TOKEN))) {
      return errorResponse(c, 'UNAUTHORIZED', 'a valid bearer token is required')
    }
    await next()
  }
