/**
 * Conditions on a count, e.g. the attempt number: `3`, `<3`, `<=2`, `>2`, `>=3`, `1-2`, or several of
 * those separated by commas.
 */
export interface NumberRange {
  source: string
  test(value: number): boolean
}

export const compileNumberRange = (source: string): NumberRange => {
  const parts = source.split(',').map((part) => part.trim())
  const checks = parts.map((part) => {
    const comparison = /^(<=|>=|<|>|=)?\s*(\d+)$/.exec(part)
    if (comparison) {
      const limit = Number(comparison[2])
      switch (comparison[1]) {
        case '<':
          return (value: number) => value < limit
        case '<=':
          return (value: number) => value <= limit
        case '>':
          return (value: number) => value > limit
        case '>=':
          return (value: number) => value >= limit
        default:
          return (value: number) => value === limit
      }
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part)
    if (range) {
      const low = Number(range[1])
      const high = Number(range[2])
      if (low > high) throw new Error(`range "${part}" runs backwards`)
      return (value: number) => value >= low && value <= high
    }
    throw new Error(`"${part}" is not a count condition (use 3, <3, >=3 or 1-2)`)
  })
  return { source, test: (value) => checks.some((check) => check(value)) }
}
