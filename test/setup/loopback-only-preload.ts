import { installLoopbackOnly } from './loopback-only.ts'

// `node --import` preload (NODE_OPTIONS, set by network-guard.ts): the Node processes tests start stay on
// loopback too, and say so on stderr when they try not to.
installLoopbackOnly(({ host, port }) => {
  process.stderr.write(`network guard: connection to ${host}:${port} refused; tests may only reach 127.0.0.1\n`)
})
