import { execFile } from 'node:child_process'
import dns from 'node:dns'
import { request } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startFakeRoutee } from '../helpers/fake-routee.ts'
import { assertStayedOnLoopback, isLoopbackHost, takeRefusedConnections } from './loopback-only.ts'

// Each test here tries to leave on purpose and takes its refusal back, so network-guard.ts's afterEach passes;
// a test that did the same without it would fail there. Nothing leaves the machine: the guard refuses in
// Socket#connect, before any DNS lookup (the spy proves none is made) or packet. The addresses are reserved
// ones (RFC 2606, RFC 5737), so even a broken guard would send nothing anyone reads.
describe('network guard (test/setup/network-guard.ts)', () => {
  afterEach(() => vi.restoreAllMocks())

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a refusal'),
      (error: Error) => error,
    )

  it('refuses fetch to a host name, before any DNS lookup, with an error that says why', async () => {
    const lookup = vi.spyOn(dns, 'lookup')
    const error = await failure(fetch('https://api.example/restapi/v1.0', { method: 'POST', body: '{}' }))
    expect(error.cause).toMatchObject({ code: 'ENETWORKGUARD', message: expect.stringContaining('connection to api.example:443 refused') })
    expect(lookup).not.toHaveBeenCalled()
    expect(takeRefusedConnections().map(({ host, port }) => `${host}:${port}`)).toEqual(['api.example:443'])
  })

  it('refuses node:http to an IP address', async () => {
    const error = await failure(new Promise((resolve, reject) => request('http://203.0.113.7:8080/', resolve).on('error', reject).end()))
    expect(error).toMatchObject({ code: 'ENETWORKGUARD' })
    expect(takeRefusedConnections().map(({ host, port }) => `${host}:${port}`)).toEqual(['203.0.113.7:8080'])
  })

  it('fails the test even when the code under test swallowed the error, and says where it connected from', async () => {
    await fetch('http://crm.example/contacts').catch(() => undefined)
    await new Promise((resolve) => request('http://203.0.113.7/', resolve).on('error', resolve).end())
    let message = ''
    try {
      assertStayedOnLoopback()
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/^network guard: this test tried to connect beyond 127\.0\.0\.1 \(refused, nothing was sent\)/)
    // fetch connects from undici's queue, where the caller is no longer on the stack; node:http shows it.
    expect(message).toContain('\n  crm.example:80\n')
    expect(message).toMatch(/\n {2}203\.0\.113\.7:80\n\s+at .*network-guard\.test\.ts:\d+/)
    expect(takeRefusedConnections()).toEqual([])
  })

  it('lets loopback through', async () => {
    const fake = await startFakeRoutee()
    try {
      const port = new URL(fake.url).port
      for (const host of ['127.0.0.1', 'localhost']) {
        expect((await fetch(`http://${host}:${port}/nothing`, { method: 'POST' })).status).toBe(404)
      }
    } finally {
      await fake.close()
    }
    expect(['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true)
    expect(['10.0.0.1', '192.168.1.1', 'example.com', '128.0.0.1', '::ffff:8.8.8.8', '127.0.0.1.example'].some(isLoopbackHost)).toBe(false)
  })

  it('a Node process a test starts with this environment is guarded too', async () => {
    const script = "fetch('https://api.example/').then(() => console.log('sent'), (error) => console.log(error.cause.code))"
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '--eval', script], (error, stdout, stderr) =>
        error ? reject(error) : resolve({ stdout, stderr }),
      ),
    )
    expect(stdout.trim()).toBe('ENETWORKGUARD')
    expect(stderr).toContain('network guard: connection to api.example:443 refused')
  })
})
