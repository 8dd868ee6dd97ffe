import { withDeadline } from '../../lib/deadline.ts'
import { errorMessage, type Logger } from '../../lib/logger.ts'

/**
 * One REST command on a call. Play, Collect and Forward are POSTed to a party (Play and Collect to the
 * caller's, Forward to the app's own); `drop` ends the whole call session (DELETE on the session).
 */
export interface Command {
  command: 'play' | 'collect' | 'forward' | 'drop'
  party?: string
  body?: Record<string, unknown>
}

export interface CommandClientOptions {
  token?: string
  apiUrl: string
  log: Logger
  /** Per command. */
  timeoutMs: number
  fetch: typeof fetch
}

/** Sends a call's commands one after another; true when all were accepted, false (logged) at the first refusal. */
export const createCommandClient = ({ token, apiUrl, log, timeoutMs, fetch: fetchImpl }: CommandClientOptions) => {
  const base = `${apiUrl.replace(/\/+$/, '')}/restapi/v1.0/account/~/telephony/sessions`

  const send = async (sessionId: string, commands: readonly Command[]): Promise<boolean> => {
    if (!token) {
      // No phone numbers: the commands' bodies hold the number the call would have been forwarded to.
      log.error('RingCentral call not commanded: RINGCENTRAL_TOKEN is not set', {
        sessionId,
        commands: commands.map(({ command }) => command),
      })
      return false
    }
    for (const { command, party, body } of commands) {
      try {
        // Inside the try: whatever an id holds, a command that cannot be addressed is logged, never thrown.
        const session = `${base}/${encodeURIComponent(sessionId)}`
        const drop = command === 'drop'
        const url = drop ? session : `${session}/parties/${encodeURIComponent(party ?? '')}/${command}`
        const response = await withDeadline(
          (signal) =>
            fetchImpl(url, {
              method: drop ? 'DELETE' : 'POST',
              headers: drop
                ? { authorization: `Bearer ${token}` }
                : { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: drop ? undefined : JSON.stringify(body ?? {}),
              signal,
            }),
          timeoutMs,
        )
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
      } catch (error) {
        log.error('RingCentral command failed', { sessionId, command, error: errorMessage(error) })
        return false
      }
    }
    return true
  }

  return { send, hasToken: Boolean(token) }
}

export type CommandClient = ReturnType<typeof createCommandClient>
