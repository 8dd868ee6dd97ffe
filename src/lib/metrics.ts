/**
 * Counters and histograms in Prometheus' text format. Hand-written because prom-client needs Node
 * (process, cluster) and the core must also run on Workers; this is the small part of it we use.
 */
type Labels = Record<string, string>

const canonicalKey = (labels: Labels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')

/**
 * The series for a set of labels. Every routed call counts into several series: the labels as given (in the
 * caller's order, unescaped) find their series by one string built by concatenation; the sorted, escaped
 * Prometheus form is made once per series, when it is first seen.
 */
const seriesMap = <Series>(create: () => Series) => {
  const byCanonical = new Map<string, Series>()
  const byGiven = new Map<string, Series>()
  return {
    get(labels: Labels): Series {
      let given = ''
      // Length-prefixed, so no name or value (a rule's name is free text) can make two label sets look alike.
      for (const name in labels) {
        const value = labels[name] as string
        given += `${name.length}:${name}${value.length}:${value}`
      }
      let series = byGiven.get(given)
      if (series === undefined) {
        const canonical = canonicalKey(labels)
        series = byCanonical.get(canonical)
        if (series === undefined) {
          series = create()
          byCanonical.set(canonical, series)
        }
        byGiven.set(given, series)
      }
      return series
    },
    entries: () => byCanonical.entries(),
  }
}

export const createMetrics = () => {
  const counters = new Map<string, { help: string; values: ReturnType<typeof seriesMap<{ value: number }>> }>()
  const histograms = new Map<
    string,
    { help: string; buckets: number[]; values: ReturnType<typeof seriesMap<{ counts: number[]; sum: number; count: number }>> }
  >()

  const counter = (name: string, help: string) => {
    const metric = { help, values: seriesMap(() => ({ value: 0 })) }
    counters.set(name, metric)
    return (labels: Labels = {}, by = 1) => {
      metric.values.get(labels).value += by
    }
  }

  const histogram = (name: string, help: string, buckets: number[]) => {
    const metric = { help, buckets, values: seriesMap(() => ({ counts: buckets.map(() => 0), sum: 0, count: 0 })) }
    histograms.set(name, metric)
    return (labels: Labels, value: number) => {
      const series = metric.values.get(labels)
      for (let index = 0; index < buckets.length; index++) {
        if (value <= (buckets[index] as number)) series.counts[index] = (series.counts[index] as number) + 1
      }
      series.sum += value
      series.count++
    }
  }

  const render = (): string => {
    const lines: string[] = []
    for (const [name, metric] of counters) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} counter`)
      for (const [labels, { value }] of metric.values.entries()) lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`)
    }
    for (const [name, metric] of histograms) {
      lines.push(`# HELP ${name} ${metric.help}`, `# TYPE ${name} histogram`)
      for (const [labels, series] of metric.values.entries()) {
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
