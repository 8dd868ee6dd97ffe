import { fileURLToPath } from 'node:url'
import { afterAll, afterEach } from 'vitest'
import { assertStayedOnLoopback, installLoopbackOnly } from './loopback-only.ts'

// Setup file of the node project: a connection beyond 127.0.0.1 is refused (loopback-only.ts) and fails the
// test that made it, even when the code under test caught the error (a CRM lookup falls back, say).
installLoopbackOnly()
afterEach(assertStayedOnLoopback)
afterAll(assertStayedOnLoopback)

// Node processes started with this environment (the CLIs, `npm start` as a child) get the guard as a preload.
const preload = `--import=${JSON.stringify(fileURLToPath(new URL('./loopback-only-preload.ts', import.meta.url)))}`
if (!process.env.NODE_OPTIONS?.includes(preload)) process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ')
