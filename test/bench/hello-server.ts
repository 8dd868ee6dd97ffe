/**
 * The benchmark's baseline (run by test/bench/run.ts in its own process): the service's HTTP stack, the same
 * Hono and @hono/node-server, with one route that reads a small JSON body and answers a small JSON body.
 * Listens on 127.0.0.1 (PORT, default 0: a free port) and prints the same "listening" line as the service.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.post('/hello', async (c) => {
  const body = await c.req.json<{ DATA?: { IVR_UNIQUE_ID?: string } }>()
  return c.json({ STATUS: 0, hello: 'world', id: body.DATA?.IVR_UNIQUE_ID ?? null })
})

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ level: 'info', msg: 'listening', url: `http://127.0.0.1:${info.port}` }))
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
