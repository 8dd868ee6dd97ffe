/**
 * The API reference's stylesheet, served by the admin app at /admin/docs.css (CSP default-src 'self'): a
 * string in the bundle, so Node and Workers serve it without a static-file setup.
 */
export const API_REFERENCE_CSS = `
:root { --ink: #1d2433; --muted: #5b6579; --line: #d9dee8; --bg: #f6f7fa; --card: #fff; --accent: #2456c7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
header.top { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.25rem; background: #1d2433; color: #fff; }
header.top .brand { font-weight: 600; }
header.top .version { font-size: .8rem; padding: .05rem .45rem; border: 1px solid #8fb0ff; border-radius: 1rem; }
header.top a { color: #cdd6ea; margin-left: auto; }
.layout { display: grid; grid-template-columns: 17rem 1fr; }
nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; padding: 1rem; border-right: 1px solid var(--line); font-size: .85rem; }
nav.toc ul { list-style: none; margin: 0 0 .75rem; padding: 0; }
nav.toc li { margin: .2rem 0; }
nav.toc a { text-decoration: none; }
nav.toc .tag { margin: .5rem 0 .25rem; font-weight: 600; text-transform: capitalize; }
main { max-width: 60rem; padding: 1rem 1.5rem 3rem; min-width: 0; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .75rem; text-transform: capitalize; }
h3 { font-size: 1rem; margin: 0 0 .4rem; display: flex; gap: .5rem; align-items: baseline; flex-wrap: wrap; }
h4 { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); margin: 1rem 0 .4rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .4rem; padding: 1rem; margin-bottom: 1rem; }
.summary { font-weight: 600; margin: 0 0 .4rem; }
.description, .auth { margin: .25rem 0; }
.muted, .note, .auth { color: var(--muted); }
.note { font-size: .85em; }
.note::before { content: "· "; }
.method { display: inline-block; min-width: 3.6rem; text-align: center; font: 600 .72rem/1.6 ui-monospace, Menlo, monospace; border-radius: .25rem; color: #fff; background: #5b6579; }
.method.get { background: #2456c7; } .method.post { background: #17794a; } .method.patch, .method.put { background: #8a5a00; } .method.delete { background: #b3261e; }
.required { font-size: .75rem; color: #b3261e; }
.type { font-family: ui-monospace, Menlo, monospace; font-size: .85em; color: #6a2ea8; }
ul.fields, ol.variants { margin: .3rem 0; padding-left: 1.1rem; border-left: 2px solid var(--line); }
ul.fields { list-style: none; }
li.field { margin: .35rem 0; }
li.field > .description { font-size: .88rem; color: var(--muted); margin: .05rem 0; }
.card > h2:first-child { margin-top: 0; }
.schema { margin: .25rem 0 .5rem; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .75rem; text-transform: uppercase; color: var(--muted); background: #eef1f6; }
td p { margin: 0; }
ul.responses { list-style: none; padding: 0; margin: 0; }
ul.responses li { margin: .3rem 0; }
summary { cursor: pointer; }
.answer, .media { margin: .2rem 0; }
.status { display: inline-block; min-width: 2.6rem; font: 600 .8rem ui-monospace, Menlo, monospace; }
.status.s2xx { color: #17794a; } .status.s4xx { color: #8a5a00; } .status.s5xx { color: #b3261e; }
@media (max-width: 50rem) { .layout { grid-template-columns: 1fr; } nav.toc { position: static; max-height: none; border-right: 0; } }
`
