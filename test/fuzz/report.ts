import type { Provider } from './answer-checks.ts'
import type { FuzzCase } from './hostile.ts'

export type Symptom = 'process-exit' | 'unhandled-error' | '5xx' | 'malformed-answer' | 'no-answer' | 'healthz' | 'body-read-whole'

export interface Failure {
  provider: Provider
  symptom: Symptom
  /** What went wrong, general enough to group by (the specifics are in the case and the excerpt). */
  detail: string
  case: FuzzCase
  status?: number
  answerExcerpt?: string
  /** For process exits: the end of what the process wrote to stderr; for unhandled errors, the log line. */
  stderr?: string
}

/** Failures with the same provider, symptom and (number-free) detail are one class. */
export const classOf = (failure: Failure) =>
  `${failure.provider} | ${failure.symptom} | ${failure.detail.replace(/U\+[0-9a-f]{4,6}/gi, 'U+…').replace(/\d+/g, 'N')}`

const size = (fuzzCase: FuzzCase) => fuzzCase.path.length + (fuzzCase.body?.length ?? 0)

/** Bash $'…' quoting: every byte outside printable ASCII as \xHH, so the repro is exact. */
const bashQuote = (text: string) =>
  `$'${[...Buffer.from(text, 'utf8')]
    .map((byte) =>
      byte === 0x27
        ? "\\'"
        : byte === 0x5c
          ? '\\\\'
          : byte >= 0x20 && byte < 0x7f
            ? String.fromCharCode(byte)
            : `\\x${byte.toString(16).padStart(2, '0')}`,
    )
    .join('')}'`

const excerpt = (text: string, max = 240) =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text) + (text.length > max ? ` (${text.length} chars)` : '')

/** A curl command for small requests; a description of the body's shape for big ones. */
export const reproduce = (fuzzCase: FuzzCase, stateNote = '') => {
  const lines = [
    `${fuzzCase.method} ${excerpt(fuzzCase.path, 200)}${fuzzCase.stateFrom ? ` + state token of an eventUrl handed out by ${fuzzCase.stateFrom}${stateNote}` : ''}`,
    `  content-type: ${JSON.stringify(fuzzCase.contentType ?? '(none)')}${fuzzCase.chunked ? ', chunked' : ''}; seed ${fuzzCase.seed}; mutations ${fuzzCase.tags.join(', ')}`,
  ]
  if (fuzzCase.body !== undefined) lines.push(`  body: ${excerpt(fuzzCase.body)}`)
  if (size(fuzzCase) < 1500) {
    const parts = ['curl -sS -i', `-X ${fuzzCase.method}`]
    if (fuzzCase.contentType !== undefined) parts.push(`-H ${bashQuote(`content-type: ${fuzzCase.contentType}`)}`)
    if (fuzzCase.chunked) parts.push(`-H 'transfer-encoding: chunked'`)
    if (fuzzCase.body !== undefined) parts.push(`--data-binary ${bashQuote(fuzzCase.body)}`)
    parts.push(bashQuote(`http://127.0.0.1:3000${fuzzCase.path}`))
    lines.push(`  ${parts.join(' ')}`)
  }
  return lines.join('\n')
}

export interface FailureClass {
  key: string
  count: number
  /** How often each mutation appears among the class's cases: the one near 100 % is usually the cause. */
  tags: [string, number][]
  smallest: Failure
}

export const classify = (failures: Failure[]): FailureClass[] => {
  const classes = new Map<string, Failure[]>()
  for (const failure of failures) {
    const key = classOf(failure)
    classes.set(key, [...(classes.get(key) ?? []), failure])
  }
  return [...classes.entries()].map(([key, members]) => {
    const tagCounts = new Map<string, number>()
    for (const member of members) for (const tag of new Set(member.case.tags)) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1)
    return {
      key,
      count: members.length,
      tags: [...tagCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6),
      smallest: members.reduce((best, member) => (size(member.case) < size(best.case) ? member : best)),
    }
  })
}

export const describeClasses = (classes: FailureClass[]) =>
  classes
    .map((entry) => {
      const { smallest } = entry
      const lines = [
        `● ${entry.key}  ×${entry.count}`,
        `  mutations: ${entry.tags.map(([tag, count]) => `${tag} ${Math.round((100 * count) / entry.count)}%`).join(', ')}`,
        `  got: ${smallest.status === undefined ? '' : `status ${smallest.status} `}${smallest.detail}${smallest.answerExcerpt === undefined ? '' : `; answer ${excerpt(smallest.answerExcerpt, 160)}`}`,
        reproduce(smallest.case)
          .split('\n')
          .map((line) => `  ${line}`)
          .join('\n'),
      ]
      if (smallest.stderr) lines.push(`  stderr: ${smallest.stderr.trim().split('\n').slice(-8).join('\n          ')}`)
      return lines.join('\n')
    })
    .join('\n\n')
