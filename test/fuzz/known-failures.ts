import type { FuzzCase } from './hostile.ts'
import type { Failure } from './report.ts'

/**
 * Failure classes of issue 11 whose fixes are still being written: tolerated (and reported) so the suite can
 * run in CI meanwhile. FUZZ_STRICT=1 ignores this list. Remove an entry once its fix has landed; the run
 * prints the entries it no longer saw.
 */
export interface KnownFailure {
  id: string
  summary: string
  /** Cases not sent at all: only for failures that take the process down, which would end the run. */
  skip?(fuzzCase: FuzzCase): boolean
  matches(failure: Failure): boolean
}

export const KNOWN_FAILURES: KnownFailure[] = []
