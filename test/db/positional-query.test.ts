import { describe, expect, it } from 'vitest'
import { roundStatements } from '../../src/db/decision-log.ts'
import { positionalQuery } from '../../src/db/positional-query.ts'
import { openDatabase } from '../../src/runtime/node.ts'

describe('positional query', () => {
  const { db, sqlite } = openDatabase(':memory:')
  const upsertLog = positionalQuery(roundStatements(db).upsertCallLog)

  it("lays a row's fields out in the order of the SQL's parameters, with the query's own values kept and a missing field NULL", () => {
    const row = { plugin: 'hubspot', kind: 'log_call', provider: 'voicenter', callId: 'c-1', payload: '{}', nextAttemptAt: 5 }
    const values = upsertLog.values(row)
    expect(values).toHaveLength((upsertLog.sql.match(/\?/g) ?? []).length)
    // plugin, kind, provider, call_id, payload, attempts (0, the column default), next_attempt_at, created_at (missing), accepting (1)
    expect(values).toEqual(['hubspot', 'log_call', 'voicenter', 'c-1', '{}', 0, 5, null, 1])
  })

  it('runs as the statement drizzle would have run', () => {
    const row = {
      plugin: 'hubspot',
      kind: 'log_call',
      provider: 'voicenter',
      callId: 'c-2',
      payload: '{"summary":"a"}',
      nextAttemptAt: 1,
      createdAt: 'now',
    }
    sqlite.prepare(upsertLog.sql).run(upsertLog.values(row))
    expect(sqlite.prepare('SELECT call_id, attempts, accepting, created_at FROM outbox').get()).toEqual({
      call_id: 'c-2',
      attempts: 0,
      accepting: 1,
      created_at: 'now',
    })
  })
})
