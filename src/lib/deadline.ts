export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

/**
 * Runs `task` with an AbortSignal that fires at the deadline, and gives up at the deadline even when the
 * task ignores the signal (some clients, @hubspot/api-client among them, cannot be aborted).
 */
export const withDeadline = <T>(task: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> => {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineError(Math.round(ms))
      controller.abort(error)
      reject(error)
    }, ms)
  })
  // A task that throws before returning a promise must not leave the timer to reject with no one listening.
  const running = new Promise<T>((resolve, reject) => {
    try {
      task(controller.signal).then(resolve, reject)
    } catch (error) {
      reject(error)
    }
  })
  return Promise.race([running, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}

/**
 * `task` or DeadlineError at `ms`, whichever comes first, for a task that takes no signal. `reportedMs` is
 * the deadline the error names, when this one only backs up a shorter one inside the task.
 */
export const beforeDeadline = <T>(task: () => Promise<T>, ms: number, reportedMs = ms): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(Math.round(reportedMs))), ms)
  })
  let running: Promise<T>
  try {
    running = task()
  } catch (error) {
    running = Promise.reject(error)
  }
  return Promise.race([running, deadline]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}
