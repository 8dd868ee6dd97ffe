import * as v from 'valibot'
import { envName } from '../src/crm/plugin-chain.ts'
import {
  compileJson,
  compilePath,
  compileText,
  type JsonTemplate,
  type PathStep,
  SECRET_REFERENCE,
  type TextTemplate,
} from './http-template.ts'

/**
 * The generic HTTP plugin's settings: HTTP_CRM_* variables, or the same keys in one JSON object
 * (HTTP_CRM_CONFIG, which the Node entry fills from the file HTTP_CRM_CONFIG_FILE names; a single variable
 * wins over the object's key). Checked and compiled at start; every problem names the variable, or the key
 * in the object, down to the mapping entry (`HTTP_CRM_MAPPING.owner.extension: ...`).
 */
export const PREFIX = 'HTTP_CRM_'

/** What a URL template may name for each lookup. */
export const PHONE_PLACEHOLDERS = ['phone', 'phone_digits', 'phone_national', 'phone_local'] as const
export const PIN_PLACEHOLDERS = ['pin'] as const
/** What a call-log template may name: the entry's fields (contact.* and its owner.* included). */
const LOG_ROOTS = ['provider', 'callId', 'contact', 'direction', 'from', 'to', 'at', 'summary', 'durationMs', 'durationSeconds', 'status']

const OWNER_KEYS = ['id', 'name', 'email', 'extension', 'phone', 'layer'] as const
type OwnerKey = (typeof OWNER_KEYS)[number]

/** One or more paths; several are joined by a space (a first and a last name). */
export type ValueRule = PathStep[][]

export interface CompiledMapping {
  root?: PathStep[]
  id: ValueRule
  name: ValueRule
  company?: ValueRule
  segment?: ValueRule
  updatedAt?: ValueRule
  tags?: PathStep[]
  owner: Partial<Record<OwnerKey, ValueRule>>
  fields: [string, ValueRule][]
}

export interface LookupRequest {
  url: TextTemplate
  body?: JsonTemplate
}

export interface HttpCrmConfig {
  method: 'GET' | 'POST'
  phone?: LookupRequest
  pin?: LookupRequest
  /** Secrets already filled in: never log them. */
  headers: Record<string, string>
  mapping: CompiledMapping
  notFoundStatus: number[]
  log?: { url: TextTemplate; method: 'POST' | 'PUT' | 'PATCH'; body: JsonTemplate }
  timeoutMs: number
  logTimeoutMs: number
  rateLimit?: number
  cache: boolean
}

const PathText = v.pipe(
  v.string('must be a path such as data.person.name'),
  v.check((path) => compilePath(path) !== undefined, 'must be a path such as data.person.name or results[0].id'),
)
const Rule = v.union(
  [PathText, v.pipe(v.array(PathText), v.minLength(1, 'must name at least one path'))],
  'must be a path, or a list of paths',
)
const MappingSchema = v.strictObject({
  root: v.optional(PathText),
  id: v.optional(Rule),
  name: v.optional(Rule),
  company: v.optional(Rule),
  segment: v.optional(Rule),
  updatedAt: v.optional(Rule),
  tags: v.optional(PathText),
  owner: v.optional(
    v.strictObject(
      Object.fromEntries(OWNER_KEYS.map((key) => [key, v.optional(Rule)])) as Record<OwnerKey, v.OptionalSchema<typeof Rule, undefined>>,
    ),
  ),
  fields: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, 'field names are letters, digits, _ . -')), Rule)),
})

const Template = v.pipe(v.string('must be a URL template'), v.trim(), v.nonEmpty('is empty'))
const Settings = v.strictObject({
  phoneUrl: v.optional(Template),
  pinUrl: v.optional(Template),
  method: v.optional(v.picklist(['GET', 'POST'], 'must be GET or POST'), 'GET'),
  phoneBody: v.optional(v.unknown()),
  pinBody: v.optional(v.unknown()),
  headers: v.optional(v.record(v.string(), v.string('must be text')), {}),
  mapping: v.optional(MappingSchema, {}),
  notFoundStatus: v.optional(
    v.array(v.pipe(v.number('must be HTTP statuses'), v.integer(), v.minValue(400), v.maxValue(499, 'must be 4xx statuses'))),
    [404],
  ),
  logUrl: v.optional(Template),
  logMethod: v.optional(v.picklist(['POST', 'PUT', 'PATCH'], 'must be POST, PUT or PATCH'), 'POST'),
  logBody: v.optional(v.unknown()),
  timeoutMs: v.optional(v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(50)), 1000),
  logTimeoutMs: v.optional(v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(50)), 5000),
  rateLimit: v.optional(v.pipe(v.number('must be a number'), v.gtValue(0, 'must be more than 0'))),
  cache: v.optional(v.boolean('must be true or false'), true),
})
type SettingKey = keyof typeof Settings.entries
const SETTING_KEYS = Object.keys(Settings.entries) as SettingKey[]
/** Settings that are JSON inside a variable. */
const JSON_KEYS = new Set<SettingKey>(['phoneBody', 'pinBody', 'headers', 'mapping', 'logBody'])
const NUMBER_KEYS = new Set<SettingKey>(['timeoutMs', 'logTimeoutMs', 'rateLimit'])

/** The descriptions docs/configuration.md shows; values are checked by parseHttpCrmConfig. */
export const SETTING_DESCRIPTIONS: Record<SettingKey | 'config' | 'configFile', string> = {
  phoneUrl: `URL template of the lookup by phone: {phone} (E.164), {phone_digits} (E.164 without +), {phone_national} (national number), {phone_local} (as dialled at home, e.g. 0501234567); URL-encoded. Secrets as \${HTTP_CRM_...}.`,
  pinUrl: 'URL template of the lookup by PIN / account number: {pin}. Unset = no PIN lookups.',
  method: 'GET or POST for the lookups (default GET).',
  phoneBody: 'POST only: the JSON body of the phone lookup, with "{phone}" etc. (default {"phone": "{phone}"}).',
  pinBody: 'POST only: the JSON body of the PIN lookup (default {"pin": "{pin}"}).',
  headers: `JSON object of request headers; values may name secrets as \${HTTP_CRM_API_TOKEN} (taken from that variable).`,
  mapping:
    'JSON: where each contact field is in the answer (root, id, name, company, segment, tags, updatedAt, owner.{id,name,email,extension,phone,layer}, fields.{name}); see docs/crm-plugins.md.',
  notFoundStatus: 'Comma-separated HTTP statuses that mean "nobody" (default 404).',
  logUrl: 'URL template to log each call to ({callId}, {contact.id}, ...); unset = no call logging.',
  logMethod: 'POST, PUT or PATCH for call logging (default POST).',
  logBody:
    'JSON template of the call-log body ("{callId}", "{contact.id}", "{durationSeconds}", "{summary}", ...); a default one when unset.',
  timeoutMs: 'The longest one lookup may take, in ms (default 1000).',
  logTimeoutMs: 'The longest logging one call may take, in ms (default 5000).',
  rateLimit: 'Lookups per second the CRM allows; over it the plugin is skipped. Unset = no limit.',
  cache: 'false: never keep its answers in the lookup cache (default true).',
  config: 'All of the above in one JSON object (keys phoneUrl, mapping, ...); single variables win over its keys.',
  configFile:
    'Node only: a JSON file holding that object; the Node entry reads it into HTTP_CRM_CONFIG (on Workers, set HTTP_CRM_CONFIG instead).',
}

const DEFAULT_LOG_BODY = {
  callId: '{callId}',
  provider: '{provider}',
  direction: '{direction}',
  from: '{from}',
  to: '{to}',
  at: '{at}',
  durationSeconds: '{durationSeconds}',
  status: '{status}',
  summary: '{summary}',
  contactId: '{contact.id}',
  ownerId: '{contact.owner.id}',
}

export type ParsedConfig = { ok: true; config: HttpCrmConfig } | { ok: false; problems: string[] }

/** Checks and compiles the settings from their variables (`configFromEnv` keys: phoneUrl, mapping, ...). */
export const parseHttpCrmConfig = (variables: Record<string, unknown>): ParsedConfig => {
  const problems: string[] = []
  const text = (key: string) => (typeof variables[key] === 'string' ? (variables[key] as string) : undefined)
  const configFile = text('configFile')

  let fromFile: Record<string, unknown> = {}
  const objectText = text('config')
  const objectName = `${envName(PREFIX, 'config')}${configFile ? ` (from ${configFile})` : ''}`
  if (objectText !== undefined) {
    try {
      const parsed = JSON.parse(objectText) as unknown
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) problems.push(`${objectName}: must be a JSON object`)
      else fromFile = parsed as Record<string, unknown>
    } catch (error) {
      problems.push(`${objectName}: is not JSON (${(error as Error).message})`)
    }
  } else if (configFile !== undefined) {
    problems.push(
      `${envName(PREFIX, 'configFile')}: only the Node entry reads files (it puts the content in ${envName(PREFIX, 'config')}); on Workers set ${envName(PREFIX, 'config')} to the file's content`,
    )
  }
  for (const key of Object.keys(fromFile)) {
    if (!SETTING_KEYS.includes(key as SettingKey)) problems.push(`${envName(PREFIX, 'config')}.${key}: is not a setting of the http plugin`)
  }

  // Each key from its variable when set, else from the object; named after where it came from.
  const merged: Record<string, unknown> = {}
  const origin = new Map<string, string>()
  for (const key of SETTING_KEYS) {
    const variable = text(key)
    if (variable !== undefined) {
      origin.set(key, envName(PREFIX, key))
      merged[key] = fromVariable(key, variable, envName(PREFIX, key), problems)
    } else if (key in fromFile) {
      origin.set(key, `${envName(PREFIX, 'config')}.${key}`)
      merged[key] = key === 'method' || key === 'logMethod' ? String(fromFile[key]).toUpperCase() : fromFile[key]
    }
  }
  if (problems.length) return { ok: false, problems }

  const parsed = v.safeParse(Settings, merged)
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.issues.map((issue) => {
        const [first, ...rest] = (issue.path ?? []).map((item) => String(item.key))
        const name = first ? [origin.get(first) ?? envName(PREFIX, first), ...rest].join('.') : objectName
        const message = issue.kind === 'schema' && issue.received === 'undefined' ? 'is required' : issue.message
        return `${name}: ${message.startsWith('Invalid key: Expected never') ? 'is not a key here' : message}`
      }),
    }
  }
  const settings = parsed.output
  const nameOf = (key: string) => origin.get(key) ?? envName(PREFIX, key)

  // `${HTTP_CRM_API_TOKEN}` in URLs and headers: the plugin sees only its own variables, so only those.
  const referenced = new Set<string>()
  const withSecrets = (template: string, where: string, encode: (text: string) => string = (text) => text) =>
    template.replace(SECRET_REFERENCE, (whole, name: string) => {
      if (!name.startsWith(PREFIX)) {
        problems.push(`${where}: ${whole} must name an ${PREFIX}* variable (the plugin is given only those)`)
        return ''
      }
      const key = configKey(name)
      referenced.add(key)
      const value = text(key)
      if (value === undefined) problems.push(`${where}: ${whole} is not set`)
      return encode(value ?? '')
    })

  const compileUrl = (key: 'phoneUrl' | 'pinUrl' | 'logUrl', allowed: (name: string) => boolean): TextTemplate | undefined => {
    const template = settings[key]
    if (template === undefined) return undefined
    const compiled = compileText(withSecrets(template, nameOf(key), encodeURIComponent))
    for (const name of compiled.placeholders) if (!allowed(name)) problems.push(`${nameOf(key)}: {${name}} is not something it can name`)
    if (!/^https?:\/\/[^/]/i.test(compiled.render(() => 'x')) || !URL.canParse(compiled.render(() => 'x'))) {
      problems.push(`${nameOf(key)}: must be an http(s) URL`)
    }
    return compiled
  }
  const compileBody = (key: 'phoneBody' | 'pinBody' | 'logBody', fallback: unknown, allowed: (name: string) => boolean) => {
    const compiled = compileJson(settings[key] ?? fallback)
    for (const name of compiled.placeholders) if (!allowed(name)) problems.push(`${nameOf(key)}: {${name}} is not something it can name`)
    return compiled
  }
  const isPhone = (name: string) => (PHONE_PLACEHOLDERS as readonly string[]).includes(name)
  const isPin = (name: string) => name === 'pin'
  const isLogValue = (name: string) => LOG_ROOTS.includes(name.split(/[.[]/)[0] as string)

  if (settings.phoneUrl === undefined && settings.pinUrl === undefined) {
    problems.push(`${envName(PREFIX, 'phoneUrl')}: is required (or ${envName(PREFIX, 'pinUrl')}, for PIN lookups only)`)
  }
  const post = settings.method === 'POST'
  const phoneUrl = compileUrl('phoneUrl', isPhone)
  const pinUrl = compileUrl('pinUrl', isPin)
  const logUrl = compileUrl('logUrl', isLogValue)
  const config: HttpCrmConfig = {
    method: settings.method,
    phone: phoneUrl && { url: phoneUrl, body: post ? compileBody('phoneBody', { phone: '{phone}' }, isPhone) : undefined },
    pin: pinUrl && { url: pinUrl, body: post ? compileBody('pinBody', { pin: '{pin}' }, isPin) : undefined },
    headers: Object.fromEntries(
      Object.entries(settings.headers).map(([name, value]) => [name, withSecrets(value, `${nameOf('headers')}.${name}`)]),
    ),
    mapping: compileMapping(settings.mapping),
    notFoundStatus: settings.notFoundStatus,
    log: logUrl && { url: logUrl, method: settings.logMethod, body: compileBody('logBody', DEFAULT_LOG_BODY, isLogValue) },
    timeoutMs: settings.timeoutMs,
    logTimeoutMs: settings.logTimeoutMs,
    rateLimit: settings.rateLimit,
    cache: settings.cache,
  }
  // A misspelt variable would otherwise be ignored without a word.
  for (const key of Object.keys(variables)) {
    if (!SETTING_KEYS.includes(key as SettingKey) && key !== 'config' && key !== 'configFile' && !referenced.has(key)) {
      problems.push(
        `${envName(PREFIX, key)}: is not a setting of the http plugin, nor a secret named by a \${${envName(PREFIX, key)}} reference`,
      )
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, config }
}

/** `HTTP_CRM_API_TOKEN` → `apiToken`, as configFromEnv names it. */
const configKey = (name: string) =>
  name
    .slice(PREFIX.length)
    .toLowerCase()
    .replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase())

const fromVariable = (key: SettingKey, value: string, name: string, problems: string[]): unknown => {
  if (JSON_KEYS.has(key)) {
    try {
      return JSON.parse(value)
    } catch (error) {
      problems.push(`${name}: is not JSON (${(error as Error).message})`)
      return undefined
    }
  }
  if (NUMBER_KEYS.has(key)) return value.trim() === '' ? undefined : Number(value)
  if (key === 'cache') {
    const flag = value.trim().toLowerCase()
    return ['true', '1', 'yes'].includes(flag) ? true : ['false', '0', 'no'].includes(flag) ? false : value
  }
  if (key === 'notFoundStatus') {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map(Number)
  }
  if (key === 'method' || key === 'logMethod') return value.trim().toUpperCase()
  return value
}

const rule = (value: string | string[] | undefined): ValueRule | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map((path) => compilePath(path) as PathStep[])

const compileMapping = (mapping: v.InferOutput<typeof MappingSchema>): CompiledMapping => ({
  root: mapping.root === undefined ? undefined : compilePath(mapping.root),
  id: rule(mapping.id ?? 'id') as ValueRule,
  name: rule(mapping.name ?? 'name') as ValueRule,
  company: rule(mapping.company),
  segment: rule(mapping.segment),
  updatedAt: rule(mapping.updatedAt),
  tags: mapping.tags === undefined ? undefined : compilePath(mapping.tags),
  owner: Object.fromEntries(
    Object.entries(mapping.owner ?? {}).flatMap(([key, value]) => (value === undefined ? [] : [[key, rule(value) as ValueRule]])),
  ),
  fields: Object.entries(mapping.fields ?? {}).map(([name, value]) => [name, rule(value) as ValueRule]),
})

/**
 * For the Node entry: the file HTTP_CRM_CONFIG_FILE names, read into HTTP_CRM_CONFIG (unless that is set).
 * It takes the reader so this file stays free of Node's modules: plugins/ is bundled for Workers too.
 */
export const withHttpCrmConfigFile = (
  env: Record<string, string | undefined>,
  readText: (path: string) => string,
): Record<string, string | undefined> => {
  const path = env[envName(PREFIX, 'configFile')]
  if (!path || env[envName(PREFIX, 'config')]) return env
  let content: string
  try {
    content = readText(path)
  } catch (error) {
    throw new Error(
      `${envName(PREFIX, 'configFile')}: cannot read ${path} (${(error as NodeJSLikeError).code ?? (error as Error).message})`,
    )
  }
  return { ...env, [envName(PREFIX, 'config')]: content }
}

interface NodeJSLikeError {
  code?: string
}
