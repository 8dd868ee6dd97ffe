import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { isVoicenterAnswer } from '../providers/voicenter-answer.ts'

/**
 * `/(\d+)+x/` takes V8's backtracking engine 2^n steps on n typed digits (29 digits: 4 s, during which
 * every other call waits). Through the real server: the hostile call and an unrelated one made at the
 * same moment are both answered. With a backtracking engine, 40 digits would never return and this file
 * would time out; how long they take is measured in test/bench/regex-stall.ts, not asserted here.
 */
describe('a catastrophic rule pattern on typed digits', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
    const insert = server
      .openSideConnection()
      .prepare(
        `INSERT INTO rules (name, priority, from_layer, dtmf, action, to_layer, identify_by) VALUES (?, 1, '7', ?, 'go_to_layer', ?, 'none')`,
      )
    insert.run('nested repeat', '/(\\d+)+x/', '77')
    insert.run('nested repeat ending in #', '/^(\\d+)+#$/', '78')
  })
  afterAll(() => server.close())

  const answerOf = async (body: unknown) => {
    const response = await server.post('/webhooks/voicenter', body)
    expect(response.status).toBe(200)
    const json = await response.json()
    expect(isVoicenterAnswer(json), JSON.stringify(json)).toBe(true)
    return json
  }

  it('answers the caller typing 40 digits, and an unrelated call made at the same time', async () => {
    const [hostile, unrelated] = await Promise.all([
      answerOf(voicenterRequest({ LAYER_ID: '7', DTMF: '1'.repeat(40) })),
      answerOf(voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0539999999' })),
    ])
    // No x was typed, so the rule does not hold and the call goes on to the next rules.
    expect(hostile).not.toMatchObject({ LAYER: 77 })
    expect(unrelated).toMatchObject({ ACTION: 'GO_TO_LAYER', LAYER: 5 })
  })

  it('still matches what the pattern describes', async () => {
    expect(await answerOf(voicenterRequest({ LAYER_ID: '7', DTMF: `${'1'.repeat(40)}#` }))).toMatchObject({
      ACTION: 'GO_TO_LAYER',
      LAYER: 78,
    })
  })

  it('answers hundreds of digits, and ten thousand (over the matching bound)', async () => {
    const answers = await Promise.all([
      answerOf(voicenterRequest({ LAYER_ID: '7', DTMF: '9'.repeat(256) })),
      answerOf(voicenterRequest({ LAYER_ID: '7', DTMF: `${'9'.repeat(255)}#` })),
      answerOf(voicenterRequest({ LAYER_ID: '7', DTMF: `${'9'.repeat(9_999)}#` })),
      answerOf(voicenterRequest({ LAYER_ID: '1', CALLER_ID: '0539999999' })),
    ])
    expect(answers[0]).not.toMatchObject({ LAYER: 77 })
    expect(answers[1]).toMatchObject({ LAYER: 78 })
    // Ten thousand characters are never handed to the matcher, so even this one does not match.
    expect(answers[2]).not.toMatchObject({ LAYER: 78 })
    expect(answers[3]).toMatchObject({ LAYER: 5 })
  })
})
