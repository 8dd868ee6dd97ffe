/** A decision-log row as stored, by its SQL column names (what the flows read back, on either runtime). */
export interface DecisionRecord {
  id: number
  at: string
  provider: string
  call_id: string | null
  did: string | null
  caller: string | null
  dtmf: string | null
  layer: string | null
  attempt: number | null
  lookup_key: string | null
  lookup_outcome: string | null
  contact_id: string | null
  lookups: string | null
  rule_id: number | null
  rule_name: string | null
  action: string | null
  answer: string | null
  reason: string | null
  duration_ms: number | null
  request: string | null
}

/** A call's rows, oldest first; with a provider, that provider's call of that id only. Bind callDecisionsParams. */
export const CALL_DECISIONS_SQL = 'SELECT * FROM decisions WHERE call_id = ? AND (? IS NULL OR provider = ?) ORDER BY id'
export const callDecisionsParams = (callId: string, provider?: string) => [callId, provider ?? null, provider ?? null] as const

/**
 * A running service the shared suites talk to, whatever runs it: the Node server on 127.0.0.1
 * (node-harness.ts) or the Worker in workerd over D1 (test/workers/worker-harness.ts).
 */
export interface ServiceHarness {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  get(path: string, headers?: Record<string, string>): Promise<Response>
  /** Rows in the decision log. */
  countDecisions(): Promise<number>
  /** One call's rows in the decision log, oldest first, once the work after the answers is done. */
  decisions(callId: string, provider?: string): Promise<DecisionRecord[]>
  /** Sends the call logs that are due to the CRM, as the outbox timer (Node) or the cron (Workers) does. */
  deliverCallLogs(): Promise<{ delivered: number; failed: number }>
  /** Waits for the work done after answers (decision log, call logs). */
  settle(): Promise<void>
  close(): Promise<void>
}

export type StartHarness = (env?: Record<string, string>) => Promise<ServiceHarness>
