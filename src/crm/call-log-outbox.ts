import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../db/database.ts'
import type { DecisionLog } from '../db/decision-log.ts'
import { outbox } from '../db/schema.ts'
import { withDeadline } from '../lib/deadline.ts'
import { errorMessage, type Logger } from '../lib/logger.ts'
import type { CallEvent } from '../model/call-event.ts'
import type { ChainedClient } from './lookup-service.ts'
import { type CallLogEntry, type Contact, RateLimitedError } from './plugin.ts'

/** The outbox `kind` of a call log (the console's call timeline reads a call's logs by it). */
export const CALL_LOG_KIND = 'log_call'

export interface CallLogOutbox {
  /**
   * Queues a call log for the CRM the contact came from. Decisions of one call made while its log is still
   * waiting are added to the same log, so one call makes one engagement, not one per IVR layer.
   */
  enqueue(item: { event: CallEvent; contact: Contact; at: Date; summary: string }): Promise<void>
  /** Whether contacts from this plugin get call logs (only plugins that write them to their CRM). */
  logs(source: string): boolean
  /** Adds how the call ended to its log, if the log has not gone out yet. */
  annotate(provider: string, callId: string, outcome: { status: string; durationMs?: number }): Promise<void>
  /** Delivers what is due; failures are retried later with backoff. */
  deliverDue(limit?: number): Promise<{ delivered: number; failed: number }>
}

export interface CallLogOutboxOptions {
  db: Database
  /** Commits new and extended logs with the round's decisions (the decision log). */
  writes: Pick<DecisionLog, 'saveCallLog'>
  chain: ChainedClient[]
  log: Logger
  /** How long a call's log waits for more decisions of the same call before it is sent. */
  delayMs: number
  /** Attempts before an entry is left for a person to look at. */
  maxAttempts: number
  /** Per delivery attempt. */
  timeoutMs?: number
  now?: () => number
}

interface Payload {
  contact: Contact
  from: string
  to: string
  at: string
  summary: string
  status?: string
  durationMs?: number
}

export const createCallLogOutbox = ({
  db,
  writes,
  chain,
  log,
  delayMs,
  maxAttempts,
  timeoutMs = 10_000,
  now = Date.now,
}: CallLogOutboxOptions): CallLogOutbox => {
  const loggers = new Map(chain.filter((entry) => entry.client.logCall).map((entry) => [entry.id, entry.client]))
  let delivering: Promise<{ delivered: number; failed: number }> | undefined

  const deliver = async (limit: number) => {
    const due = await db
      .select()
      .from(outbox)
      .where(and(isNull(outbox.deliveredAt), lte(outbox.nextAttemptAt, now()), sql`${outbox.attempts} < ${maxAttempts}`))
      .orderBy(asc(outbox.nextAttemptAt))
      .limit(limit)
      .all()
    let delivered = 0
    let failed = 0
    for (const row of due) {
      const client = loggers.get(row.plugin)
      try {
        if (!client?.logCall) throw new Error(`plugin "${row.plugin}" is not in CRM_PLUGINS or cannot log calls`)
        const payload = JSON.parse(row.payload) as Payload
        const entry: CallLogEntry = {
          provider: row.provider,
          callId: row.callId,
          contact: payload.contact,
          direction: 'inbound',
          from: payload.from,
          to: payload.to,
          at: new Date(payload.at),
          summary: payload.status ? `${payload.summary}\nCall ended: ${payload.status}` : payload.summary,
          durationMs: payload.durationMs,
          status: payload.status,
        }
        // Closed before it is sent: a decision of the call made while it is on its way starts a new entry
        // instead of adding a line that would never be sent.
        if (row.accepting !== null) await db.update(outbox).set({ accepting: null }).where(eq(outbox.id, row.id)).run()
        await withDeadline(() => (client.logCall as (entry: CallLogEntry) => Promise<void>)(entry), timeoutMs)
        await db
          .update(outbox)
          .set({ deliveredAt: new Date(now()).toISOString(), lastError: null, accepting: null })
          .where(eq(outbox.id, row.id))
          .run()
        delivered++
      } catch (error) {
        failed++
        const attempts = row.attempts + 1
        const waitMs = error instanceof RateLimitedError ? error.retryAfterMs : backoffMs(attempts)
        await db
          .update(outbox)
          .set({ attempts, nextAttemptAt: now() + waitMs, lastError: errorMessage(error), accepting: null })
          .where(eq(outbox.id, row.id))
          .run()
        const fields = { plugin: row.plugin, callId: row.callId, attempts, error: errorMessage(error) }
        if (attempts >= maxAttempts) log.error('call log given up; it stays in the outbox table for OUTBOX_FAILED_RETENTION_DAYS', fields)
        else log.warn('call log delivery failed; will retry', { ...fields, retryInMs: waitMs })
      }
    }
    return { delivered, failed }
  }

  return {
    logs: (source) => loggers.has(source),
    async enqueue({ event, contact, at, summary }) {
      if (!loggers.has(contact.source)) return
      const payload: Payload = {
        contact,
        from: event.caller ?? event.callerRaw,
        to: event.didE164 ?? event.did,
        at: at.toISOString(),
        summary,
      }
      // Committed with the decision's round; a call whose entry has not been tried yet gets this line
      // appended to it instead (roundStatements.upsertCallLog), so one call makes one engagement.
      const { error } = await writes.saveCallLog({
        plugin: contact.source,
        kind: CALL_LOG_KIND,
        provider: event.provider,
        callId: event.callId,
        payload: JSON.stringify(payload),
        nextAttemptAt: now() + delayMs,
        createdAt: new Date(now()).toISOString(),
      })
      if (error !== undefined) throw error
    },
    async annotate(provider, callId, outcome) {
      const pending = await db
        .select({ id: outbox.id, payload: outbox.payload })
        .from(outbox)
        .where(and(eq(outbox.kind, CALL_LOG_KIND), eq(outbox.provider, provider), eq(outbox.callId, callId), isNull(outbox.deliveredAt)))
        .all()
      for (const row of pending) {
        const payload = { ...(JSON.parse(row.payload) as Payload), ...outcome }
        await db
          .update(outbox)
          .set({ payload: JSON.stringify(payload) })
          .where(eq(outbox.id, row.id))
          .run()
      }
    },
    deliverDue(limit = 50) {
      // One delivery run at a time: a slow CRM must not get the same entry twice.
      delivering ??= deliver(limit).finally(() => {
        delivering = undefined
      })
      return delivering
    },
  }
}

/** 5 s, 10 s, 20 s … up to an hour. */
const backoffMs = (attempts: number) => Math.min(5_000 * 2 ** (attempts - 1), 3_600_000)
