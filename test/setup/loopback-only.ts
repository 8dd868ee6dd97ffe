import net from 'node:net'

/**
 * Tests reach only this machine: the fakes in test/helpers listen on 127.0.0.1. Once installed, a socket to
 * any other host is refused in net.Socket#connect, before a DNS lookup or a packet, with an error that says
 * so. Every TCP client in Node goes through there: fetch (undici), node:http and node:https, tls, net.
 * network-guard.ts installs it in the Node test workers and fails the test that tried; loopback-only-preload.ts
 * installs it in the Node processes tests start.
 */
export interface RefusedConnection {
  host: string
  port: string
  /** Where the connection was asked for. */
  stack: string
}

const LOOPBACK_V4 = /^127(?:\.\d{1,3}){3}$/

/** 127.0.0.0/8, ::1 (also IPv4-mapped), localhost; 0.0.0.0 and :: connect to this machine too. */
export const isLoopbackHost = (host: string): boolean => {
  const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (name === 'localhost' || name === '::1' || name === '0.0.0.0' || name === '::') return true
  return LOOPBACK_V4.test(name.startsWith('::ffff:') ? name.slice(7) : name)
}

interface GuardState {
  refused: RefusedConnection[]
  onRefused?: (refused: RefusedConnection) => void
}

// On globalThis, not in this module: vitest loads a fresh copy of the module per test file into the same
// process, and the prototype must be wrapped once.
const STATE = Symbol.for('ivr-crm-router.loopback-only')
const globalState = globalThis as { [STATE]?: GuardState }

interface ConnectTarget {
  host?: unknown
  port?: unknown
  path?: unknown
}

/** What Socket#connect was asked for, in each of its call forms (Node's own callers pass [options, callback] as one array). */
const targetOf = (args: unknown[]): ConnectTarget => {
  const list = Array.isArray(args[0]) ? (args[0] as unknown[]) : args
  const [first, second] = list
  if (first !== null && typeof first === 'object') return first as ConnectTarget
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first }
  return { port: first, host: typeof second === 'string' ? second : undefined }
}

export const installLoopbackOnly = (onRefused?: (refused: RefusedConnection) => void): void => {
  if (globalState[STATE]) return
  const state: GuardState = { refused: [], onRefused }
  globalState[STATE] = state
  const connect = net.Socket.prototype.connect
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const target = targetOf(args)
    const host = typeof target.host === 'string' && target.host !== '' ? target.host : 'localhost'
    // A Unix socket (a path; node:http passes path: null for TCP) never leaves the machine.
    if (typeof target.path === 'string' || isLoopbackHost(host)) return connect.apply(this, args as Parameters<typeof connect>)
    const refused: RefusedConnection = { host, port: String(target.port ?? ''), stack: new Error('connect').stack ?? '' }
    state.refused.push(refused)
    state.onRefused?.(refused)
    const error = Object.assign(
      new Error(
        `network guard: connection to ${host}:${refused.port} refused; tests may only reach 127.0.0.1 (point the URL at a fake from test/helpers)`,
      ),
      { code: 'ENETWORKGUARD' },
    )
    // As a failed connection fails: asynchronously, through the socket's 'error'.
    process.nextTick(() => this.destroy(error))
    return this
  } as typeof connect
}

/** The connections refused since the last call. */
export const takeRefusedConnections = (): RefusedConnection[] => globalState[STATE]?.refused.splice(0) ?? []

/** Throws, naming each refused connection and where it was made, if any was refused since the last call. */
export const assertStayedOnLoopback = (): void => {
  const refused = takeRefusedConnections()
  if (refused.length === 0) return
  // Node's own frames say nothing; fetch connects from undici's queue, so its caller may not be in the stack at all.
  const frames = (stack: string) =>
    stack
      .split('\n')
      .slice(1)
      .filter((line) => !line.includes('node:') && !line.includes('loopback-only.ts') && !line.includes('<anonymous>'))
      .slice(0, 6)
  const where = refused.map(({ host, port, stack }) => [`  ${host}:${port}`, ...frames(stack)].join('\n'))
  throw new Error(
    `network guard: this test tried to connect beyond 127.0.0.1 (refused, nothing was sent). Point the setting at a fake from test/helpers.\n${where.join('\n')}`,
  )
}
