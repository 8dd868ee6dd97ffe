/**
 * The workerd baseline of test/bench/worker.ts: what test/bench/hello-server.ts does on Node (read a small JSON
 * body, answer a small JSON body), as a bare Worker without Hono, so that the figures of the real Worker are read
 * against workerd's (and wrangler dev's) own cost per request.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const body = (await request.json()) as { DATA?: { IVR_UNIQUE_ID?: string } } | null
    return Response.json({ STATUS: 0, hello: 'world', id: body?.DATA?.IVR_UNIQUE_ID ?? null })
  },
}
