import type { BaseIssue } from 'valibot'

/** Valibot issues as `field: problem` lines a person can act on. */
export const describeIssues = (issues: readonly BaseIssue<unknown>[]): string =>
  issues
    .map((issue) => {
      const path = issue.path?.map((item) => String(item.key)).join('.')
      // A missing key reads "Invalid key: Expected "to" but received undefined" in valibot.
      const message = issue.kind === 'schema' && issue.received === 'undefined' && issue.type !== 'undefined' ? 'is required' : issue.message
      return path ? `${path}: ${message}` : message
    })
    .join('; ')
