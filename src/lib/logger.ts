export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** One JSON object per line on the console: readable by `jq`, Workers logs and any log shipper. */
export const createLogger = (level: LogLevel = 'info', write: (line: string) => void = console.log): Logger => {
  const threshold = LEVEL_ORDER[level]
  const emit = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[at] < threshold) return
    write(JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...fields }))
  }
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))
