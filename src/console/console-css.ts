/**
 * The console's one stylesheet, served by the app at /console/assets/console.css (CSP default-src 'self'):
 * a string in the bundle, so Node and Workers serve it without a static-file setup.
 */
export const CONSOLE_CSS = `
:root { --ink: #1d2433; --muted: #5b6579; --line: #d9dee8; --bg: #f6f7fa; --card: #fff; --accent: #2456c7;
  --ok: #17794a; --ok-bg: #e6f5ed; --bad: #b3261e; --bad-bg: #fdeceb; --warn: #8a5a00; --warn-bg: #fff4d6; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
header.top { display: flex; gap: 1.25rem; align-items: center; padding: .6rem 1.25rem; background: #1d2433; color: #fff; flex-wrap: wrap; }
header.top a { color: #cdd6ea; text-decoration: none; }
header.top a.brand { color: #fff; font-weight: 600; }
header.top nav { display: flex; gap: 1rem; flex: 1; }
header.top nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #8fb0ff; }
header.top .role { font-size: .8rem; padding: .1rem .5rem; border: 1px solid #8fb0ff; border-radius: 1rem; }
header.top button.link { color: #cdd6ea; }
main { max-width: 78rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); background: #eef1f6; }
tr.off td { color: var(--muted); }
td.actions { white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { background: #0f1522; color: #e6ebf5; padding: .75rem; border-radius: .4rem; overflow: auto; font-size: .85rem; }
form.inline { display: inline; margin: 0; }
button, .button { font: inherit; padding: .35rem .8rem; border-radius: .35rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
button.link { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; }
button:disabled { opacity: .5; cursor: default; }
.notice { padding: .6rem .8rem; border-radius: .35rem; }
.notice.ok { background: var(--ok-bg); color: var(--ok); }
.notice.error { background: var(--bad-bg); color: var(--bad); }
.badge { font-size: .75rem; padding: .05rem .45rem; border-radius: 1rem; background: #eef1f6; color: var(--muted); white-space: nowrap; }
.badge.on { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.warning { color: var(--warn); font-size: .85rem; }
.problem { color: var(--bad); font-size: .85rem; }
.muted { color: var(--muted); }
fieldset { border: 1px solid var(--line); background: var(--card); border-radius: .4rem; margin: 0 0 1rem; padding: .75rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .75rem 1rem; }
label { display: block; font-size: .85rem; color: var(--muted); }
.field input, .field select, .field textarea { display: block; width: 100%; margin-top: .2rem; font: inherit; padding: .35rem .45rem; border: 1px solid var(--line); border-radius: .3rem; color: var(--ink); background: #fff; }
.field textarea { min-height: 5rem; font-family: ui-monospace, Menlo, monospace; font-size: .85rem; }
.field.invalid input, .field.invalid select, .field.invalid textarea { border-color: var(--bad); background: var(--bad-bg); }
.field .error { display: block; color: var(--bad); font-size: .8rem; margin-top: .15rem; }
.field .hint { display: block; font-size: .75rem; margin-top: .1rem; }
label > input, label > select, label > textarea { display: block; width: 100%; margin-top: .2rem; font: inherit; padding: .35rem .45rem; border: 1px solid var(--line); border-radius: .3rem; color: var(--ink); background: #fff; }
label > textarea { min-height: 5rem; font-family: ui-monospace, Menlo, monospace; font-size: .85rem; }
label.invalid > input, label.invalid > select, label.invalid > textarea { border-color: var(--bad); background: var(--bad-bg); }
label .error { display: block; color: var(--bad); font-size: .8rem; margin-top: .15rem; }
label .hint { display: block; font-size: .75rem; margin-top: .1rem; }
label.check { display: flex; gap: .4rem; align-items: center; color: var(--ink); }
label.check > input { width: auto; display: inline; margin: 0; }
.toolbar { display: flex; gap: .6rem; align-items: center; margin: 0 0 1rem; flex-wrap: wrap; }
.diff del { background: var(--bad-bg); color: var(--bad); text-decoration: line-through; }
.diff ins { background: var(--ok-bg); color: var(--ok); text-decoration: none; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .4rem; padding: 1rem; margin-bottom: 1rem; }
.sign-in { max-width: 26rem; margin: 10vh auto; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
svg.chart { width: 100%; height: auto; background: var(--card); border: 1px solid var(--line); border-radius: .4rem; }
svg.chart .axis { stroke: var(--line); }
svg.chart text { font-size: 11px; fill: var(--muted); }
svg.chart .series { fill: none; stroke: var(--accent); stroke-width: 2; }
svg.chart .series.second { stroke: var(--bad); }
svg.chart rect.bar { fill: var(--accent); }
svg.chart rect.bar.second { fill: var(--bad); }
svg.chart .grid { stroke: var(--line); stroke-dasharray: 2 3; }
svg.chart text.y { text-anchor: end; }
svg.chart text.x, svg.chart text.empty { text-anchor: middle; }
svg.chart text.empty { font-size: 13px; }
svg.chart circle.point { fill: var(--accent); }
svg.chart circle.point.second { fill: var(--bad); }
.chart-row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(15rem, 1fr); gap: 1rem; align-items: start; }
@media (max-width: 50rem) { .chart-row { grid-template-columns: 1fr; } }
.inline-label { display: inline; margin: 0 .4rem 0 0; }
ul.differences { margin: .25rem 0 1rem; padding-left: 1.2rem; }
table.preview pre { max-height: 12rem; margin: .3rem 0 0; }
`
