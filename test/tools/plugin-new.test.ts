import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Scaffolded, scaffoldPlugin } from './plugin-new.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Unique per run, so a run that died before cleaning up does not block the next. */
const ID = `scaffold-check-${Math.random().toString(36).slice(2, 8).replace(/[0-9]/g, 'x')}`

/**
 * `npm run plugin:new` for real: it writes into plugins/ and test/plugins/ (removed afterwards), and what it
 * writes passes biome, the type checker and its own contract test as generated.
 */
describe('npm run plugin:new', () => {
  let made: Scaffolded
  let scratch: string
  beforeAll(() => {
    made = scaffoldPlugin(ID)
    scratch = mkdtempSync(join(tmpdir(), 'plugin-new-'))
  })
  afterAll(() => {
    for (const path of [made?.pluginPath, made?.testPath]) if (path) rmSync(path, { force: true })
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  const run = (command: string, args: string[]) => {
    try {
      return {
        ok: true,
        output: execFileSync(command, args, {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
        }),
      }
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string }
      return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
    }
  }

  it('writes the plugin and its test, and names the registry line without editing the registry', () => {
    expect(readFileSync(made.pluginPath, 'utf8')).toContain(`id: '${ID}'`)
    expect(readFileSync(made.pluginPath, 'utf8')).toContain(`envPrefix: '${ID.replace(/-/g, '_').toUpperCase()}_'`)
    expect(made.registryImport).toBe(`import { ${ID.replace(/-([a-z0-9])/g, (_, char: string) => char.toUpperCase())} } from './${ID}.ts'`)
    expect(readFileSync(join(ROOT, 'plugins/index.ts'), 'utf8')).not.toContain(ID)
  })

  it('refuses an id that exists or is not kebab-case, writing nothing', () => {
    expect(() => scaffoldPlugin(ID)).toThrow(`plugins/${ID}.ts exists already`)
    expect(() => scaffoldPlugin('hubspot')).toThrow('plugins/hubspot.ts exists already')
    for (const bad of ['Acme', 'acme_crm', 'acme--crm', '-acme', '9acme', '../etc']) {
      expect(() => scaffoldPlugin(bad)).toThrow('is not a kebab-case id')
    }
    expect(existsSync(join(ROOT, 'plugins/acme_crm.ts'))).toBe(false)
  })

  it('writes files biome finds nothing to change in', () => {
    const result = run('npx', ['biome', 'check', made.pluginPath, made.testPath])
    expect(result.output).not.toMatch(/Found \d+ (errors?|warnings?)/)
    expect(result.ok).toBe(true)
  }, 60_000)

  it('writes files the type checker accepts, on the Workers types for the plugin', () => {
    const worker = join(scratch, 'tsconfig.worker.json')
    writeFileSync(
      worker,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.base.json'),
        compilerOptions: { types: [], typeRoots: [join(ROOT, 'test/tools/no-node-types')], noEmit: true },
        files: [join(ROOT, 'node_modules/@cloudflare/workers-types/index.d.ts'), made.pluginPath],
      }),
    )
    const tests = join(scratch, 'tsconfig.test.json')
    writeFileSync(
      tests,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.base.json'),
        compilerOptions: {
          lib: ['ES2024', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          noEmit: true,
        },
        files: [made.testPath],
      }),
    )
    for (const config of [worker, tests]) {
      const result = run('npx', ['tsc', '-p', config])
      expect(result.output).toBe('')
      expect(result.ok).toBe(true)
    }
  }, 60_000)

  it('writes a test that passes the plugin contract as generated (a plugin that finds nobody)', () => {
    const result = run('npx', ['vitest', 'run', made.testPath, '--project', 'node', '--reporter', 'verbose'])
    expect(result.output).toContain('answers null for an unknown number, never a throw')
    expect(result.output).toContain('turns a 429 into RateLimitedError')
    expect(result.output).toMatch(/Tests\s+8 passed/)
    expect(result.ok).toBe(true)
  }, 60_000)
})
