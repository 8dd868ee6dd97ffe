import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { loopbackOnlyOutbound } from './test/setup/workers-outbound.ts'

// What the service logs while tests run (the Node servers' JSON lines, the Worker's console in workerd) is
// shown for failing tests only; TEST_LOGS=1 shows it for every test.
const showLogs = /^(1|true|yes)$/i.test(process.env.TEST_LOGS ?? '')

// Two runtimes, one suite: Node (real HTTP server, better-sqlite3 files) and workerd (D1), the latter
// through @cloudflare/vitest-plugin, which runs test files inside the Workers runtime.
export default defineConfig(async () => {
  const migrations = await readD1Migrations('./migrations')
  return {
    test: {
      // Real HTTP servers and SQLite files per test file; two cores, so keep workers few.
      maxWorkers: 2,
      testTimeout: 20_000,
      silent: showLogs ? false : ('passed-only' as const),
      projects: [
        {
          extends: true,
          test: {
            name: 'node',
            include: ['test/**/*.test.ts'],
            exclude: ['test/workers/**'],
            // Tests never leave 127.0.0.1: any other connection is refused and fails the test.
            setupFiles: ['./test/setup/network-guard.ts'],
          },
        },
        {
          extends: true,
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: { TEST_MIGRATIONS: migrations, SEED_DEMO: 'false' },
                // Every fetch of the Worker goes through Node first: loopback is passed on, the rest refused.
                outboundService: loopbackOnlyOutbound,
              },
            }),
          ],
          test: {
            name: 'workers',
            include: ['test/workers/**/*.test.ts'],
            setupFiles: ['./test/workers/apply-migrations.ts', './test/workers/network-guard-setup.ts'],
            globalSetup: ['./test/workers/global-setup.ts'],
          },
        },
      ],
    },
  }
})
