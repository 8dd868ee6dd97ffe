// An empty stand-in for @types/node, found first through `typeRoots` in tsconfig.worker.json and
// tsconfig.test-workers.json. Some dependencies' declarations say `/// <reference types="node" />`
// (@hubspot/api-client's client.d.ts; vitest's and undici's for the workerd tests), which would
// otherwise load Node's globals and `node:*` modules into the Workers programs and hide Node use there.
export {}
