import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/**
 * `npm run routee:call -- --to +306911111111 [--from +302111234567] [--prompt "…"] [--url http://127.0.0.1:3000]`
 * asks the running service (POST /admin/routee/calls, ADMIN_TOKEN from the environment) to call a number
 * through Routee and verify the PIN the person types. Prints the service's answer, or one line that says
 * what went wrong and what to check (exit code 1); a wrong command line prints the usage (exit code 2).
 */
const USAGE = 'usage: ADMIN_TOKEN=… npm run routee:call -- --to +306911111111 [--from …] [--prompt …] [--url http://127.0.0.1:3000]'

/** The admin call starts a Routee call, which waits its turn (1 call/s) and Routee's answer: allow for both. */
const ANSWER_TIMEOUT_MS = 30_000

export interface RouteeCallResult {
  code: 0 | 1 | 2
  /** For stdout: the service's answer. */
  out?: string
  /** For stderr: one line. */
  err?: string
}

type Env = Record<string, string | undefined>

/** Why a fetch failed, in words, from the error code Node puts in its cause. */
const connectionProblem = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const code = cause?.code ?? (error as { code?: string })?.code
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused, nothing listens there'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve'
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out'
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable'
    default:
      if ((error as Error)?.name === 'TimeoutError') return `no answer within ${ANSWER_TIMEOUT_MS / 1000} s`
      return [code, cause?.message ?? (error as Error)?.message].filter(Boolean).join(' ') || String(error)
  }
}

/** The `{ error: { code, message } }` every admin error carries, or the start of whatever else came back. */
const describeAnswer = (status: number, text: string): { code?: string; summary: string } => {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    if (error && typeof error.message === 'string') {
      const code = typeof error.code === 'string' ? error.code : undefined
      return { code, summary: `HTTP ${status}${code ? ` ${code}` : ''}: ${error.message}` }
    }
  } catch {
    // Not JSON: a proxy's page, say.
  }
  const start = text.replace(/\s+/g, ' ').trim().slice(0, 160)
  return { summary: `HTTP ${status}${start ? `: ${start}` : ''}` }
}

/** The service's answer to a started call: `{ trackingId, to, from }`. */
const startedCall = (text: string): boolean => {
  try {
    const body = JSON.parse(text) as { to?: unknown }
    return typeof body?.to === 'string'
  } catch {
    return false
  }
}

const notTheService = (origin: string) => `Is ${origin} the ivr-crm-router service (check --url)?`

/** What to do about an error answer, by status (and code where one status has several meanings). */
const advice = (status: number, code: string | undefined, origin: string): string => {
  switch (status) {
    case 400:
      return 'Check --to (a phone number), --from (or ROUTEE_CALLER_ID on the service) and --prompt.'
    case 401:
      return 'ADMIN_TOKEN here must be the ADMIN_TOKEN the service runs with.'
    case 404:
      return code === 'DISABLED' ? 'The admin API is off: start the service with ADMIN_TOKEN set.' : notTheService(origin)
    case 503:
      return 'Routee is not configured on the service: set ROUTEE_APP_ID and ROUTEE_APP_SECRET where it runs.'
    case 502:
      return 'Routee refused or failed the call: check ROUTEE_APP_ID, ROUTEE_APP_SECRET and ROUTEE_API_URL on the service, and its log.'
    default:
      return "See the service's log."
  }
}

/** One run of the command, without touching the process: what to print and the exit code. */
export const routeeCall = async (args: string[], env: Env, fetchImpl: typeof fetch = fetch): Promise<RouteeCallResult> => {
  let values: { to?: string; from?: string; prompt?: string; url?: string }
  try {
    values = parseArgs({
      args,
      options: { to: { type: 'string' }, from: { type: 'string' }, prompt: { type: 'string' }, url: { type: 'string' } },
    }).values
  } catch (error) {
    return { code: 2, err: `${(error as Error).message}\n${USAGE}` }
  }
  const token = env.ADMIN_TOKEN
  if (!values.to || !token) return { code: 2, err: `${token ? '--to is required' : 'ADMIN_TOKEN is not set'}\n${USAGE}` }

  const base = (values.url ?? env.SERVICE_URL ?? `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, '')
  const where = values.url ? 'from --url' : env.SERVICE_URL ? 'from SERVICE_URL' : env.PORT ? 'from PORT' : 'the default'
  let endpoint: URL
  try {
    endpoint = new URL(`${base}/admin/routee/calls`)
  } catch {
    return { code: 1, err: `routee:call: "${base}" (${where}) is not a URL; give the service's address, e.g. --url http://127.0.0.1:3000` }
  }

  let response: Response
  let text: string
  try {
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: values.to, from: values.from, prompt: values.prompt }),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    })
    text = await response.text()
  } catch (error) {
    return {
      code: 1,
      err:
        `routee:call: cannot reach the service at ${endpoint.origin} (${where}): ${connectionProblem(error)}. ` +
        'Is it running (npm start)? If it runs elsewhere, give its address with --url (its PUBLIC_URL, say) or SERVICE_URL.',
    }
  }
  if (response.ok) {
    if (startedCall(text)) return { code: 0, out: text }
    const { summary } = describeAnswer(response.status, text)
    return { code: 1, err: `routee:call: ${endpoint.href} answered ${summary}, not a started call. ${notTheService(endpoint.origin)}` }
  }
  const { code, summary } = describeAnswer(response.status, text)
  return { code: 1, err: `routee:call: ${endpoint.href} answered ${summary}. ${advice(response.status, code, endpoint.origin)}` }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await routeeCall(process.argv.slice(2), process.env)
  if (result.out !== undefined) console.log(result.out)
  if (result.err !== undefined) console.error(result.err)
  process.exitCode = result.code
}
