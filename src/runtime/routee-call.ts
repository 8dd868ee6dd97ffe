import { parseArgs } from 'node:util'

/**
 * `npm run routee:call -- --to +306911111111 [--from +302111234567] [--prompt "…"] [--url http://127.0.0.1:3000]`
 * asks the running service (POST /admin/routee/calls, ADMIN_TOKEN from the environment) to call a number
 * through Routee and verify the PIN the person types.
 */
const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    from: { type: 'string' },
    prompt: { type: 'string' },
    url: { type: 'string', default: process.env.SERVICE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
  },
})

const token = process.env.ADMIN_TOKEN
if (!values.to || !token) {
  console.error('usage: ADMIN_TOKEN=… npm run routee:call -- --to +306911111111 [--from …] [--prompt …] [--url …]')
  process.exit(2)
}

const response = await fetch(`${values.url}/admin/routee/calls`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ to: values.to, from: values.from, prompt: values.prompt }),
})
const body = await response.text()
console.log(body)
process.exitCode = response.ok ? 0 : 1
