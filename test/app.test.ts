import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from './helpers/test-server.ts'

describe('createApp', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it("a request that breaks while it is read still gets the provider's failover, not a 500", async () => {
    const broken = new ReadableStream({
      start(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    const request = new Request('http://127.0.0.1/webhooks/voicenter', {
      method: 'POST',
      body: broken,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    const response = await server.service.app.fetch(request)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ STATUS: 1, ACTION: 'GO_TO_LAYER', LAYER: 0 })
    expect(server.logs.some((entry) => entry.message === 'webhook failed' && entry.fields?.error === 'connection reset')).toBe(true)
  })

  it('answers health checks', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok')
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({
      status: 'ok',
      plugins: ['local-directory'],
      rules: { active: 8, fallbacks: 2, invalid: 0 },
    })
  })
})
