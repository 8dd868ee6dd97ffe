import type { BaseIssue } from 'valibot'

export interface DescribeIssuesOptions {
  /** How a field is named to the person reading (a column name, an environment variable). */
  field?: (path: string) => string
  /** The name for a problem with the whole input (e.g. `body`); without it the message stands alone. */
  whole?: string
}

/** Valibot's messages, said the way a person fixing the input needs them. */
export const plainMessage = (issue: BaseIssue<unknown>): string => {
  // A missing key reads "Invalid key: Expected "to" but received undefined" in valibot.
  if (issue.kind === 'schema' && issue.received === 'undefined' && issue.type !== 'undefined') return 'is required'
  // A key a strict object does not have: "Invalid key: Expected never but received "x"".
  if (issue.message.startsWith('Invalid key: Expected never')) return 'is not a field here'
  return issue.message
}

/** Valibot issues as `field: problem` lines a person can act on: the one way every boundary reports them. */
export const describeIssues = (
  issues: readonly BaseIssue<unknown>[],
  { field = (path) => path, whole }: DescribeIssuesOptions = {},
): string =>
  issues
    .map((issue) => {
      const path = issue.path?.map((item) => String(item.key)).join('.')
      const name = path ? field(path) : whole
      return name ? `${name}: ${plainMessage(issue)}` : plainMessage(issue)
    })
    .join('; ')
