/**
 * What the durable write before each answer costs on its own, at one connection: `npm run bench` runs it on the
 * Voicenter route's database once that route is measured (argv[2]), pinned to the server's CPU. It copies the
 * last decision and call state the server committed and commits rounds of one of each (new call ids, the same
 * sizes) through the server's own writer, one every millisecond so that each starts as a call at one
 * connection does: on an idle core. Prints one JSON line: p50 and p99 of a round, in µs.
 */
import { desc } from 'drizzle-orm'
import { callState, decisions } from '../../src/db/schema.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import { sqliteRecordWriter } from '../../src/runtime/sqlite-record-writer.ts'

const ROUNDS = 2_000
const database = openDatabase(process.argv[2] ?? '')
const [lastDecision] = await database.db.select().from(decisions).orderBy(desc(decisions.id)).limit(1)
const [lastState] = await database.db.select().from(callState).orderBy(desc(callState.updatedAt)).limit(1)
if (!lastDecision || !lastState) throw new Error('usage: commit-floor.ts <a database the server has routed calls into>')
const { id: _id, ...decision } = lastDecision
const write = sqliteRecordWriter(database)

const timings = new Float64Array(ROUNDS)
for (let round = 0; round < ROUNDS; round++) {
  await new Promise((resolve) => setTimeout(resolve, 1))
  const callId = `floor-${process.pid}-${round}`
  const started = performance.now()
  write({ decisions: [{ ...decision, callId }], callStates: [{ ...lastState, callId }], callLogs: [] })
  timings[round] = (performance.now() - started) * 1000
}
timings.sort()
database.sqlite.close()
const percentile = (p: number) => Math.round(timings[Math.floor((p / 100) * ROUNDS)] ?? 0)
console.log(JSON.stringify({ p50: percentile(50), p99: percentile(99) }))
