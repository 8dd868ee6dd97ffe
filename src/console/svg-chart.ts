import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** One series over the chart's slots: `null` where there is nothing to show (no lookups in that minute). */
export interface ChartSeries {
  name: string
  values: readonly (number | null)[]
  /** Bars for counts, a line for measures such as latency. */
  shape: 'bars' | 'line'
  /** The chart's second colour, for a second series (the stylesheet's `.second`). */
  second?: boolean
}

export interface ChartOptions {
  /** Unique on the page: the <title> and <desc> are referred to by id. */
  id: string
  title: string
  /** What the chart shows, for people who cannot see it (the figures are also in a table beside it). */
  description: string
  /** Each slot's name (a time), shown when the pointer rests on a bar or point. */
  slots: readonly string[]
  /** Slots labelled under the x axis. */
  ticks: readonly { slot: number; label: string }[]
  series: readonly ChartSeries[]
  /** Written after each value on the y axis and in the hover text, e.g. ` ms`. */
  unit?: string
  /** Counts: the y axis steps by whole numbers. */
  whole?: boolean
  /** Said in the middle of a chart with nothing to show. */
  empty?: string
  width?: number
  height?: number
}

/** Room for the axis labels (the last time label is centred on the last slot, so it needs some on the right). */
const MARGIN = { top: 14, right: 22, bottom: 26, left: 52 }

/**
 * A y axis from 0 to a round maximum that holds `max`, in about `steps` steps of 1, 2, 2.5 or 5 times a power
 * of ten (at least `minStep`).
 */
export const niceScale = (max: number, { steps = 4, minStep = 0 } = {}): { max: number; step: number } => {
  if (!Number.isFinite(max) || max <= 0) return minStep > 0 ? { max: minStep, step: minStep } : { max: 1, step: 0.25 }
  const rough = max / steps
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = Math.max(minStep, ([1, 2, 2.5, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power)
  return { max: step * Math.ceil(max / step - 1e-9), step }
}

/** A number with at most `decimals` decimals and no trailing zeros (0.25, 1.5, 12). */
export const formatNumber = (value: number, decimals = 2) => String(Number(value.toFixed(decimals)))

const round = (value: number) => Math.round(value * 10) / 10

/**
 * A small chart as inline SVG, drawn on the server: no script, and no style attributes (CSP default-src
 * 'self'), so colours and text alignment come from the `svg.chart` classes of the console's stylesheet.
 * Every interpolation is escaped.
 */
export const svgChart = ({
  id,
  title,
  description,
  slots,
  ticks,
  series,
  unit = '',
  whole = false,
  empty = 'No data in this period',
  width = 720,
  height = 220,
}: ChartOptions): HtmlEscapedString => {
  const plotWidth = width - MARGIN.left - MARGIN.right
  const plotHeight = height - MARGIN.top - MARGIN.bottom
  const bottom = MARGIN.top + plotHeight
  const values = series.flatMap((one) => one.values.filter((value): value is number => value !== null && Number.isFinite(value)))
  // Something to draw: a bar above zero, or a point of a line.
  const hasData =
    slots.length > 0 &&
    series.some((one) => one.values.some((value) => value !== null && Number.isFinite(value) && (one.shape === 'line' || value > 0)))
  const scale = niceScale(Math.max(0, ...values), { minStep: whole ? 1 : 0 })
  // As many decimals on the axis as its step needs, so 0.05 steps are not all written 0.1.
  const axisDecimals =
    [0, 1, 2, 3].find((decimals) => Math.abs(scale.step * 10 ** decimals - Math.round(scale.step * 10 ** decimals)) < 1e-6) ?? 4
  const slotWidth = plotWidth / Math.max(1, slots.length)
  const xOf = (slot: number) => round(MARGIN.left + (slot + 0.5) * slotWidth)
  const yOf = (value: number) => round(bottom - (Math.max(0, value) / scale.max) * plotHeight)

  const gridValues = Array.from({ length: Math.round(scale.max / scale.step) + 1 }, (_, index) => index * scale.step)
  const grid = gridValues.map(
    (value) =>
      html`<line class="${value === 0 ? 'axis' : 'grid'}" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${yOf(value)}" y2="${yOf(value)}" /><text class="y" x="${MARGIN.left - 6}" y="${yOf(value) + 4}">${formatNumber(value, axisDecimals)}${unit}</text>`,
  )
  const xAxis = ticks
    .filter((tick) => tick.slot >= 0 && tick.slot < slots.length)
    .map(
      (tick) =>
        html`<line class="axis" x1="${xOf(tick.slot)}" x2="${xOf(tick.slot)}" y1="${bottom}" y2="${bottom + 4}" /><text class="x" x="${xOf(tick.slot)}" y="${bottom + 17}">${tick.label}</text>`,
    )

  const bars = series.filter((one) => one.shape === 'bars')
  const barWidth = Math.max(1, (slotWidth * 0.8) / Math.max(1, bars.length))
  const drawn = series.map((one) => {
    const kind = one.second ? ' second' : ''
    const hover = (slot: number, value: number) => `${slots[slot] ?? ''}: ${one.name} ${formatNumber(value)}${unit}`
    if (one.shape === 'bars') {
      const offset = bars.indexOf(one) * barWidth - (barWidth * bars.length) / 2
      return one.values.map((value, slot) =>
        value === null || value <= 0
          ? ''
          : html`<rect class="bar${kind}" x="${round(xOf(slot) + offset)}" y="${yOf(value)}" width="${round(barWidth)}" height="${round(bottom - yOf(value))}"><title>${hover(slot, value)}</title></rect>`,
      )
    }
    // A gap in the data breaks the line; a point alone in its stretch is drawn as a dot so it is seen at all.
    const runs: number[][] = []
    one.values.forEach((value, slot) => {
      if (value === null) return
      const last = runs.at(-1)
      if (last && last.at(-1) === slot - 1) last.push(slot)
      else runs.push([slot])
    })
    const path = runs
      .filter((run) => run.length > 1)
      .map((run) => run.map((slot, index) => `${index === 0 ? 'M' : 'L'}${xOf(slot)} ${yOf(one.values[slot] as number)}`).join(' '))
      .join(' ')
    const points = one.values.map((value, slot) =>
      value === null
        ? ''
        : html`<circle class="point${kind}" cx="${xOf(slot)}" cy="${yOf(value)}" r="${runs.some((run) => run.length === 1 && run[0] === slot) ? 3 : 1.5}"><title>${hover(slot, value)}</title></circle>`,
    )
    return html`${path ? html`<path class="series${kind}" d="${path}" />` : ''}${points}`
  })

  const legend =
    series.length > 1
      ? series.map((one, index) => {
          const x = width - MARGIN.right - (series.length - index) * 70
          return html`<line class="series${one.second ? ' second' : ''}" x1="${x}" x2="${x + 14}" y1="${MARGIN.top - 4}" y2="${MARGIN.top - 4}" /><text class="legend" x="${x + 18}" y="${MARGIN.top}">${one.name}</text>`
        })
      : ''

  return html`<svg class="chart" id="${id}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">
    <title id="${id}-title">${title}</title>
    <desc id="${id}-desc">${description}</desc>
    ${grid}${xAxis}
    ${hasData ? drawn : html`<text class="empty" x="${round(MARGIN.left + plotWidth / 2)}" y="${round(MARGIN.top + plotHeight / 2)}">${empty}</text>`}
    ${legend}
  </svg>` as HtmlEscapedString
}
