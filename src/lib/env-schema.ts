import * as v from 'valibot'

/** Schemas for settings that arrive as environment-variable strings. */
export const envInteger = (fallback: number, min = 0) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min),
  )

export const envFlag = (fallback: boolean) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform((text) => text.trim().toLowerCase()),
    v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
    v.transform((text) => ['true', '1', 'yes'].includes(text)),
  )

export const envText = (fallback: string) => v.pipe(v.optional(v.string(), fallback), v.trim())

/** Comma-separated list. */
export const envList = (fallback: string) =>
  v.pipe(
    envText(fallback),
    v.transform((list) =>
      list
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  )

export const envCountry = (fallback: string) =>
  v.pipe(envText(fallback), v.toUpperCase(), v.regex(/^[A-Z]{2}$/, 'must be a two-letter country code'))

/** A setting with the sentence the configuration reference shows for it (docs/configuration.md is generated from these). */
export const setting = <Schema extends v.GenericSchema>(schema: Schema, description: string) => v.pipe(schema, v.description(description))

/** A secret setting: never logged (the redactor also takes every *SECRET/TOKEN/PASSWORD/KEY variable out of logs). */
export const envSecret = (minLength = 1, message = 'is empty') => v.optional(v.pipe(v.string(), v.trim(), v.minLength(minLength, message)))
