import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Every error code the service answers with, and its HTTP status. One union, so a client can switch on
 * `error.code` and a new code is a deliberate change here, not a string typed into a handler.
 */
export const ERROR_STATUS = {
  /** The request is malformed or names a field wrongly; nothing was changed. */
  BAD_REQUEST: 400,
  /** A missing or wrong admin bearer token. */
  UNAUTHORIZED: 401,
  /** The endpoint is switched off (ADMIN_TOKEN is not set). */
  DISABLED: 404,
  NOT_FOUND: 404,
  /** The change cannot be made in the state things are in (no draft open, live routing edited since); nothing changed. */
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** The feature needs settings that are not there (e.g. a provider's API credentials). */
  NOT_CONFIGURED: 503,
  /** A provider's or CRM's API failed while we acted on a request. */
  UPSTREAM_ERROR: 502,
  /** Another program holds the database's write lock (an SQLite tool with unsaved changes); nothing changed. */
  DATABASE_BUSY: 503,
  INTERNAL: 500,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof ERROR_STATUS

/** The one JSON shape of every HTTP error the service gives (webhooks excepted: providers get their own format). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string }
}

/** An error that knows how it is answered: thrown anywhere below a route, turned into ErrorBody by the app's onError. */
export class AppError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code]
  }
}

export const errorBody = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } })

/** Answers an error in the one shape, with the code's status. */
export const errorResponse = (c: Context, code: ErrorCode, message: string) => c.json(errorBody(code, message), ERROR_STATUS[code])
