import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtinPlugins } from '../../plugins/index.ts'
import type { RuleRow } from '../../src/db/schema.ts'
import type { ActiveProvider } from '../../src/providers/provider.ts'
import { answerGap } from '../../src/rules/capability-check.ts'
import { evaluate } from '../../src/rules/engine.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { createService } from '../../src/service.ts'
import { sampleCall } from '../helpers/sample-call.ts'
import { recordingLogger } from '../helpers/test-server.ts'
import { rule } from './rows.ts'

/**
 * Rows with nothing left to the call (no template): what a provider's capabilities say of them when they
 * are written must be what its own `check` says of them on every call. A capability that refuses more than
 * the check would refuse rules that work; one that refuses less lets rules in that never fire.
 */
const FIXED_ROWS: Partial<RuleRow>[] = [
  { action: 'go_to_layer', toLayer: '12' },
  { action: 'go_to_layer', toLayer: 'abc' },
  { action: 'go_to_layer', toLayer: 'agents:101:2' },
  { action: 'go_to_layer', toLayer: 'pin entry' },
  { action: 'say', say: 'number:12', toLayer: '12', language: 'EN' },
  { action: 'say', say: 'number:12.50', toLayer: '12' },
  { action: 'say', say: 'text:Your balance is', toLayer: '12' },
  { action: 'say', say: 'recording:balance.mp3, digits:1234', toLayer: '12', language: 'FR' },
  { action: 'say', say: 'digits:1234', toLayer: '12', language: 'he', options: '{"failed_layer": "x"}' },
  { action: 'say', say: 'date:2026-12-14', toLayer: 'main', options: '{"failed_layer": "20"}' },
  { action: 'collect', toLayer: '5', say: 'text:Please enter your account number.' },
  { action: 'collect', toLayer: 'pin', say: 'recording:https://example.com/enter.wav' },
  { action: 'collect', toLayer: '5', say: 'recording:enter.wav' },
  { action: 'collect', toLayer: '5', say: 'text:Shalom', language: 'HE' },
  { action: 'collect', toLayer: '5', say: 'text:Hello', language: 'en-GB' },
  { action: 'collect', toLayer: '5', say: 'text:Bonjour', language: 'FR' },
  { action: 'collect', toLayer: '5', say: 'recording:https://example.com/enter.wav', language: 'HE' },
  { action: 'collect', toLayer: '5' },
  { action: 'hangup', toLayer: null, say: 'text:Goodbye' },
  { action: 'hangup', toLayer: null, say: 'recording:https://example.com/bye.wav' },
  { action: 'hangup', toLayer: null },
  { action: 'dial', toLayer: null, dial: 'extension:100' },
  { action: 'dial', toLayer: null, dial: 'extension:100', options: '{"failed_layer": 20}' },
  { action: 'dial', toLayer: 'x', dial: 'extension:100' },
  { action: 'dial', toLayer: null, dial: 'phone:+972501234567', options: '{"failed_layer": 20}' },
  { action: 'dial', toLayer: null, dial: 'phone:0501234567', options: '{"failed_layer": 20}' },
  { action: 'dial', toLayer: null, dial: 'phone:0501234567, phone:+30 210 123 4567', options: '{"failed_layer": 20}' },
  { action: 'dial', toLayer: '20', dial: 'phone:+972501234567', say: 'text:Connecting you', language: 'FR' },
  { action: 'dial', toLayer: '20', dial: 'extension:100', say: 'recording:https://example.com/connecting.wav' },
  { action: 'voicemail', toLayer: null, say: 'text:Please leave a message after the tone.' },
  { action: 'voicemail', toLayer: null, options: '{"max_message_seconds": 30}' },
  { action: 'hangup', toLayer: null, say: 'text:Goodbye', options: '{"sms": "Pay at example.com"}' },
  { action: 'voicemail', toLayer: null, options: '{"sms": "We will call you back"}' },
  { action: 'dial', toLayer: '20', dial: 'phone:+972501234567', options: '{"sms": "Your case is 42"}' },
  { action: 'provider_default', toLayer: null },
]

describe("each built-in provider's capabilities agree with its own check", () => {
  let directory: string
  let database: NodeDatabase
  let providers: Map<string, ActiveProvider>
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'capabilities-agree-'))
    database = openDatabase(join(directory, 'agree.db'))
    const service = await createService({ db: database.db, env: {}, plugins: builtinPlugins, log: recordingLogger().log })
    providers = service.providers
  })
  afterAll(() => {
    database.sqlite.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('on every row with fixed values', () => {
    const disagreements: string[] = []
    for (const [id, provider] of providers) {
      for (const overrides of FIXED_ROWS) {
        const row = rule({ identifyBy: 'none', ...overrides })
        const gap = answerGap(row.then, provider.capabilities)
        const { trace } = evaluate(
          { revision: 1, rules: [row], fallbacks: [], invalid: [] },
          { event: sampleCall({ provider: id }), at: new Date('2026-11-23T12:00:00Z'), attempt: 1, lookups: {} },
          { language: 'EN', maxCallDuration: 3600, maxDialDuration: 60, record: false },
          provider.handler.check,
        )
        const refusal = trace[0]?.matched ? undefined : trace[0]?.reason
        if (Boolean(gap) !== Boolean(refusal)) {
          disagreements.push(
            `${id} ${JSON.stringify(overrides)}: capabilities say ${gap ? gap.reason : 'fine'}, check says ${refusal ?? 'fine'}`,
          )
        }
      }
    }
    expect(disagreements).toEqual([])
  })
})
