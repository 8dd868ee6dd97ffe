import type { Context } from 'hono'
import { validator } from 'hono-openapi'
import * as v from 'valibot'
import { errorResponse } from '../lib/app-error.ts'
import { describeIssues } from '../lib/issues.ts'

const refuse = (c: Context, message: string) => errorResponse(c, 'BAD_REQUEST', message)

/** A JSON body checked by its schema; a bad one is a 400 with `field: problem` lines, and nothing is changed. */
export const jsonBody = <S extends v.GenericSchema>(schema: S) =>
  validator('json', schema, (result, c) => {
    if (!result.success) return refuse(c, describeIssues(result.error as readonly v.BaseIssue<unknown>[], { whole: 'body' }))
  })

const IdParam = v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/, 'must be a number'), v.transform(Number)) })

/** A row id in the path. */
export const idParam = validator('param', IdParam, (result, c) => {
  if (!result.success) return refuse(c, 'id: must be a number')
})

/** Query fields checked by their schema. */
export const queryParams = <S extends v.GenericSchema>(schema: S) =>
  validator('query', schema, (result, c) => {
    if (!result.success) return refuse(c, describeIssues(result.error as never))
  })
