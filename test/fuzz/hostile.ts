import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import type { Provider } from './answer-checks.ts'

/** A real provider request (test/fixtures/<provider>/, copied from the shared corpus) that the fuzz starts from. */
export interface Seed {
  provider: Provider
  name: string
  method: 'GET' | 'POST'
  contentType: string
  query: Record<string, string>
  /** A JSON value, or the raw text of a form body. */
  body: unknown
  kind: 'route-step' | 'status' | 'other'
  /** Posted to the eventUrl this service handed out (a state token in the query), as the provider would. */
  stateFrom?: 'routee' | 'stringee'
}

export interface FuzzCase {
  provider: Provider
  seed: string
  /** What was done to the seed: the failure classes are told apart by these. */
  tags: string[]
  method: 'GET' | 'POST'
  /** Path and query, percent-encoded as sent. */
  path: string
  contentType?: string
  body?: string
  chunked?: boolean
  /** Append the state token of this provider's last handed-out eventUrl to the query. */
  stateFrom?: 'routee' | 'stringee'
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

interface CorpusFile {
  method: 'GET' | 'POST'
  contentType: string
  query: Record<string, string>
  body: unknown
  kind: Seed['kind']
}

/** Every corpus-shaped request file of a provider (the Voicenter answer examples are left out). */
export const loadSeeds = (provider: Provider): Seed[] =>
  readdirSync(`${FIXTURES}${provider}`)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({
      file,
      data: JSON.parse(readFileSync(`${FIXTURES}${provider}/${file}`, 'utf8')) as Partial<CorpusFile> & { source?: string },
    }))
    .filter(({ data }) => typeof data.source === 'string' && (data.method === 'GET' || data.method === 'POST'))
    .map(({ file, data }) => {
      const name = file.replace(/\.json$/, '')
      const stateFrom =
        provider === 'routee' && /collect/.test(name)
          ? 'routee'
          : provider === 'stringee' && /input-event/.test(name)
            ? 'stringee'
            : undefined
      // VoipNow's script URL carries our static step parameter (`?layer=1`): without it no rule applies.
      const query = provider === 'voipnow' ? { layer: '1', ...data.query } : (data.query ?? {})
      return {
        provider,
        name,
        method: data.method as 'GET' | 'POST',
        contentType: data.contentType ?? '',
        query,
        body: data.body ?? null,
        kind: data.kind ?? 'route-step',
        ...(stateFrom ? { stateFrom } : {}),
      }
    })

/** Dana Levi, a demo contact with an owner: known callers take the dial / screen-pop paths of each adapter. */
const KNOWN_CALLER = '+972501234567'
const CALLER_FIELDS = new Set(['from', 'CallerIDNum', 'CALLER_ID'])

const withKnownCaller = (value: unknown, key = ''): unknown => {
  if (typeof value === 'string') return CALLER_FIELDS.has(key) || key === 'phoneNumber' ? KNOWN_CALLER : value
  if (Array.isArray(value)) return value.map((item) => withKnownCaller(item))
  if (!value || typeof value !== 'object') return value
  // RingCentral: only the caller's number (inParty.from), not the number called.
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [
      name,
      name === 'to' && typeof item === 'object'
        ? item
        : name === 'from' && typeof item === 'object'
          ? withKnownCaller(item, 'phoneNumber')
          : withKnownCaller(item, name),
    ]),
  )
}

/**
 * The documented route steps again, from a caller the demo directory knows (the fixtures' callers are
 * mostly strangers, whose calls end in a prompt and never reach the dial and screen-pop answers).
 */
export const knownCallerSeeds = (seeds: Seed[]): Seed[] =>
  seeds
    .filter((seed) => seed.kind === 'route-step' && !seed.stateFrom)
    .flatMap((seed) => {
      const body =
        typeof seed.body === 'string'
          ? new URLSearchParams(
              [...new URLSearchParams(seed.body)].map(([key, value]) => [key, CALLER_FIELDS.has(key) ? KNOWN_CALLER : value]),
            ).toString()
          : withKnownCaller(seed.body)
      const query = withKnownCaller(seed.query) as Record<string, string>
      const changed = JSON.stringify([body, query]) !== JSON.stringify([seed.body, seed.query])
      return changed ? [{ ...seed, name: `${seed.name}+known-caller`, body, query }] : []
    })

// ---------------------------------------------------------------------------------------------------------
// Hostile values. Each comes with the tag that names it in the report.

interface Tagged<T> {
  value: T
  tag: string
}
const tagged = <T>(tag: string, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<Tagged<T>> => arbitrary.map((value) => ({ value, tag }))

/** Put in place of a value; replaced by deeply nested JSON text after serialisation (JSON.stringify would recurse). */
const DEEP = /"@@DEEP:(array|object|string):(\d+)@@"/g
export const deepJson = (shape: string, depth: number) =>
  shape === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : shape === 'object'
      ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
      : `${'['.repeat(depth)}"+15551234567"${']'.repeat(depth)}`
const expandDeep = (text: string) => text.replace(DEEP, (_, shape: string, depth: string) => deepJson(shape, Number(depth)))

const CONTROL = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\u000b',
  '\f',
  '\r',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffe',
  '\uffff',
]
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff']

const hostileString = (original: string): fc.Arbitrary<Tagged<string>> =>
  fc.oneof(
    tagged(
      'lone-surrogate',
      fc.tuple(fc.constantFrom(...LONE), fc.nat(original.length)).map(([lone, at]) => original.slice(0, at) + lone + original.slice(at)),
    ),
    tagged(
      'control-chars',
      fc
        .tuple(fc.array(fc.constantFrom(...CONTROL), { minLength: 1, maxLength: 6 }), fc.nat(original.length))
        .map(([chars, at]) => original.slice(0, at) + chars.join('') + original.slice(at)),
    ),
    tagged(
      'huge-string',
      fc
        .tuple(fc.constantFrom(20_000, 60_000, 70_000), fc.constantFrom('9', 'a', '<&"\'>', '\u0001', '\ud83d\ude00', '\u05d0', '\ud800'))
        .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length))),
    ),
    tagged(
      'markup',
      fc.constantFrom(
        ']]>',
        '<Response>',
        '</Response><Hangup/>',
        '"/><Hangup/><x a="',
        '&amp;',
        '&#1;',
        '<?xml version="1.0"?>',
        '<!DOCTYPE x [<!ENTITY e "e">]>&e;',
      ),
    ),
    tagged(
      'odd-text',
      fc.constantFrom(
        '',
        ' ',
        '0',
        '-1',
        '1e309',
        'NaN',
        'null',
        'undefined',
        'true',
        '{{name}}',
        '{{owner.phone}}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a value that looks like a template placeholder, on purpose
        '${1}',
        '%s%n',
        '\\',
        '../../etc/passwd',
        '?a=b#c',
        '/',
        '*',
        'x'.repeat(300),
      ),
    ),
    tagged('percent-escapes', fc.constantFrom('%', '%G1', '%ED%A0%80', '%C0%80', '%FF', '%00', '%25%')),
    tagged('random-unicode', fc.string({ unit: 'binary', maxLength: 40 })),
  )

const hostileKey = fc.oneof(
  tagged('proto-key', fc.constantFrom('__proto__', 'constructor', 'prototype')),
  tagged(
    'odd-key',
    fc.constantFrom('toString', 'hasOwnProperty', 'valueOf', '', '\ud800', '\u0000', 'k'.repeat(1000), 'DATA', 'METHOD', 'state'),
  ),
)

const hostileValue = (original: unknown): fc.Arbitrary<Tagged<unknown>> => {
  const text = typeof original === 'string' ? original : typeof original === 'number' ? String(original) : 'x'
  return fc.oneof(
    { weight: 5, arbitrary: hostileString(text) as fc.Arbitrary<Tagged<unknown>> },
    {
      weight: 1,
      arbitrary: tagged('wrong-type:number', fc.oneof(fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 5e-324), fc.integer())),
    },
    { weight: 1, arbitrary: tagged('wrong-type:literal', fc.constantFrom<unknown>(true, false, null)) },
    {
      weight: 1,
      arbitrary: tagged(
        'wrong-type:array',
        fc.oneof(fc.constant<unknown[]>([]), fc.constant([original]), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 })),
      ),
    },
    {
      weight: 1,
      arbitrary: tagged(
        'wrong-type:object',
        fc.oneof(
          fc.constant<unknown>({}),
          fc.constant<unknown>({ value: original }),
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: tagged(
        'deep-nesting',
        fc
          .tuple(fc.constantFrom('array', 'object', 'string'), fc.constantFrom(1_000, 5_000, 6_000, 10_000))
          .map(([shape, depth]) => `@@DEEP:${shape}:${depth}@@` as unknown),
      ),
    },
  )
}

// ---------------------------------------------------------------------------------------------------------
// JSON bodies: a few mutations at random places in the seed.

type Json = unknown
type PathStep = string | number

const paths = (value: Json, at: PathStep[] = []): PathStep[][] => {
  const here = [at]
  if (Array.isArray(value)) return here.concat(...value.map((item, index) => paths(item, [...at, index])))
  if (value && typeof value === 'object') return here.concat(...Object.entries(value).map(([key, item]) => paths(item, [...at, key])))
  return here
}
const get = (root: Json, path: PathStep[]): Json => path.reduce<Json>((node, step) => (node as Record<PathStep, Json>)?.[step], root)
/** Own, enumerable: `__proto__` must end up as a key in the JSON, not as the object's prototype. */
const define = (target: object, key: PathStep, value: Json) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
const set = (root: Json, path: PathStep[], value: Json): Json => {
  if (path.length === 0) return value
  const parent = get(root, path.slice(0, -1))
  if (parent && typeof parent === 'object') define(parent, path.at(-1) as PathStep, value)
  return root
}

type Mutation =
  | { op: 'replace'; at: number; value: Tagged<unknown> }
  | { op: 'add-key'; at: number; key: Tagged<string>; value: Tagged<unknown> }
  | { op: 'delete'; at: number }
  | { op: 'as-json-string'; at: number }

const mutation = (seedBody: Json): fc.Arbitrary<Mutation> => {
  // Most values are picked from the seed's own, so replacements keep some of the original text.
  const samples = paths(seedBody).map((path) => get(seedBody, path))
  const around = fc.constantFrom(...(samples.length > 0 ? samples : [null]))
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: around.chain(hostileValue) }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('add-key' as const), at: fc.nat(), key: hostileKey, value: around.chain(hostileValue) }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('as-json-string' as const), at: fc.nat() }) },
  )
}

/** Hostile values may hold parts of the seed itself: each use gets its own copy, or later edits would change the seed. */
const fresh = (value: unknown): unknown => (value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value)

const applyMutations = (seedBody: Json, mutations: Mutation[]): { body: Json; tags: string[] } => {
  let body = JSON.parse(JSON.stringify(seedBody ?? null)) as Json
  const tags: string[] = []
  for (const change of mutations) {
    const all = paths(body)
    const path = all[change.at % all.length] as PathStep[]
    const node = get(body, path)
    switch (change.op) {
      case 'replace':
        body = set(body, path, fresh(change.value.value))
        tags.push(change.value.tag)
        break
      case 'add-key':
        if (node && typeof node === 'object' && !Array.isArray(node)) define(node, change.key.value, fresh(change.value.value))
        else body = set(body, path, define({}, change.key.value, fresh(change.value.value)))
        tags.push(change.key.tag, change.value.tag)
        break
      case 'delete':
        if (path.length > 0) {
          const parent = get(body, path.slice(0, -1)) as Record<PathStep, Json>
          if (Array.isArray(parent)) parent.splice(path.at(-1) as number, 1)
          else delete parent[path.at(-1) as PathStep]
        } else body = null
        tags.push('missing-field')
        break
      case 'as-json-string':
        body = set(body, path, JSON.stringify(node ?? null))
        tags.push('json-in-string')
        break
    }
  }
  return { body, tags }
}

/** One string field changed, the structure kept: reaches the code behind validation, where the bugs were. */
const stringLeafMutation = (seedBody: Json): fc.Arbitrary<{ body: Json; tags: string[] }> | undefined => {
  const leaves = paths(seedBody).filter((path) => typeof get(seedBody, path) === 'string')
  if (leaves.length === 0) return undefined
  return fc
    .constantFrom(...leaves)
    .chain((path) => hostileString(get(seedBody, path) as string).map((value) => ({ path, value })))
    .map(({ path, value }) => ({ body: set(JSON.parse(JSON.stringify(seedBody)) as Json, path, value.value), tags: [value.tag] }))
}

/** The same hostile text in every string field at once (ids, numbers, names alike). */
const EVERY_STRING: [string, (text: string) => string][] = [
  ['lone-surrogate', (text) => `${text}\ud800`],
  ['lone-surrogate', (text) => `\udc00${text}`],
  ['control-chars', (text) => `${text}\u0001\u001f`],
  ['control-chars', (text) => `\u0000${text}\u000b\ufffe`],
  ['markup', (text) => `${text}]]></x>"'&<`],
  ['random-unicode', (text) => `\u202e${text}\ud83d\ude00\u0301`],
  ['percent-escapes', (text) => `${text}%ED%A0%80%`],
]
const everyStringMutation = (seedBody: Json): fc.Arbitrary<{ body: Json; tags: string[] }> =>
  fc.constantFrom(...EVERY_STRING).map(([tag, change]) => {
    const body = JSON.parse(JSON.stringify(seedBody ?? null)) as Json
    let changed = body
    for (const path of paths(body)) {
      const value = get(body, path)
      if (typeof value === 'string') changed = set(changed, path, change(value))
    }
    return { body: changed, tags: [tag, 'every-string-field'] }
  })

// ---------------------------------------------------------------------------------------------------------
// Query strings and form bodies: percent-encoded by hand, so broken encodings reach the server.

/** encodeURIComponent that does not throw: a lone surrogate goes out as its (invalid) three UTF-8-style bytes. */
export const encodeHostile = (text: string): string => {
  let out = ''
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index)
    const next = text.charCodeAt(index + 1)
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(index, index + 2))
      index++
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 63), 0x80 | (unit & 63)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('')
    } else {
      out += encodeURIComponent(text[index] as string)
    }
  }
  return out
}

/** The seed's fields as name/value pairs (nested objects as JSON text, as the SDKs that flatten do). */
const fieldsOf = (seed: Seed): [string, string][] => {
  const pairs: [string, string][] = Object.entries(seed.query)
  const body = seed.body
  if (typeof body === 'string') pairs.push(...new URLSearchParams(body))
  else if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      // Voicenter's SDK sends DATA's fields flat on GET.
      if (key === 'DATA' && value && typeof value === 'object')
        pairs.push(...Object.entries(value).map(([name, item]) => [name, String(item)] as [string, string]))
      else pairs.push([key, typeof value === 'string' ? value : JSON.stringify(value)])
    }
  }
  return pairs
}

type PairMutation =
  | { op: 'value'; at: number; value: Tagged<string> }
  | { op: 'raw-value'; at: number; raw: string }
  | { op: 'key'; key: Tagged<string>; value: string }
  | { op: 'duplicate'; at: number }
  | { op: 'drop'; at: number }

const pairMutation = (pairs: [string, string][]): fc.Arbitrary<PairMutation> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('value' as const),
        at: fc.nat(),
        value: fc.constantFrom(...pairs.map(([, value]) => value), '').chain(hostileString),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('raw-value' as const),
        at: fc.nat(),
        raw: fc.constantFrom('%', '%G1', '%ED%A0%80', '%C0%80', '%FF%FE', '%00', '%2', 'a%', '%E2%82'),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('key' as const), key: hostileKey, value: fc.constantFrom('1', '', '%ED%A0%80') }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), at: fc.nat() }) },
  )

const encodePairs = (pairs: [string, string][], mutations: PairMutation[]): { text: string; tags: string[] } => {
  const encoded = pairs.map(([key, value]) => [encodeHostile(key), encodeHostile(value)] as [string, string])
  const tags: string[] = []
  for (const change of mutations) {
    const at = encoded.length > 0 && 'at' in change ? change.at % encoded.length : 0
    const pair = encoded[at]
    switch (change.op) {
      case 'value':
        if (pair) pair[1] = encodeHostile(change.value.value)
        tags.push(change.value.tag)
        break
      case 'raw-value':
        if (pair) pair[1] = change.raw
        tags.push('broken-percent-encoding')
        break
      case 'key':
        encoded.push([encodeHostile(change.key.value), change.value])
        tags.push(change.key.tag)
        break
      case 'duplicate':
        if (pair) encoded.push([pair[0], `${pair[1]}2`])
        tags.push('duplicate-key')
        break
      case 'drop':
        encoded.splice(at, 1)
        tags.push('missing-field')
        break
    }
  }
  return { text: encoded.map(([key, value]) => `${key}=${value}`).join('&'), tags }
}

// ---------------------------------------------------------------------------------------------------------
// Whole requests.

const HOSTILE_TYPES = [
  'application/x-www-form-urlencoded',
  'text/plain',
  '',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=zz',
  'application/xml',
  'application/json, application/x-www-form-urlencoded',
]

const seedBodyJson = (seed: Seed): Json => {
  // GET seeds carry their fields in the query; the providers read a JSON body the same way.
  if (seed.method === 'GET' || seed.body === null) return { ...seed.query }
  if (typeof seed.body === 'string') return Object.fromEntries(new URLSearchParams(seed.body))
  return seed.body
}

const serialise = (body: Json) => expandDeep(JSON.stringify(body) ?? 'null')

export const caseFor = (seed: Seed): fc.Arbitrary<FuzzCase> => {
  const path = `/webhooks/${seed.provider}`
  // A POST seed's query is the static part of the URL the provider was given; a GET seed's is its fields.
  const postPath = seed.method === 'POST' && Object.keys(seed.query).length > 0 ? `${path}?${new URLSearchParams(seed.query)}` : path
  const base = { provider: seed.provider, seed: seed.name, ...(seed.stateFrom ? { stateFrom: seed.stateFrom } : {}) }
  const json = seedBodyJson(seed)
  const pairs = fieldsOf(seed)
  const leaf = stringLeafMutation(json)
  const mutated = fc.oneof(
    { weight: 4, arbitrary: fc.array(mutation(json), { minLength: 1, maxLength: 3 }).map((mutations) => applyMutations(json, mutations)) },
    { weight: 2, arbitrary: everyStringMutation(json) },
    ...(leaf ? [{ weight: 4, arbitrary: leaf }] : []),
  )
  const asJson = fc
    .tuple(
      mutated,
      fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_TYPES) }),
      fc.nat(9),
    )
    .map(([{ body, tags }, otherType, dice]): FuzzCase => {
      if (otherType !== null) tags.push(`content-type:${otherType || 'none'}`)
      // Chunked only now and then: it is its own way of reading the body.
      const useChunks = dice === 0
      if (useChunks) tags.push('chunked')
      return {
        ...base,
        tags,
        method: 'POST',
        path: postPath,
        contentType: otherType ?? 'application/json',
        body: serialise(body),
        ...(useChunks ? { chunked: true } : {}),
      }
    })
  const asForm = fc.array(pairMutation(pairs), { minLength: 1, maxLength: 3 }).map((mutations): FuzzCase => {
    const { text, tags } = encodePairs(pairs, mutations)
    return {
      ...base,
      tags: ['form', ...tags],
      method: 'POST',
      path: postPath,
      contentType: 'application/x-www-form-urlencoded',
      body: text,
    }
  })
  const asQuery = fc.array(pairMutation(pairs), { minLength: 1, maxLength: 3 }).map((mutations): FuzzCase => {
    const { text, tags } = encodePairs(pairs, mutations)
    return { ...base, tags: ['get-query', ...tags], method: 'GET', path: `${path}?${text}` }
  })
  const original = serialise(json)
  const broken = fc
    .oneof(
      tagged(
        'invalid-json:truncated',
        fc.nat(original.length).map((at) => original.slice(0, at)),
      ),
      tagged(
        'invalid-json:garbage',
        fc.constantFrom('{', '}', '[1,]', '{"a":}', "{'a':1}", '{"a":1}}', '\u0000', 'undefined', '{"a":"\ud800', 'NaN', '1e99999'),
      ),
      tagged('invalid-json:random', fc.string({ unit: 'binary', maxLength: 200 })),
    )
    .map(
      ({ value, tag }): FuzzCase => ({
        ...base,
        tags: [tag],
        method: 'POST',
        path: postPath,
        contentType: 'application/json',
        body: value,
      }),
    )
  const confused = fc.constantFrom(...HOSTILE_TYPES).map((type): FuzzCase => {
    // The seed unchanged, under the wrong content type: JSON as form, form as JSON.
    const formSeed = typeof seed.body === 'string'
    return {
      ...base,
      tags: [`content-type:${type || 'none'}`],
      method: 'POST',
      path: postPath,
      contentType: formSeed ? 'application/json' : type,
      body: formSeed ? (seed.body as string) : original,
    }
  })
  const emptyish = fc
    .tuple(
      fc.constantFrom('', ' ', '\n\r\t', 'null', '0', '""', '[]', '{}', 'true', '-1', '"\\ud800"', '\ufeff{}'),
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', ''),
    )
    .map(
      ([body, type]): FuzzCase => ({
        ...base,
        tags: [body.trim() === '' ? 'empty-body' : 'bare-json-value'],
        method: 'POST',
        path: postPath,
        contentType: type,
        body,
      }),
    )
  const oversize = fc.tuple(fc.constantFrom(64 * 1024 + 1, 100_000, 1_000_000), fc.boolean()).map(
    ([length, chunked]): FuzzCase => ({
      ...base,
      tags: ['oversize', ...(chunked ? ['chunked'] : [])],
      method: 'POST',
      path,
      contentType: 'application/json',
      body: `{"pad":"${'a'.repeat(length)}"}`,
      ...(chunked ? { chunked: true } : {}),
    }),
  )
  return fc.oneof(
    { weight: 12, arbitrary: asJson },
    { weight: 3, arbitrary: asForm },
    { weight: 3, arbitrary: asQuery },
    { weight: 2, arbitrary: broken },
    { weight: 1, arbitrary: confused },
    { weight: 1, arbitrary: emptyish },
    { weight: 1, arbitrary: oversize },
  )
}

/** The seeds as the provider sends them: each must get a valid answer (and shows the checks accept real answers). */
export const seedCase = (seed: Seed): FuzzCase => {
  const query = Object.keys(seed.query).length > 0 ? `?${new URLSearchParams(seed.query)}` : ''
  const body =
    seed.method === 'GET' ? undefined : typeof seed.body === 'string' ? seed.body : seed.body === null ? '' : JSON.stringify(seed.body)
  return {
    provider: seed.provider,
    seed: seed.name,
    tags: ['as-documented'],
    method: seed.method,
    path: `/webhooks/${seed.provider}${query}`,
    ...(seed.contentType ? { contentType: seed.contentType } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(seed.stateFrom ? { stateFrom: seed.stateFrom } : {}),
  }
}

export const fuzzCases = (seeds: Seed[], runs: number, seed: number): FuzzCase[] =>
  fc.sample(fc.constantFrom(...seeds).chain(caseFor), { seed, numRuns: runs })
