import { describeRoute, resolver } from 'hono-openapi'
import * as v from 'valibot'
import { ERROR_STATUS, type ErrorCode } from '../lib/app-error.ts'

/** Admin request bodies above this are refused before they are read (413). */
export const MAX_ADMIN_BODY = 256 * 1024

/** The one error shape of src/lib/app-error.ts, as the API description shows it. */
export const ErrorSchema = v.object({
  error: v.object({
    code: v.picklist(Object.keys(ERROR_STATUS) as ErrorCode[]),
    message: v.pipe(
      v.string(),
      v.description('What is wrong, naming the field, e.g. `dial: "ext101" must start with phone: or extension:`'),
    ),
  }),
})

const errorContent = { 'application/json': { schema: resolver(ErrorSchema) } }

/** Error answers a route can give besides 401, with what each means there. */
export interface ErrorAnswers {
  400?: string
  404?: string
  409?: string
  413?: string
  502?: string
  503?: string
}

export interface RouteDoc {
  tag: string
  /** Plain English, as a person would ask for it: "List rules", "Create a rule". */
  summary: string
  description?: string
  /** The JSON body the route reads. */
  body?: v.GenericSchema
  /** The answer when it works. */
  answer: { status: 200 | 201 | 202 | 204; description: string; schema?: v.GenericSchema }
  errors?: ErrorAnswers
}

/** The 413 every route with a body can answer: the body limit runs before anything reads the body. */
export const TOO_LARGE = `The body is over ${MAX_ADMIN_BODY / 1024} KiB; nothing changed`

/**
 * describeRoute with what every admin route shares: the bearer token, a 401 in the error shape, and error
 * answers in that shape. What the document says is what the route answers, statuses included.
 */
export const routeDocs = ({ tag, summary, description, body, answer, errors = {} }: RouteDoc) =>
  describeRoute({
    tags: [tag],
    summary,
    ...(description ? { description } : {}),
    security: [{ bearer: [] }],
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: resolver(body) } } } } : {}),
    responses: {
      [answer.status]: {
        description: answer.description,
        ...(answer.schema ? { content: { 'application/json': { schema: resolver(answer.schema) } } } : {}),
      },
      ...Object.fromEntries(Object.entries(errors).map(([status, meaning]) => [status, { description: meaning, content: errorContent }])),
      401: { description: 'Missing or wrong bearer token', content: errorContent },
    },
  })
