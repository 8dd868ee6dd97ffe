import { describe, expect, it } from 'vitest'
import type { Contact } from '../../src/crm/plugin.ts'
import { compileContactMatch } from '../../src/rules/contact-match.ts'
import type { Scope } from '../../src/rules/scope.ts'
import { sampleCall } from '../helpers/sample-call.ts'

const call = sampleCall()

const contact: Contact = {
  id: 'c-1',
  source: 'local',
  name: 'Dana Levi',
  company: 'Acme Industries',
  owner: { name: 'Ron', email: 'ron@example.com', extension: '101' },
  segment: 'VIP',
  tags: ['Gold', 'newsletter'],
  fields: { balance: '250', debt: '-40', plan: 'pro', empty: '', blank: '  ', note: 'abc' },
}

const scope: Scope = { call, attempt: 1, contact }
const holds = (source: string, on: Scope = scope) => compileContactMatch(source).failure(on) === undefined

describe('compileContactMatch', () => {
  it('keeps the source as written', () => {
    expect(compileContactMatch('segment = VIP').source).toBe('segment = VIP')
  })

  describe('equality', () => {
    it.each([
      ['segment = VIP', true],
      ['segment=VIP', true],
      ['segment = vip', true],
      ['segment = Gold', false],
      ['segment = VIP, Gold', true],
      ['segment = Gold,vip', true],
      ['segment = Gold, Silver', false],
      ['segment = "VIP"', true],
      ["segment = 'vip'", true],
      ['segment = VI', false],
      ['fields.plan = PRO', true],
      ['owner.extension = 101', true],
      ['contact.name = dana levi', true],
      ['name = Dana Levi', true],
      ['fields.missing = x', false],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })
  })

  describe('inequality', () => {
    it.each([
      ['segment != blocked', true],
      ['segment != VIP', false],
      ['segment != vip', false],
      ['segment!=VIP', false],
      ['segment != blocked, vip', false],
      ['segment != blocked, spam', true],
      ['fields.missing != x', true],
      ['fields.empty != x', true],
      ['tags != gold', false],
      ['tags != spam', true],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })
  })

  describe('tags', () => {
    it.each([
      ['tags = gold', true],
      ['tags = GOLD', true],
      ['tags = newsletter', true],
      ['tags = vip', false],
      ['tags = vip, newsletter', true],
      ['tags = gol', false],
      ['tags ~ news', true],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })

    it('never holds for a contact without tags', () => {
      expect(holds('tags = gold', { call, attempt: 1, contact: { ...contact, tags: [] } })).toBe(false)
    })
  })

  describe('contains', () => {
    it.each([
      ['company ~ acme', true],
      ['company ~ INDUSTRIES', true],
      ['company ~ "acme ind"', true],
      ['company ~ globex', false],
      ['company !~ globex', true],
      ['company !~ acme', false],
      ['fields.missing ~ a', false],
      ['fields.missing !~ a', true],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })
  })

  describe('numbers', () => {
    it.each([
      ['fields.balance > 100', true],
      ['fields.balance > 250', false],
      ['fields.balance >= 250', true],
      ['fields.balance >= 251', false],
      ['fields.balance < 250', false],
      ['fields.balance < 251', true],
      ['fields.balance <= 250', true],
      ['fields.balance <= 249.5', false],
      ['fields.balance>100', true],
      ['fields.debt < 0', true],
      ['fields.debt > -50', true],
      ['fields.balance > 1e2', true],
      ['fields.plan > 0', false],
      ['fields.plan < 0', false],
      ['fields.empty < 1', false],
      ['fields.blank < 1', false],
      ['fields.blank >= 0', false],
      ['fields.missing < 1', false],
      ['fields.missing >= 0', false],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })
  })

  describe('presence', () => {
    it.each([
      ['owner.extension', true],
      ['owner.phone', false],
      ['!owner.phone', true],
      ['!owner.extension', false],
      ['! owner.extension', false],
      ['fields.empty', false],
      ['!fields.empty', true],
      ['segment', true],
      ['tags', true],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })

    it('checks that the contact has an owner at all', () => {
      const ownerless: Scope = { call, attempt: 1, contact: { ...contact, owner: undefined } }
      expect(holds('!owner', ownerless)).toBe(true)
      expect(holds('owner.name', ownerless)).toBe(false)
      expect(holds('!owner', { call, attempt: 1, contact: { ...contact, owner: {} } })).toBe(true)
    })

    it('sees no values without a contact', () => {
      const anonymous: Scope = { call, attempt: 1 }
      expect(holds('!owner', anonymous)).toBe(true)
      expect(holds('segment', anonymous)).toBe(false)
      expect(holds('segment != blocked', anonymous)).toBe(true)
      expect(holds('segment = VIP', anonymous)).toBe(false)
    })
  })

  describe('several conditions', () => {
    it.each([
      ['segment = VIP; owner.extension', true],
      ['segment = VIP;owner.phone', false],
      ['segment = VIP and owner.extension', true],
      ['segment = VIP AND fields.balance > 100', true],
      ['segment = VIP And fields.balance > 1000', false],
      ['segment = VIP; ', true],
      ['segment = Gold; owner.extension', false],
      ['segment = VIP \t and\n  owner.extension', true],
    ])('%j → %s', (source, expected) => {
      expect(holds(source)).toBe(expected)
    })

    it('splits at "and" after a long run of spaces (rule text is split in linear time)', () => {
      const match = compileContactMatch(`segment = VIP${' '.repeat(20_000)}and${' '.repeat(20_000)}owner.phone`)
      expect(match.failure(scope)).toBe('owner.phone')
    })

    it('reports the first condition that fails, as written', () => {
      const match = compileContactMatch('segment = VIP; fields.balance > 1000 and owner.phone')
      expect(match.failure(scope)).toBe('fields.balance > 1000')
      expect(match.failure({ call, attempt: 1, contact: { ...contact, fields: { balance: '5000' } } })).toBe('owner.phone')
      expect(match.failure({ call, attempt: 1, contact: { ...contact, segment: 'Gold' } })).toBe('segment = VIP')
    })

    it('reads call fields too', () => {
      expect(holds('call.layer = 5')).toBe(true)
      expect(holds('call.dtmf')).toBe(false)
      expect(holds('call.attempt >= 2')).toBe(false)
      expect(holds('call.attempt >= 2', { ...scope, attempt: 2 })).toBe(true)
    })
  })

  describe('malformed conditions', () => {
    it.each([
      ['', 'no condition'],
      [' ; ', 'no condition'],
      ['segment VIP', '"segment VIP" is not a condition (e.g. segment = VIP)'],
      ['= VIP', '"= VIP" is not a condition'],
      ['1segment = VIP', '"1segment = VIP" is not a condition'],
      ['!segment = VIP', '"!segment = VIP": use != instead of ! with a comparison'],
      ['fields.balance > lots', '"fields.balance > lots": > needs a number'],
      ['fields.balance >=', '"fields.balance >=": >= needs a number'],
      ['fields.balance < ""', '"fields.balance < """: < needs a number'],
      ['segment = VIP; owner extension', '"owner extension" is not a condition'],
    ])('%j throws', (source, message) => {
      expect(() => compileContactMatch(source)).toThrow(message)
    })
  })
})

describe('compileContactMatch typos', () => {
  it('refuses == instead of silently comparing with "= VIP"', () => {
    expect(() => compileContactMatch('segment == VIP')).toThrow('single =')
  })
})
