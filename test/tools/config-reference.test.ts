import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configurationReference, REFERENCE_PATH } from './config-reference.ts'

describe('docs/configuration.md', () => {
  it('is what the settings schemas say today (npm run docs:config rewrites it)', () => {
    expect(readFileSync(REFERENCE_PATH, 'utf8')).toBe(configurationReference())
  })

  it('says what every setting does', () => {
    const undescribed = configurationReference()
      .split('\n')
      .filter((line) => /^\| `[A-Z_]+` \| [^|]+ \|\s*(One of:.*)?\|$/.test(line))
    expect(undescribed).toEqual([])
  })
})
