/**
 * Counters and histograms in Prometheus' text format. Hand-written because prom-client needs Node
 * (process, cluster) and the core must also run on Workers; this is the small part of it we use.
 */
type Labels = Record<string, string>

const key = (labels: Labels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')

export const createMetrics = () => {
  const counters = new Map<string, { help: string; values: Map<string, number> }>()
  const histograms = new Map<
    string,
    { help: string; buckets: number[]; values: Map<string, { counts: number[]; sum: number; count: number }> }
  >()

  const counter = (name: string, help: string) => {
    const metric = { help, values: new Map<string, number>() }
    counters.set(name, metric)
    return (labels: Labels = {}, by = 1) => {
      const id = key(labels)
      metric.values.set(id, (metric.values.get(id) ?? 0) + by)
    }
  }

  const histogram = (name: string, help: string, buckets: number[]) => {
    const metric = { help, buckets, values: new Map<string, { counts: number[]; sum: number; count: number }>() }
    histograms.set(name, metric)
    return (labels: Labels, value: number) => {
      const id = key(labels)
      let series = metric.values.get(id)
      if (!series) {
        series = { counts: buckets.map(() => 0), sum: 0, count: 0 }
        metric.values.set(id, series)
      }
      buckets.forEach((bound, index) => {
        if (value <= bound) (series as { counts: number[] }).counts[index] = ((series as { counts: number[] }).counts[index] ?? 0) + 1
      })
      series.sum += value
      series.count++
    }
  }

  const render = (): string => {
    const lines: string[] = []
    for (const [name, metric] of counters) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} counter`)
      for (const [labels, value] of metric.values) lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`)
    }
    for (const [name, metric] of histograms) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} histogram`)
      for (const [labels, series] of metric.values) {
        const prefix = labels ? `${labels},` : ''
        for (const [index, bound] of metric.buckets.entries()) lines.push(`${name}_bucket{${prefix}le="${bound}"} ${series.counts[index]}`)
        lines.push(`${name}_bucket{${prefix}le="+Inf"} ${series.count}`)
        lines.push(`${name}_sum${labels ? `{${labels}}` : ''} ${series.sum}`, `${name}_count${labels ? `{${labels}}` : ''} ${series.count}`)
      }
    }
    return `${lines.join('\n')}\n`
  }

  const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5]
  return {
    requests: counter('ivr_requests_total', 'Webhook requests answered, by provider'),
    decisions: counter('ivr_decisions_total', 'Answers by rule (or fallback) and action'),
    fallbacks: counter('ivr_fallbacks_total', 'Answers no rule gave, by provider'),
    lookups: counter('ivr_lookups_total', 'CRM lookups by key, outcome and cache state (fresh, stale, none)'),
    crmErrors: counter('ivr_crm_errors_total', 'CRM plugin failures by plugin and kind (error, timeout, rate_limited, circuit_open)'),
    lookupSeconds: histogram('ivr_lookup_duration_seconds', 'Time to a lookup result, by key', seconds),
    requestSeconds: histogram('ivr_request_duration_seconds', 'Time to an answer, by provider', seconds),
    unhandledErrors: counter(
      'ivr_unhandled_errors_total',
      'Errors caught outside a request (background work, unhandled rejections, uncaught exceptions), by kind',
    ),
    render,
  }
}

export type Metrics = ReturnType<typeof createMetrics>
