import { describe, expect, it } from 'vitest'
import { formatNumber, niceScale, svgChart } from '../../src/console/svg-chart.ts'

const slots = ['10:00', '10:01', '10:02', '10:03']
const ticks = [{ slot: 0, label: '10:00' }]

/** Each element of a kind with its attributes, as a browser would read them. */
const elements = (svg: string, tag: string) =>
  [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g'))].map(([, attributes = '']) =>
    Object.fromEntries([...attributes.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, name, value]) => [name, value])),
  )
const texts = (svg: string, className: string) =>
  [...svg.matchAll(new RegExp(`<text class="${className}"[^>]*>([^<]*)</text>`, 'g'))].map(([, text]) => text)

describe('niceScale', () => {
  it('rounds the top of the axis up to 1, 2, 2.5 or 5 times a power of ten per step', () => {
    expect(niceScale(7)).toEqual({ max: 8, step: 2 })
    expect(niceScale(100)).toEqual({ max: 100, step: 25 })
    expect(niceScale(0.37)).toEqual({ max: 0.4, step: 0.1 })
    expect(niceScale(3, { minStep: 1 })).toEqual({ max: 3, step: 1 })
  })

  it('gives an empty or zero chart an axis from 0 to 1', () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 0.25 })
    expect(niceScale(Number.NaN)).toEqual({ max: 1, step: 0.25 })
    expect(niceScale(0, { minStep: 1 })).toEqual({ max: 1, step: 1 })
  })
})

describe('svgChart', () => {
  it('scales bars to the axis: the highest reaches the top of a round maximum, none below zero', () => {
    const svg = String(
      svgChart({
        id: 'c',
        title: 'Calls',
        description: 'd',
        slots,
        ticks,
        series: [{ name: 'calls', values: [1, 0, 4, 2], shape: 'bars' }],
        whole: true,
      }),
    )
    const bars = elements(svg, 'rect')
    // No bar for an empty minute.
    expect(bars).toHaveLength(3)
    const heights = bars.map((bar) => Number(bar.height))
    const top = 220 - 26 - 14
    expect(heights[1]).toBeCloseTo(top, 0)
    expect(heights[0]).toBeCloseTo(top / 4, 0)
    expect(heights[2]).toBeCloseTo(top / 2, 0)
    // Bars are left to right in slot order.
    const xs = bars.map((bar) => Number(bar.x))
    expect(xs).toEqual([...xs].sort((a, b) => a - b))
    expect(texts(svg, 'y')).toEqual(['0', '1', '2', '3', '4'])
    expect(svg).toContain('<title>10:02: calls 4</title>')
  })

  it('writes the axis with the decimals its step needs, and the unit', () => {
    const svg = String(
      svgChart({
        id: 'c',
        title: 't',
        description: 'd',
        slots,
        ticks,
        unit: ' ms',
        series: [{ name: 'p50', values: [0.1, 0.2, null, 0.15], shape: 'line' }],
      }),
    )
    expect(texts(svg, 'y')).toEqual(['0 ms', '0.05 ms', '0.1 ms', '0.15 ms', '0.2 ms'])
  })

  it('draws an empty chart with its axes and says there is nothing to show', () => {
    for (const empty of [
      { slots, values: [null, null, null, null], shape: 'line' as const },
      { slots: [], values: [], shape: 'line' as const },
      { slots, values: [0, 0, 0, 0], shape: 'bars' as const },
    ]) {
      const svg = String(
        svgChart({
          id: 'c',
          title: 'Latency',
          description: 'd',
          slots: empty.slots,
          ticks,
          series: [{ name: 'p50', values: empty.values, shape: empty.shape }],
          empty: 'No lookups',
        }),
      )
      expect(texts(svg, 'empty')).toEqual(['No lookups'])
      expect(elements(svg, 'path')).toHaveLength(0)
      expect(elements(svg, 'circle')).toHaveLength(0)
      expect(elements(svg, 'rect')).toHaveLength(0)
      expect(elements(svg, 'line').filter((line) => line.class === 'axis').length).toBeGreaterThan(0)
    }
  })

  it('shows a point alone (one slot, or between gaps) as a dot, and breaks the line at gaps', () => {
    const one = String(
      svgChart({ id: 'c', title: 't', description: 'd', slots: ['10:00'], ticks, series: [{ name: 'p50', values: [5], shape: 'line' }] }),
    )
    expect(elements(one, 'path')).toHaveLength(0)
    const dots = elements(one, 'circle')
    expect(dots).toHaveLength(1)
    expect(Number(dots[0]?.r)).toBe(3)
    // The one slot is in the middle of the plot.
    expect(Number(dots[0]?.cx)).toBeCloseTo(52 + (720 - 52 - 22) / 2, 0)
    expect(texts(one, 'empty')).toEqual([])

    const gappy = String(
      svgChart({ id: 'c', title: 't', description: 'd', slots, ticks, series: [{ name: 'p50', values: [1, 2, null, 3], shape: 'line' }] }),
    )
    const [path] = elements(gappy, 'path')
    expect(path?.d.match(/M/g)).toHaveLength(1)
    expect(path?.d.match(/L/g)).toHaveLength(1)
    expect(elements(gappy, 'circle').map((dot) => Number(dot.r))).toEqual([1.5, 1.5, 3])
  })

  it('labels the x axis at the ticks given, and names each series in a legend when there are several', () => {
    const svg = String(
      svgChart({
        id: 'c',
        title: 't',
        description: 'd',
        slots,
        ticks: [
          { slot: 0, label: '10:00' },
          { slot: 2, label: '10:02' },
          { slot: 9, label: 'out of range' },
        ],
        series: [
          { name: 'p50', values: [1, 2, 3, 4], shape: 'line' },
          { name: 'p99', values: [2, 3, 4, 5], shape: 'line', second: true },
        ],
      }),
    )
    expect(texts(svg, 'x')).toEqual(['10:00', '10:02'])
    expect(texts(svg, 'legend')).toEqual(['p50', 'p99'])
    expect(elements(svg, 'path').map((path) => path.class)).toEqual(['series', 'series second'])
  })

  it('escapes every label, and has an accessible title and description and no style attribute', () => {
    const hostile = '<script>alert("x")</script>&'
    const svg = String(
      svgChart({
        id: 'chart-x',
        title: hostile,
        description: `about ${hostile}`,
        slots: [hostile, 'b'],
        ticks: [{ slot: 0, label: hostile }],
        unit: hostile,
        series: [{ name: hostile, values: [1, 2], shape: 'bars' }],
        empty: hostile,
      }),
    )
    expect(svg).not.toContain('<script>')
    expect(svg).not.toContain('"x")')
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;')
    expect(svg).not.toMatch(/\sstyle=/)
    expect(svg).toMatch(/<svg class="chart" id="chart-x"[^>]* role="img" aria-labelledby="chart-x-title chart-x-desc"/)
    expect(svg).toContain('<title id="chart-x-title">&lt;script&gt;')
    expect(svg).toContain('<desc id="chart-x-desc">about &lt;script&gt;')
  })

  it('formats numbers without trailing zeros', () => {
    expect(formatNumber(1.5)).toBe('1.5')
    expect(formatNumber(2)).toBe('2')
    expect(formatNumber(0.123456)).toBe('0.12')
    expect(formatNumber(0.123456, 0)).toBe('0')
  })
})
