import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real HTTP servers and SQLite files per test file; two cores, so keep workers few.
    maxWorkers: 2,
    testTimeout: 20_000,
  },
})
