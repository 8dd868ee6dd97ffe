import { createServer } from 'node:http'
import { readBody } from './read-body.ts'

/** A call-control command as the fake received it; `drop` is the DELETE of the whole session (no party). */
export interface FakeRingCentralCommand {
  session: string
  party: string
  command: 'play' | 'collect' | 'forward' | 'drop'
  body: Record<string, unknown>
  authorization?: string
}

/**
 * A fake RingCentral telephony API on 127.0.0.1 that records the call-control commands it receives: Play,
 * Collect and Forward on a party (201 with the command's id, as RingCentral answers a Play), and the drop of a
 * session (DELETE, 204).
 *
 * Tests in workerd cannot read this process's memory, so the commands of a session are also served at
 * `GET /fake/commands?session=<id>`. A session whose id contains `refuse-play` has its Play commands refused
 * (404, as RingCentral answers for a party that is gone), to replay a Play that never starts.
 */
export interface FakeRingCentral {
  url: string
  token: string
  commands: FakeRingCentralCommand[]
  /** Resolves once `count` commands have arrived (or after 3 s). */
  waitFor(count: number): Promise<void>
  close(): Promise<void>
}

const PARTY_COMMAND = /^\/restapi\/v1\.0\/account\/~\/telephony\/sessions\/([^/]+)\/parties\/([^/]+)\/(play|collect|forward)$/
const SESSION = /^\/restapi\/v1\.0\/account\/~\/telephony\/sessions\/([^/]+)$/

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
    const url = new URL(request.url ?? '/', 'http://fake')
    const send = (status: number, payload?: unknown) => {
      response.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' })
      response.end(payload === undefined ? undefined : JSON.stringify(payload))
    }
    if (request.method === 'GET' && url.pathname === '/fake/commands') {
      const session = url.searchParams.get('session')
      return send(
        200,
        fake.commands.filter((command) => command.session === session),
      )
    }
    if (request.headers.authorization !== `Bearer ${fake.token}`) return send(401, { errorCode: 'AGW-401' })
    const onParty = PARTY_COMMAND.exec(url.pathname)
    const onSession = SESSION.exec(url.pathname)
    if (request.method === 'POST' && onParty) {
      const [, session = '', party = '', command = ''] = onParty
      const received = {
        session: decodeURIComponent(session),
        party: decodeURIComponent(party),
        command: command as FakeRingCentralCommand['command'],
        body: JSON.parse(body || '{}'),
        authorization: request.headers.authorization,
      }
      fake.commands.push(received)
      if (command === 'play' && received.session.includes('refuse-play')) return send(404, { errorCode: 'TAS-102' })
      return send(201, { id: `cmd-${fake.commands.length}`, status: 'InProgress', ...received.body })
    }
    if (request.method === 'DELETE' && onSession) {
      fake.commands.push({
        session: decodeURIComponent(onSession[1] ?? ''),
        party: '',
        command: 'drop',
        body: {},
        authorization: request.headers.authorization,
      })
      return send(204)
    }
    return send(404, { errorCode: 'CMN-102' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return fake
}
