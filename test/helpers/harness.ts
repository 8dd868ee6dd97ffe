/**
 * A running service the shared suites talk to, whatever runs it: the Node server on 127.0.0.1
 * (node-harness.ts) or the Worker in workerd over D1 (test/workers/worker-harness.ts).
 */
export interface ServiceHarness {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  /** Rows in the decision log. */
  countDecisions(): Promise<number>
  /** Waits for the work done after answers (decision log, call logs). */
  settle(): Promise<void>
  close(): Promise<void>
}

export type StartHarness = (env?: Record<string, string>) => Promise<ServiceHarness>
