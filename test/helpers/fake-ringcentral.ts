import { createServer } from 'node:http'
import { readBody } from './read-body.ts'

/** A fake RingCentral telephony API on 127.0.0.1 that records the call-control commands it receives. */
export interface FakeRingCentral {
  url: string
  token: string
  commands: { session: string; party: string; command: string; body: Record<string, unknown>; authorization?: string }[]
  /** Resolves once `count` commands have arrived (or after 3 s). */
  waitFor(count: number): Promise<void>
  close(): Promise<void>
}

const COMMAND = /^\/restapi\/v1\.0\/account\/~\/telephony\/sessions\/([^/]+)\/parties\/([^/]+)\/(play|collect|forward)$/

export const startFakeRingCentral = async (): Promise<FakeRingCentral> => {
  const fake: FakeRingCentral = {
    url: '',
    token: 'rc-app-token',
    commands: [],
    waitFor: async (count) => {
      const deadline = Date.now() + 3000
      while (fake.commands.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const match = COMMAND.exec(request.url ?? '')
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(payload))
    }
    if (request.headers.authorization !== `Bearer ${fake.token}`) return send(401, { errorCode: 'AGW-401' })
    if (request.method !== 'POST' || !match) return send(404, { errorCode: 'CMN-102' })
    fake.commands.push({
      session: decodeURIComponent(match[1] as string),
      party: decodeURIComponent(match[2] as string),
      command: match[3] as string,
      body: JSON.parse(body || '{}'),
      authorization: request.headers.authorization,
    })
    send(201, { id: `cmd-${fake.commands.length}`, status: 'InProgress' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return fake
}
