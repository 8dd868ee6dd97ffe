import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { beforeDeadline, DeadlineError, withDeadline } from '../../src/lib/deadline.ts'

describe('deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const never = () => new Promise<never>(() => {})

  it('withDeadline: the task, or a DeadlineError and an aborted signal at the deadline', async () => {
    await expect(withDeadline(async () => 'found', 100)).resolves.toBe('found')
    let signal: AbortSignal | undefined
    const hung = withDeadline((given) => {
      signal = given
      return never()
    }, 100)
    const settled = expect(hung).rejects.toThrow(new DeadlineError(100))
    await vi.advanceTimersByTimeAsync(100)
    await settled
    expect(signal?.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('beforeDeadline: the task, its error, or a DeadlineError at the deadline, and no timer left behind', async () => {
    await expect(beforeDeadline(async () => 'found', 100)).resolves.toBe('found')
    await expect(
      beforeDeadline(() => {
        throw new Error('thrown before returning a promise')
      }, 100),
    ).rejects.toThrow('thrown before returning a promise')
    expect(vi.getTimerCount()).toBe(0)
    // A backup deadline names the one it backs up.
    const hung = beforeDeadline(never, 100, 80)
    const settled = expect(hung).rejects.toThrow(new DeadlineError(80))
    await vi.advanceTimersByTimeAsync(99)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    await settled
    expect(vi.getTimerCount()).toBe(0)
  })
})
