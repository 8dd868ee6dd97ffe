import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { PROVIDER_CAPABILITIES } from '../../src/providers/capabilities.ts'
import { judgeCapabilities } from '../../src/rules/capability-check.ts'
import { loadRuleSnapshot } from '../../src/rules/rule-cache.ts'
import { openDatabase } from '../../src/runtime/node.ts'
import caseExample from '../fixtures/voicenter/case-example.json' with { type: 'json' }
import layerInput from '../fixtures/voicenter/layer-input.json' with { type: 'json' }
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { isVoicenterAnswer } from '../providers/voicenter-answer.ts'

describe('the demo data answers the Voicenter docs examples', () => {
  let server: TestServer
  let saturday: TestServer
  beforeAll(async () => {
    server = await startTestServer()
    saturday = await startTestServer({ clock: () => new Date('2026-11-28T09:00:00Z') })
  })
  afterAll(async () => {
    await server.close()
    await saturday.close()
  })

  const answer = async (body: unknown, target = server) => {
    const response = await target.post('/webhooks/voicenter', body)
    expect(response.status).toBe(200)
    const json = await response.json()
    expect(isVoicenterAnswer(json), JSON.stringify(json)).toBe(true)
    return json
  }

  it('request example (account 1234 with a balance due) → SAY_DIGITS', async () => {
    expect(await answer(layerInput)).toEqual({
      STATUS: 0,
      ACTION: 'SAY_DIGITS',
      NEXT_LAYER: 12,
      NEXT_LAYER_IF_FAILED: 12,
      LANGUAGE: 'EN',
      DATA: [
        { RecordType: 'Recording', Content: 'your_balance_is.mp3' },
        { RecordType: 'Number', Content: '112' },
        { RecordType: 'Recording', Content: 'due_on.mp3' },
        { RecordType: 'Date', Content: '2026-12-14' },
      ],
    })
  })

  it('case example (ID 12345678 typed on layer 5) → GO_TO_LAYER 12 with the screen pop', async () => {
    expect(await answer(caseExample)).toEqual({
      STATUS: 0,
      ACTION: 'GO_TO_LAYER',
      LAYER: 12,
      CALLER_NAME: 'Dana Levi',
      CUSTOM_DATA: {
        CRM_ID: '1',
        CRM_SOURCE: 'local-directory',
        NAME: 'Dana Levi',
        COMPANY: 'Acme Ltd',
        SEGMENT: 'VIP',
        TAGS: 'vip,enterprise',
        OWNER: 'John Doe',
        OWNER_EMAIL: 'john@example.com',
        CRM_client_ID: '12345',
        Last_ticket_ID: '222',
        balance: '0',
      },
    })
  })

  it('a VIP calling the greeting layer → DIAL to their account manager', async () => {
    expect(await answer(voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0501234567' }))).toMatchObject({
      STATUS: 0,
      ACTION: 'DIAL',
      CALLER_ID: '0501234567',
      CALLER_NAME: 'Dana Levi',
      MAX_CALL_DURATION: 7200,
      MAX_DIAL_DURATION: 30,
      NEXT_VO_ID: 20,
      RECORDING: 'yes',
      TARGETS: [{ TYPE: 'EXTENSION', TARGET: '101' }],
      CUSTOM_DATA: { NAME: 'Dana Levi', OWNER: 'John Doe' },
    })
  })

  it.each(['0501234567', '+972501234567', '972501234567', '050-123-4567'])('finds the caller %s in any number format', async (caller) => {
    expect(await answer(voicenterRequest({ LAYER_ID: '1', CALLER_ID: caller }))).toMatchObject({ ACTION: 'DIAL', CALLER_NAME: 'Dana Levi' })
  })

  it("a known caller → their account manager's layer; a mobile number finds them too", async () => {
    for (const caller of ['0541112233', '0771112233']) {
      expect(await answer(voicenterRequest({ LAYER_ID: '1', CALLER_ID: caller }))).toMatchObject({
        ACTION: 'GO_TO_LAYER',
        LAYER: 23,
        CALLER_NAME: 'Moshe Cohen',
      })
    }
  })

  it('an unknown caller → the account number layer', async () => {
    expect(await answer(voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0539999999' }))).toEqual({
      STATUS: 0,
      ACTION: 'GO_TO_LAYER',
      LAYER: 5,
      CUSTOM_DATA: {},
    })
  })

  it('a known caller without an owner → the operators fallback', async () => {
    expect(await answer(voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0527654321' }))).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 20 })
  })

  it('on Saturday the greeting layer goes to voicemail', async () => {
    expect(await answer(voicenterRequest({ LAYER_ID: '1' }), saturday)).toEqual({
      STATUS: 0,
      ACTION: 'GO_TO_LAYER',
      LAYER: 30,
      CUSTOM_DATA: {},
    })
  })
})

describe('the demo data on every provider', () => {
  it('every demo rule and fallback can answer on every provider it applies to (rules:check passes it with no warning)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'demo-seed-'))
    const { sqlite, db } = openDatabase(join(directory, 'demo.db'))
    try {
      expect(await seedDemoData(db)).toBe(true)
      const snapshot = await loadRuleSnapshot(db, { timeZone: 'UTC' })
      expect([snapshot.rules.length, snapshot.fallbacks.length, snapshot.invalid]).toEqual([8, 2, []])
      const verdicts = [
        ...snapshot.rules.map((rule) => [rule.name, judgeCapabilities(rule, PROVIDER_CAPABILITIES, 'rule')] as const),
        ...snapshot.fallbacks.map((row) => [row.name, judgeCapabilities(row, PROVIDER_CAPABILITIES, 'fallback')] as const),
      ]
      for (const [name, verdict] of verdicts) expect([name, verdict]).toEqual([name, { warnings: [] }])
    } finally {
      sqlite.close()
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
