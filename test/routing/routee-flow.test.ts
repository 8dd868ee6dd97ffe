import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { isRouteeDialPlan } from '../providers/routee-answer.ts'

interface Verb {
  type: string
  eventUrl?: string
  message?: { text: string }
  to?: { phone: string }
  from?: string
  duration?: number
}

const SECRET = 'routee-webhook-secret-0123456789'

/** The PIN flow of Routee's IVR tutorial, against the real server and the demo rules. */
describe('Routee PIN flow', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { WEBHOOK_SECRET: SECRET, ROUTEE_CALLER_ID: '+302111234567' } })
  })
  afterAll(() => server.close())

  const post = async (path: string, body: unknown) => {
    const response = await server.post(path, body)
    expect(response.status).toBe(200)
    const plan = (await response.json()) as { verbs: Verb[] }
    expect(isRouteeDialPlan(plan), JSON.stringify(plan)).toBe(true)
    return plan.verbs
  }
  const inbound = (callId: string, from = '+972539999999') =>
    post(`/webhooks/routee/${SECRET}`, { messageId: `m-${callId}`, conversationTrackingId: callId, from, to: '+302111234567' })
  /** Routee posts the tones to the eventUrl of the first COLLECT in the plan. */
  const typeInto = (verbs: Verb[], tones: string, callId: string) => {
    const url = new URL(verbs.find((verb) => verb.type === 'COLLECT')?.eventUrl as string)
    return post(url.pathname + url.search, { messageId: 'm', conversationTrackingId: callId, collectedTones: tones })
  }
  const texts = (verbs: Verb[]) => verbs.filter((verb) => verb.type === 'SAY').map((verb) => verb.message?.text)

  it('an unknown caller is asked for the PIN; the no-input path is in the same plan, under its one COLLECT', async () => {
    const verbs = await inbound('flow-1')
    expect(verbs.slice(0, 4).map((verb) => verb.type)).toEqual(['SAY', 'COLLECT', 'PAUSE', 'SAY'])
    expect(verbs.filter((verb) => verb.type === 'COLLECT')).toHaveLength(1)
    expect(texts(verbs)[0]).toBe('Please enter your account number and then press the pound key.')
    expect(texts(verbs)[1]).toBe('Sorry, that account number was not found. Please enter it again and then press the pound key.')
    expect(verbs[1]?.eventUrl).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/webhooks/routee/${SECRET}\\?state=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`),
    )
    expect(verbs[2]?.duration).toBe(10)
  })

  it('correct PIN → SAY + DIAL the account manager', async () => {
    const verbs = await typeInto(await inbound('flow-2'), '1,2,3,4,5,6,7,8', 'flow-2')
    expect(verbs).toEqual([
      {
        type: 'SAY',
        message: { language: 'en-GB', gender: 'female', text: 'Thank you, Dana Levi. Connecting you to John Doe.' },
        bargeIn: false,
      },
      { type: 'DIAL', from: '+302111234567', to: { phone: '+972541000101' }, hangupDelay: 60, maxDuration: 7200, record: false },
    ])
  })

  it('a PIN with a balance due is announced before the DIAL; tones as 1234# work too', async () => {
    const verbs = await typeInto(await inbound('flow-3'), '1234#', 'flow-3')
    expect(texts(verbs)).toEqual(['Your balance is 112, due on 2026-12-14. Connecting you to Sara Cohen.'])
    expect(verbs.at(-1)).toMatchObject({ type: 'DIAL', to: { phone: '+972541000102' } })
  })

  it('wrong PIN → try again; the third wrong PIN → a person', async () => {
    const first = await typeInto(await inbound('flow-4'), '9,9,9,9', 'flow-4')
    expect(texts(first)[0]).toBe('Sorry, that account number was not found. Please enter it again and then press the pound key.')
    const second = await typeInto(first, '8888', 'flow-4')
    expect(texts(second)[0]).toMatch(/^Sorry, that account number was not found/)
    const third = await typeInto(second, '7777', 'flow-4')
    expect(third).toEqual([
      { type: 'SAY', message: { language: 'en-GB', gender: 'female', text: 'Let me connect you to our team.' }, bargeIn: false },
      { type: 'DIAL', from: '+302111234567', to: { phone: '+972722776700' }, hangupDelay: 60, maxDuration: 7200, record: false },
    ])
    await server.settle()
    const attempts = server
      .openSideConnection()
      .prepare(`SELECT layer, attempt, dtmf, rule_name FROM decisions WHERE call_id = 'flow-4' ORDER BY id`)
      .all()
    expect(attempts).toEqual([
      { layer: '1', attempt: 1, dtmf: '', rule_name: 'Unknown callers are asked for their account number' },
      { layer: '5', attempt: 1, dtmf: '9999', rule_name: 'No or wrong account number: ask again (twice)' },
      { layer: '5', attempt: 2, dtmf: '8888', rule_name: 'No or wrong account number: ask again (twice)' },
      { layer: '5', attempt: 3, dtmf: '7777', rule_name: 'Third failed account number: a person takes the call' },
    ])
  })

  it('a known caller is routed by caller ID straight away', async () => {
    const verbs = await inbound('flow-5', '+972501234567')
    expect(verbs.at(-1)).toMatchObject({ type: 'DIAL', to: { phone: '+972541000101' } })
    expect(texts(verbs)).toEqual(['Hello Dana Levi, connecting you to John Doe.'])
  })

  it('a forged or tampered state gets the polite fallback, never trusted', async () => {
    const verbs = await inbound('flow-6')
    const url = new URL(verbs[1]?.eventUrl as string)
    const [header, payload, signature] = (url.searchParams.get('state') as string).split('.')
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, a: 1, s: '9' })).toString('base64url')
    for (const state of [`${header}.${forged}.${signature}`, 'not-a-token', `${header}.${payload}.${'A'.repeat(43)}`]) {
      const answer = await post(`${url.pathname}?state=${state}`, {
        messageId: 'm',
        conversationTrackingId: 'flow-6',
        collectedTones: '1234',
      })
      expect(texts(answer)).toEqual(['Connecting you to our team.'])
      expect(answer.at(-1)).toMatchObject({ type: 'DIAL', to: { phone: '+972722776700' } })
    }
    const replayed = await post(url.pathname + url.search, {
      messageId: 'm',
      conversationTrackingId: 'another-call',
      collectedTones: '12345678',
    })
    expect(texts(replayed)).toEqual(['Connecting you to our team.'])
    expect(server.logs.some((entry) => String(entry.fields?.reason).includes('belongs to another conversation'))).toBe(true)
  })

  it('an empty final COLLECT post (after hang-up) is acknowledged and recorded as a status, not routed as a retry', async () => {
    const url = new URL((await inbound('flow-7')).find((verb) => verb.type === 'COLLECT')?.eventUrl as string)
    const response = await server.post(url.pathname + url.search, { messageId: 'm', conversationTrackingId: 'flow-7', collectedTones: '' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    await server.settle()
    const rows = server.openSideConnection().prepare(`SELECT layer, action FROM decisions WHERE call_id = 'flow-7' ORDER BY id`).all()
    expect(rows).toEqual([
      { layer: '1', action: 'collect' },
      { layer: null, action: 'status:NoInput' },
    ])
  })

  it('status callbacks are recorded in the decision log', async () => {
    const response = await server.post(`/webhooks/routee/${SECRET}`, {
      messageId: 'm',
      conversationTrackingId: 'flow-2',
      to: '+302111234567',
      from: '+972501234567',
      status: { name: 'Completed', updatedDate: '2026-11-23T08:05:00Z' },
      direction: 'Inbound',
      duration: 95,
      price: 0.02,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    await server.settle()
    const row = server
      .openSideConnection()
      .prepare(`SELECT action, duration_ms FROM decisions WHERE call_id = 'flow-2' AND action LIKE 'status:%'`)
      .get()
    expect(row).toEqual({ action: 'status:Completed', duration_ms: 95_000 })
  })
})
