/**
 * `npx node test/bench/retention.ts [rows] [batch size]`: how long the event loop is blocked while a purge
 * deletes old decisions: one DELETE of every row (what POST /admin/decisions/purge did before) against
 * retention's batches. Builds a throwaway database of realistic rows (~1 KB each) in the temp directory.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { lt } from 'drizzle-orm'
import { deleteExpired, expiredDecisions } from '../../src/db/retention.ts'
import { decisions } from '../../src/db/schema.ts'
import { openDatabase } from '../../src/runtime/node.ts'

const ROWS = Number(process.argv[2] ?? 448_000)
const BATCH = Number(process.argv[3] ?? 500)
const directory = mkdtempSync(join(tmpdir(), 'retention-bench-'))
const source = join(directory, 'source.db')

const build = () => {
  const { sqlite } = openDatabase(source)
  const insert = sqlite.prepare(
    `INSERT INTO decisions (at, provider, call_id, did, caller, dtmf, layer, attempt, lookup_key, lookup_outcome, contact_id,
       lookups, rule_id, rule_name, action, answer, reason, duration_ms, request)
     VALUES (?, 'voicenter', ?, '0722776772', ?, '1234', '5', 1, ?, 'found', ?, ?, 3, 'VIP to owner', 'dial', ?, ?, 12.5, ?)`,
  )
  const start = Date.parse('2025-01-01T00:00:00Z')
  sqlite.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const caller = `+97250${String(1_000_000 + (i % 9_000_000)).padStart(7, '0')}`
      insert.run(
        new Date(start + i * 60_000).toISOString(),
        `call-${i}-${(i * 2_654_435_761) % 4_294_967_296}`,
        caller,
        caller,
        String(i % 5_000),
        JSON.stringify([
          { plugin: 'local-directory', outcome: 'found', ms: 0.42 },
          { plugin: 'hubspot', outcome: 'skipped', ms: 0 },
        ]),
        JSON.stringify({
          STATUS: 0,
          ACTION: 'DIAL',
          DIAL: [{ TYPE: 'EXTENSION', TARGET: '101' }],
          MAX_CALL_DURATION: 7200,
          CUSTOM_DATA: { name: 'Dana Levi', segment: 'VIP' },
        }),
        'rule 3 "VIP to owner": segment = VIP; owner.extension present; mon-fri 09:00-17:30 Asia/Jerusalem',
        JSON.stringify({
          METHOD: 'IVR_LAYER_INPUT',
          DATA: { DID: '0722776772', CALLER_ID: caller.replace('+972', '0'), IVR_UNIQUE_ID: `call-${i}`, DTMF: '1234', LAYER_ID: '5' },
          CUSTOM_DATA: { campaign: 'winter-2025', agent_group: 'support', previous_layer: '4', notes: 'x'.repeat(120) },
        }),
      )
    }
  })()
  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  sqlite.close()
}

const copy = (name: string) => {
  const path = join(directory, name)
  copyFileSync(source, path)
  return openDatabase(path)
}

const ms = (value: number) => `${value.toFixed(1)} ms`

try {
  let started = performance.now()
  build()
  console.log(
    `${ROWS} decisions, ${(statSync(source).size / ROWS).toFixed(0)} bytes each on disk, built in ${ms(performance.now() - started)}`,
  )
  const before = new Date('2030-01-01T00:00:00Z')

  {
    const { sqlite, db } = copy('single.db')
    started = performance.now()
    const deleted = await db.delete(decisions).where(lt(decisions.at, before.toISOString())).returning({ id: decisions.id }).all()
    console.log(`single DELETE: ${deleted.length} rows in ${ms(performance.now() - started)} (the event loop is blocked all that time)`)
    sqlite.close()
  }

  {
    const { sqlite, db } = copy('batched.db')
    const delay = monitorEventLoopDelay({ resolution: 1 })
    const batches: number[] = []
    let deleted = 0
    started = performance.now()
    delay.enable()
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 0))
      const batchStart = performance.now()
      const { deleted: n } = await deleteExpired(db, expiredDecisions(before), { batchSize: BATCH, maxRows: BATCH, pauseMs: 0 })
      // deleteExpired yields once before its statement: that timer turn is counted here too, so these are upper bounds.
      batches.push(performance.now() - batchStart)
      deleted += n
      if (n < BATCH) break
    }
    delay.disable()
    const total = performance.now() - started
    batches.sort((a, b) => a - b)
    const at = (q: number) => batches[Math.min(batches.length - 1, Math.floor(q * batches.length))] as number
    console.log(
      `batches of ${BATCH}: ${deleted} rows in ${batches.length} statements, ${ms(total)} in all; ` +
        `per batch p50 ${ms(at(0.5))}, p99 ${ms(at(0.99))}, longest ${ms(at(1))}; ` +
        `longest event-loop delay ${ms(delay.max / 1e6)}`,
    )
    sqlite.close()
  }
} finally {
  rmSync(directory, { recursive: true, force: true })
}
