import { existsSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * `npm run plugin:new <id>`: a new CRM plugin (plugins/<id>.ts) that finds nobody yet, and its test
 * (test/plugins/<id>.test.ts) running the plugin contract against a fake CRM, green as generated. The
 * registry (plugins/index.ts) is left alone: the line to add is printed, as adding a plugin to every build
 * is the author's decision. See docs/plugins.md.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

export interface Scaffolded {
  pluginPath: string
  testPath: string
  /** The line to add to plugins/index.ts's builtinPlugins (and its import). */
  registryImport: string
  registryEntry: string
}

const camelCase = (id: string) => id.replace(/-([a-z0-9])/g, (_, char: string) => char.toUpperCase())

export const scaffoldPlugin = (id: string, root = ROOT): Scaffolded => {
  if (!KEBAB_CASE.test(id))
    throw new Error(`"${id}" is not a kebab-case id (like acme-crm): lower-case letters and digits, words joined by -`)
  const pluginPath = join(root, 'plugins', `${id}.ts`)
  const testPath = join(root, 'test', 'plugins', `${id}.test.ts`)
  for (const path of [pluginPath, testPath]) {
    if (existsSync(path)) throw new Error(`${relative(root, path)} exists already: pick another id, or edit that plugin`)
  }
  const factory = camelCase(id)
  const prefix = `${id.replace(/-/g, '_').toUpperCase()}_`
  writeFileSync(pluginPath, pluginSource(id, factory, prefix))
  writeFileSync(testPath, testSource(id, factory, prefix))
  return {
    pluginPath,
    testPath,
    registryImport: `import { ${factory} } from './${id}.ts'`,
    registryEntry: `${factory}()`,
  }
}

const pluginSource = (id: string, factory: string, prefix: string) => `import * as v from 'valibot'
import { type Contact, definePlugin, RateLimitedError } from '../src/crm/plugin.ts'
import { envInteger, setting } from '../src/lib/env-schema.ts'

/**
 * TODO: say which CRM this is, what it finds callers by, and which permissions its token needs.
 * What a plugin must do (deadlines, null for nobody, 429s, errors): docs/plugins.md.
 */

/** TODO: the CRM's answer to the phone search, as its API reference documents it. */
const SearchAnswer = v.object({ results: v.array(v.unknown()) })

/** Without a Retry-After, a second. */
const DEFAULT_RETRY_AFTER_MS = 1000

export const ${factory} = () =>
  definePlugin({
    id: '${id}',
    version: '0.1.0',
    // ${prefix}BASE_URL → config.baseUrl, and so on.
    envPrefix: '${prefix}',
    config: v.object({
      baseUrl: setting(v.pipe(v.string('is required'), v.url('must be a URL')), "The CRM's API (tests point it at a fake)."),
      apiToken: setting(v.pipe(v.string('is required'), v.trim(), v.nonEmpty('is empty')), 'An API token (required).'),
      timeoutMs: setting(envInteger(1000, 50), 'The longest one lookup may take (ms).'),
    }),
    setup({ config, fetch }) {
      /** The JSON answer, or null for a 404; throws for a 429 (typed) and any other failure. */
      const get = async (path: string, signal: AbortSignal): Promise<unknown> => {
        // The signal aborts at the provider's deadline: pass it to every request.
        const response = await fetch(\`\${config.baseUrl.replace(/\\/+$/, '')}\${path}\`, {
          headers: { accept: 'application/json', authorization: \`Bearer \${config.apiToken}\` },
          signal,
        })
        if (response.status === 404) {
          await response.body?.cancel()
          return null
        }
        if (response.status === 429) {
          await response.body?.cancel()
          const seconds = Number(response.headers.get('retry-after'))
          throw new RateLimitedError('${id}: rate limited (429)', seconds > 0 ? seconds * 1000 : DEFAULT_RETRY_AFTER_MS)
        }
        if (!response.ok) {
          await response.body?.cancel()
          // Never the token or the number in a message: they end up in logs.
          throw new Error(\`${id}: HTTP \${response.status}\`)
        }
        return response.json()
      }

      /** TODO: the CRM's record as a contact: { id, source: '${id}', name, company, owner, segment, tags, fields }. */
      const toContact = (_record: unknown): Contact | null => null

      return {
        timeoutMs: config.timeoutMs,
        // TODO: rateLimit: { perSecond: 5 } when the CRM limits lookups; cache: false if its answers must never be kept.
        async findByPhone(phone, { signal }) {
          // TODO: the CRM's search by phone (phone is E.164).
          const answer = await get(\`/contacts/search?phone=\${encodeURIComponent(phone)}\`, signal)
          if (answer === null) return null
          const parsed = v.safeParse(SearchAnswer, answer)
          if (!parsed.success) throw new Error('${id}: unexpected answer to the phone search')
          const [first] = parsed.output.results
          return first === undefined ? null : toContact(first)
        },
        // TODO: findByPin(pin, { signal }) the same way, and logCall(entry) when the CRM keeps call logs.
      }
    },
  })
`

const testSource = (id: string, factory: string, prefix: string) => `import { ${factory} } from '../../plugins/${id}.ts'
import type { CrmClient } from '../../src/crm/plugin.ts'
import { createPluginChain } from '../../src/crm/plugin-chain.ts'
import { silentLogger } from '../../src/lib/logger.ts'
import { type FakeCrmServer, json, startFakeCrmServer } from '../helpers/fake-crm-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

const API_TOKEN = '${id}-test-token'

/**
 * TODO: the CRM's API on 127.0.0.1, as its public reference documents it (shapes, errors, rate limits):
 * its routes here, a known caller in its answers, then \`known\` below.
 */
const startFake = () =>
  startFakeCrmServer({
    routes: {
      'GET /contacts/search': ({ headers }) =>
        headers.authorization === \`Bearer \${API_TOKEN}\` ? json({ results: [] }) : json({ error: 'unauthorized' }, 401),
    },
  })

let fake: FakeCrmServer

testCrmPluginContract({
  pluginId: '${id}',
  async setup() {
    fake = await startFake()
    // Set up as the service does: its ${prefix}* settings parsed by the plugin chain.
    const [entry] = await createPluginChain({
      available: [${factory}()],
      enabled: ['${id}'],
      env: { ${prefix}BASE_URL: fake.url, ${prefix}API_TOKEN: API_TOKEN },
      db: undefined as never,
      revisions: undefined as never,
      log: silentLogger,
    })
    return { client: (entry as { client: CrmClient }).client, close: () => fake.close() }
  },
  // TODO: known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
  unknown: { phone: '+972539999999', pin: '000000' },
  fake: {
    rateLimitNext: (count, seconds) => fake.rateLimitNext(count, seconds),
    failNext: (count, status) => fake.failNext(count, status),
    dropNext: (count) => fake.dropNext(count),
    delayNext: (count, ms) => fake.delayNext(count, ms),
    requestCount: () => fake.requestCount(),
  },
})
`

if (import.meta.url === `file://${process.argv[1]}`) {
  const id = process.argv[2]
  if (!id) {
    console.error('usage: npm run plugin:new <id>   (a kebab-case id, e.g. acme-crm)')
    process.exit(2)
  }
  try {
    const made = scaffoldPlugin(id)
    console.log(`wrote ${relative(ROOT, made.pluginPath)} and ${relative(ROOT, made.testPath)}`)
    console.log(`run its contract test: npx vitest run ${relative(ROOT, made.testPath)} --project node`)
    console.log('to make it selectable in CRM_PLUGINS, add to plugins/index.ts:')
    console.log(`  ${made.registryImport}`)
    console.log(`  and ${made.registryEntry} in builtinPlugins`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}
