import { describe, expect, inject, it } from 'vitest'
import { takeRefusedFetches } from './network-guard-setup.ts'

// The Worker's fetches go through the outbound service (test/setup/workers-outbound.ts), in Node, before
// workerd resolves a name or opens a socket: a refused one sends nothing. Each test takes its refusals back,
// so network-guard-setup.ts's afterEach passes; a test that did the same without it would fail there.
describe('network guard in workerd', () => {
  it('refuses a fetch beyond 127.0.0.1 with a 502 that says why', async () => {
    const response = await fetch('https://platform.ringcentral.com/restapi/v1.0/account/~/telephony/sessions/s-1/parties/p-1/play', {
      method: 'POST',
      body: '{}',
    })
    expect(response.status).toBe(502)
    expect(response.headers.get('x-network-guard')).toBe('refused')
    expect(await response.text()).toMatch(
      /^network guard: POST https:\/\/platform\.ringcentral\.com\/restapi\/v1\.0\/.* refused; tests may only reach 127\.0\.0\.1/,
    )
    expect(await takeRefusedFetches()).toEqual([
      'POST https://platform.ringcentral.com/restapi/v1.0/account/~/telephony/sessions/s-1/parties/p-1/play',
    ])
  })

  it('refuses an IP address beyond loopback too', async () => {
    expect((await fetch('http://203.0.113.7:8080/')).status).toBe(502)
    expect(await takeRefusedFetches()).toEqual(['GET http://203.0.113.7:8080/'])
  })

  it('passes loopback through to the fakes, bodies and headers intact', async () => {
    const ringcentral = inject('ringcentralUrl')
    const response = await fetch(`${ringcentral}/restapi/v1.0/account/~/telephony/sessions/s-guard/parties/p-1/play`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('ringcentralToken')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resources: [{ uri: 'https://example.com/a.wav' }] }),
    })
    expect(response.status).toBe(201)
    expect(await response.json()).toMatchObject({ status: 'InProgress' })
    expect((await fetch(`${ringcentral}/nothing`, { method: 'POST' })).status).toBe(401)
    expect(await takeRefusedFetches()).toEqual([])
  })
})
