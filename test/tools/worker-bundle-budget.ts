/**
 * `npm run bundle:budget [-- --outdir dir] [--max-gzip-kib 1024]`: builds the Worker the way `wrangler deploy`
 * would (dry run, no account needed), gzips each module it would upload with node:zlib, prints raw and gzip
 * sizes, and exits 1 when the gzip total is 1 MiB (or --max-gzip-kib) or more, or when the build fails.
 * Builds into a temp dir that is removed afterwards, unless --outdir says where to keep the output (dist/ is
 * ignored by git).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const { values } = parseArgs({ options: { outdir: { type: 'string' }, 'max-gzip-kib': { type: 'string', default: '1024' } } })
const BUDGET_GZIP_BYTES = Number(values['max-gzip-kib']) * 1024
if (!(BUDGET_GZIP_BYTES > 0)) {
  console.error(`worker bundle: --max-gzip-kib must be a positive number, not ${values['max-gzip-kib']}`)
  process.exit(2)
}
const outdir = values.outdir ? resolve(values.outdir) : mkdtempSync(join(tmpdir(), 'worker-bundle-'))

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`

/** Every file wrangler would upload: the bundle and its extra modules, without source maps and its README. */
const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.map') && entry.name !== 'README.md')
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()

/** Builds into `outdir` and returns the exit code: 0 within the budget, 1 over it or when the build fails. */
const measure = (): number => {
  const build = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' },
  })
  if (build.status !== 0) {
    process.stdout.write(build.stdout ?? '')
    process.stderr.write(build.stderr ?? '')
    console.error(`worker bundle: wrangler deploy --dry-run failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`)
    return 1
  }
  const files = modules(outdir)
  if (files.length === 0) {
    console.error(`worker bundle: wrangler wrote no module to ${outdir}`)
    return 1
  }
  let raw = 0
  let gzip = 0
  for (const file of files) {
    const content = readFileSync(file)
    const gzipped = gzipSync(content).length
    raw += content.length
    gzip += gzipped
    console.log(
      `  ${relative(outdir, file)}: ${content.length} bytes raw (${kib(content.length)}), ${gzipped} bytes gzip (${kib(gzipped)})`,
    )
  }
  const within = gzip < BUDGET_GZIP_BYTES
  console.log(
    `worker bundle: ${raw} bytes raw (${kib(raw)}), ${gzip} bytes gzip (${kib(gzip)}); ` +
      `${within ? 'within' : 'OVER'} the budget of ${kib(BUDGET_GZIP_BYTES)} gzip (${((gzip / BUDGET_GZIP_BYTES) * 100).toFixed(1)}%)`,
  )
  if (values.outdir) console.log(`worker bundle: output kept in ${outdir}`)
  return within ? 0 : 1
}

try {
  process.exitCode = measure()
} finally {
  if (!values.outdir) rmSync(outdir, { recursive: true, force: true })
}
