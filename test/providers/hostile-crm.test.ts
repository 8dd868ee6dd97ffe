import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Contact } from '../../src/crm/plugin.ts'
import { isSafeText, TEXT_CAPS } from '../../src/lib/safe-text.ts'
import { MAX_SCREEN_POP_ENTRIES } from '../../src/providers/safe-render.ts'
import { fakeCrm } from '../helpers/fake-crm.ts'
import { type FakeRingCentral, startFakeRingCentral } from '../helpers/fake-ringcentral.ts'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { isRouteeDialPlan } from './routee-answer.ts'
import { isStringeeScco } from './stringee-answer.ts'
import { isVoicenterAnswer } from './voicenter-answer.ts'
import { isVoipNowAnswer } from './voipnow-answer.ts'
import { ALL_UNSAFE, HOSTILE, HOSTILE_AS_LINE, wireProblems } from './wire-safety.ts'

const BIG = 'N'.repeat(200_000)

/** A CRM record written by someone who wants to break the answers: every value hostile, some huge. */
const hostileContact = (extension: string): Contact => ({
  id: `id-${HOSTILE}`,
  source: 'hostile-crm',
  name: `${HOSTILE}${BIG}`,
  company: ALL_UNSAFE,
  segment: 'VIP',
  tags: [HOSTILE, ALL_UNSAFE],
  owner: { name: `${ALL_UNSAFE}${BIG}`, email: HOSTILE, extension, phone: '+972541000101', layer: '22' },
  fields: {
    [HOSTILE]: HOSTILE,
    [ALL_UNSAFE]: ALL_UNSAFE,
    big: BIG,
    // A screen-pop value is cut at 128 UTF-16 units by the rules: this one is cut inside a surrogate pair.
    split: `${'x'.repeat(127)}😀`,
    ...Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`f${index}`, `${ALL_UNSAFE}${index}`])),
  },
})

/** The caller whose owner's extension is clean (every rule's answer carries the contact), and one whose is not. */
const CLEAN_EXTENSION = '+972501234567'
const HOSTILE_EXTENSION = '+972501234568'
const contactFor = (phone: string) => hostileContact(phone === HOSTILE_EXTENSION ? `101${HOSTILE}` : '101')

const callers = [
  ['an owner with a clean extension', CLEAN_EXTENSION],
  ['an owner with a hostile extension', HOSTILE_EXTENSION],
] as const

/** A contact of hostile values from a CRM, through the real server, the demo rules and every provider. */
describe('a hostile CRM contact', () => {
  let server: TestServer
  let fake: FakeRingCentral
  beforeAll(async () => {
    fake = await startFakeRingCentral()
    server = await startTestServer({
      plugins: [fakeCrm('hostile-crm', { findByPhone: async (phone) => contactFor(phone) })],
      env: { CRM_PLUGINS: 'hostile-crm', RINGCENTRAL_TOKEN: fake.token, RINGCENTRAL_API_URL: fake.url, RINGCENTRAL_DEFAULT_COUNTRY: 'IL' },
    })
  })
  afterAll(async () => {
    await server.close()
    await fake.close()
  })

  const answer = async (provider: string, body: unknown) => {
    const response = await server.post(`/webhooks/${provider}`, body)
    return { status: response.status, text: await response.text() }
  }

  it.each(callers)('Voicenter: DIAL with CALLER_NAME and CUSTOM_DATA within their caps (%s)', async (_, phone) => {
    const { status, text } = await answer('voicenter', voicenterRequest({ LAYER_ID: '1', CALLER_ID: `0${phone.slice(4)}` }))
    expect(status).toBe(200)
    expect(wireProblems(text, { CALLER_NAME: TEXT_CAPS.name }), text.slice(0, 1000)).toEqual([])
    const body = JSON.parse(text) as { ACTION: string; CALLER_NAME?: string; CUSTOM_DATA?: Record<string, string> }
    expect(isVoicenterAnswer(body), text.slice(0, 1000)).toBe(true)
    expect(body.ACTION).toBe('DIAL')
    expect(body.CALLER_NAME?.startsWith(HOSTILE_AS_LINE)).toBe(true)
    expect(Object.keys(body.CUSTOM_DATA ?? {}).length).toBe(MAX_SCREEN_POP_ENTRIES)
    expect(body.CUSTOM_DATA?.split).toBe(`${'x'.repeat(127)}\ufffd`)
  })

  it.each(callers)('VoipNow: well-formed XML with SetCaller and SetVar (%s)', async (_, phone) => {
    const { status, text } = await answer('voipnow', {
      CallID: `v-${phone}`,
      CallerIDNum: phone,
      CalledDID: '0722776772',
      CallStatus: 'CALLING',
      layer: '1',
    })
    expect(status).toBe(200)
    expect(isVoipNowAnswer(text), text.slice(0, 1000)).toBe(true)
    expect(wireProblems(text), text.slice(0, 1000)).toEqual([])
    const name = /<SetCaller name="([^"]*)"/.exec(text)?.[1]
    expect(name).toBeDefined()
    expect(name?.replace(/&\w+;/g, '_').length).toBeLessThanOrEqual(TEXT_CAPS.name)
    expect(text.match(/<SetVar /g)?.length).toBeGreaterThan(0)
    expect(text.length).toBeLessThan(100_000)
  })

  it.each(callers)('Routee: SAY text within the text-to-speech cap (%s)', async (_, phone) => {
    const { status, text } = await answer('routee', { conversationTrackingId: `r-${phone}`, from: phone, to: '+302111234567' })
    expect(status).toBe(200)
    expect(wireProblems(text, { text: TEXT_CAPS.text }), text.slice(0, 1000)).toEqual([])
    const body = JSON.parse(text) as { verbs: { type: string; message?: { text: string } }[] }
    expect(isRouteeDialPlan(body), text.slice(0, 1000)).toBe(true)
    expect(body.verbs.map((verb) => verb.type)).toEqual(['SAY', 'DIAL'])
    // Text to speech keeps tab and line breaks (harmless pauses); the rest is removed or replaced.
    expect(body.verbs[0]?.message?.text.startsWith('Hello a\t\n\r\ufffd]]><&"\'\\\ufffdzN')).toBe(true)
  })

  it.each(callers)('Stringee: connect with a capped alias and screen pop (%s)', async (_, phone) => {
    const { status, text } = await answer('stringee', { from: phone, to: '842471001234', uuid: `s-${phone}` })
    expect(status).toBe(200)
    expect(wireProblems(text, { alias: TEXT_CAPS.name }), text.slice(0, 1000)).toEqual([])
    const body = JSON.parse(text) as { action: string; to?: { alias: string }; customData?: string }[]
    expect(isStringeeScco(body), text.slice(0, 1000)).toBe(true)
    const connect = body.find((action) => action.action === 'connect')
    expect(connect?.to?.alias.startsWith(HOSTILE_AS_LINE)).toBe(true)
    expect(Object.keys(JSON.parse(connect?.customData ?? '{}') as object).length).toBe(MAX_SCREEN_POP_ENTRIES)
  })

  it.each(callers)('RingCentral: the Forward reaches the fake at a well-formed URL with a safe body (%s)', async (_, phone) => {
    fake.commands.length = 0
    const sessionId = `s-rc-${phone}`
    const { status } = await answer('ringcentral', {
      inParty: { id: 'cs-2', from: { phoneNumber: phone }, to: { phoneNumber: '+16505550100' } },
      partyId: 'cs-1',
      sessionId,
    })
    expect(status).toBe(204)
    await fake.waitFor(1)
    expect(fake.commands).toMatchObject([{ session: sessionId, party: 'cs-1', command: 'forward' }])
    expect(wireProblems(JSON.stringify(fake.commands[0]?.body))).toEqual([])
    expect(fake.commands[0]?.body.extensionNumber).toBe(phone === CLEAN_EXTENSION ? '101' : `101${HOSTILE_AS_LINE.replace(/ /g, '')}`)
  })

  it('RingCentral: ids with a lone surrogate or a control character never throw; any command goes to a well-formed URL', async () => {
    fake.commands.length = 0
    const bodies = [
      ...['s-\ud800', 's-\udc00x', 's-\u0000'].map((sessionId) => ({
        inParty: { id: 'cs-2', from: { phoneNumber: CLEAN_EXTENSION }, to: { phoneNumber: '+16505550100' } },
        partyId: 'cs-1',
        sessionId,
      })),
      {
        inParty: { id: 'cs-2', from: { phoneNumber: CLEAN_EXTENSION }, to: { phoneNumber: '+16505550100' } },
        partyId: 'cs-\ud800',
        sessionId: 's-party',
      },
    ]
    for (const body of bodies) expect((await answer('ringcentral', body)).status).toBe(204)
    await server.settle()
    await new Promise((resolve) => setTimeout(resolve, 200))
    // Whether the request is refused at parse or its text made well-formed on the way in, what reaches the
    // fake was addressed by a URL it could decode, to ids no longer holding what was unsafe.
    for (const command of fake.commands) {
      expect(isSafeText(command.session, 'id'), command.session).toBe(true)
      expect(isSafeText(command.party, 'id'), command.party).toBe(true)
    }
    expect(server.logs.filter((entry) => entry.level === 'error')).toEqual([])
  })
})
