import type { SayItem, SayItemType } from '../model/call-event.ts'

/**
 * A say item's value as the providers get it (digits without spaces or dashes, dates as YYYY-MM-DD), or
 * why it cannot be said. Used by the engine on the rendered value, and by the compiler on a value with no
 * placeholder, which would fail on every call. Pure.
 */
export const readSayItem = (type: SayItemType, value: string): SayItem | { problem: string } => {
  const trimmed = value.trim()
  switch (type) {
    case 'digits': {
      const digits = trimmed.replace(/[\s+()-]/g, '')
      if (!/^\d+$/.test(digits)) return { problem: `say: digits "${value}" are not digits` }
      return { type, value: digits }
    }
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return { problem: `say: "${value}" is not a number` }
      return { type, value: trimmed }
    case 'date': {
      const date = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(trimmed)?.[1]
      if (!date || Number.isNaN(Date.parse(date))) return { problem: `say: "${value}" is not a date (YYYY-MM-DD)` }
      return { type, value: date }
    }
    case 'datetime': {
      const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?/.exec(trimmed)
      if (!match) return { problem: `say: "${value}" is not a date and time (YYYY-MM-DDTHH:MM:SS)` }
      return { type, value: `${match[1]}T${match[2]}${match[3] ?? ':00'}` }
    }
    default:
      if (trimmed === '') return { problem: `say: ${type} is empty` }
      return { type, value: trimmed }
  }
}
