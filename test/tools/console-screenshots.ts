/**
 * `npm run docs:screenshots`: the console's pages as a person sees them, into docs/console/*.png (shown in the
 * README). Starts the real server on 127.0.0.1 over a fresh demo database, makes a few Voicenter calls, and
 * drives Debian's Chromium through each page.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '../../src/lib/logger.ts'
import { startNodeServer } from '../../src/runtime/node.ts'
import { launchChromium } from '../console/browser.ts'
import { ADMIN_TOKEN, CONSOLE_ENV } from '../console/console-client.ts'
import { voicenterRequest } from '../helpers/test-server.ts'

const output = fileURLToPath(new URL('../../docs/console/', import.meta.url))
mkdirSync(output, { recursive: true })
const directory = mkdtempSync(join(tmpdir(), 'ivr-screenshots-'))
const server = await startNodeServer({
  env: { DATABASE_PATH: join(directory, 'demo.db'), ...CONSOLE_ENV, LOG_LEVEL: 'warn' },
  log: createLogger('warn'),
  port: 0,
  host: '127.0.0.1',
})
const browser = await launchChromium()
try {
  const webhook = (data: Record<string, string>) =>
    fetch(`${server.url}/webhooks/voicenter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(voicenterRequest(data)),
    })
  for (const [caller, layer, dtmf] of [
    ['0501234567', '1', '0'],
    ['0541112233', '1', '0'],
    ['0539999999', '1', '0'],
    ['0539999999', '5', '1234'],
    ['0539999999', '5', '777'],
  ] as const) {
    await webhook({ CALLER_ID: caller, LAYER_ID: layer, DTMF: dtmf, IVR_UNIQUE_ID: `demo-${caller}` })
  }
  await server.service.drain()

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(10_000)
  // A long page is shown whole, but the API reference (every operation) only as its first screen.
  const shot = async (name: string, fullPage = true) => {
    await page.screenshot({ path: join(output, `${name}.png`), fullPage })
    console.log(`docs/console/${name}.png`)
  }
  await page.goto(`${server.url}/console/sign-in`)
  await shot('sign-in')
  await page.getByLabel('Token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/console\/rules/)
  await shot('rules')

  await page.goto(`${server.url}/console/rules/new`)
  await page.getByLabel('Name', { exact: true }).fill('Dial without a number')
  await page.getByLabel('Action', { exact: true }).selectOption('dial')
  await page.getByRole('button', { name: 'Create rule' }).click()
  await page.waitForSelector('#f-dial-error')
  await shot('rule-form-error')

  await page.goto(`${server.url}/console/rules`)
  await page.locator('button[aria-label^="Turn off"]').nth(1).click()
  await page.waitForURL(/done=/)
  await page.goto(`${server.url}/console/rules/history`)
  await shot('history')

  await page.goto(`${server.url}/console/draft`)
  await page.getByRole('button', { name: 'Start a draft' }).click()
  await page.waitForURL(/draft\?done=/)
  await page.goto(`${server.url}/console/draft/rules/new`)
  await page.getByLabel('Name', { exact: true }).fill('Unknown callers straight to the support queue')
  await page.getByLabel('Priority', { exact: true }).fill('1')
  await page.getByLabel('From layer', { exact: true }).fill('1')
  await page.getByLabel('Lookup outcome', { exact: true }).fill('not_found')
  await page.getByLabel('Action', { exact: true }).selectOption('go_to_layer')
  await page.getByLabel('To layer', { exact: true }).fill('12')
  await page.getByRole('button', { name: 'Create rule' }).click()
  await page.waitForURL(/draft\?done=/)
  await page.getByRole('button', { name: 'Preview' }).click()
  await page.waitForURL(/draft\/preview/)
  await shot('draft-preview')

  for (const [path, name] of [
    ['/console/menus', 'menus'],
    ['/console/hours', 'hours'],
    ['/console/calls', 'calls'],
    ['/console/health', 'health'],
  ] as const) {
    const answer = await page.goto(`${server.url}${path}`)
    if (answer?.ok()) await shot(name)
  }
  await page.goto(`${server.url}/console/calls`)
  const firstCall = page.locator('main table a[href^="/console/calls/"]').first()
  if (await firstCall.count()) {
    await firstCall.click()
    await page.waitForLoadState('domcontentloaded')
    await shot('call-timeline')
  }

  await page.goto(`${server.url}/console/test`)
  await page.getByLabel('Caller', { exact: true }).fill('0501234567')
  await page.getByLabel('DID (number called)', { exact: true }).fill('0722776772')
  await page.getByLabel('Layer', { exact: true }).fill('1')
  await page
    .getByRole('button', { name: /Run|Test/ })
    .first()
    .click()
  await page.waitForLoadState('domcontentloaded')
  await shot('test-a-call')

  await page.goto(`${server.url}/admin/docs`)
  await shot('api-reference', false)
} finally {
  await browser.close()
  await server.close()
  rmSync(directory, { recursive: true, force: true })
}
