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

/** Node's maxHeaderSize in src/runtime/node.ts: past it Node answers before the app sees the request. */
const HEADER_LIMIT = 64 * 1024

export const KNOWN_FAILURES: KnownFailure[] = [
  {
    id: 'url-over-header-limit',
    summary:
      "a request line over 64 KiB gets Node's bare 431 (no content type, no body) or a reset connection, not the provider's answer; " +
      'URLs of 16-64 KiB are answered in the provider format since 0901fd7',
    matches: (failure) =>
      failure.case.path.length > HEADER_LIMIT &&
      (failure.status === 431 || (failure.symptom === 'no-answer' && /ECONNRESET|socket hang up|EPIPE/.test(failure.detail))),
  },
]
