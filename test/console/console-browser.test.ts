import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer, voicenterRequest } from '../helpers/test-server.ts'
import { launchChromium } from './browser.ts'
import { ADMIN_TOKEN, CONSOLE_ENV, VIEWER_TOKEN } from './console-client.ts'

/**
 * The console as a person uses it: real headless Chromium against the real Node server on 127.0.0.1, with
 * live Voicenter webhooks checking what the clicks did to routing. Rules are re-read at the default
 * RULES_REFRESH_MS (1 s), as in production.
 */
let browser: Browser
let server: TestServer | undefined
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  await server?.close()
  server = undefined
})

const startServer = async () => {
  server = await startTestServer({ env: { ...CONSOLE_ENV, RULES_REFRESH_MS: '1000' } })
  return server
}

const signIn = async (page: Page, url: string, token: string) => {
  // A control that is not there fails the test in seconds, with its name, instead of at the test's timeout.
  page.setDefaultTimeout(5_000)
  await page.goto(`${url}/console`)
  await expect.poll(() => page.url()).toContain('/console/sign-in')
  await page.getByLabel('Token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${url}/console/rules`)
}

/** What an unknown caller at the first layer is answered now. */
const unknownCaller = async (target: TestServer) => {
  const answer = await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1' }))
  return (await answer.json()) as { ACTION: string; LAYER?: number }
}

/** Waits (up to 3 s: the promise to the person editing) for live routing to reach `expected`. */
const routedWithin3s = (target: TestServer, expected: Record<string, unknown>) =>
  expect.poll(() => unknownCaller(target), { timeout: 3_000, interval: 100 }).toMatchObject(expected)

describe('console in Chromium', () => {
  it('signs in, refuses a bad rule, routes live calls by a good one, and reverts it', async () => {
    const { url } = await startServer()
    const target = server as TestServer
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)
    expect(await page.getByRole('heading', { name: 'Rules' }).count()).toBe(1)
    const before = await unknownCaller(target)
    const rulesBefore = target.openSideConnection().prepare('SELECT count(*) AS n FROM rules').get()

    // A rule that dials nobody: the error is shown beside its field, nothing is stored.
    await page.getByRole('link', { name: 'New rule' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Broken dial')
    await page.getByLabel('Action', { exact: true }).selectOption('dial')
    await page.getByRole('button', { name: 'Create rule' }).click()
    await expect.poll(() => page.locator('#f-dial-error').textContent()).toBeTruthy()
    expect(await page.getByRole('alert').first().textContent()).toContain('The rule was not saved')
    expect(target.openSideConnection().prepare('SELECT count(*) AS n FROM rules').get()).toEqual(rulesBefore)

    // Fixed in the same form: it is saved, listed, and live calls follow it.
    await page.getByLabel('Name', { exact: true }).fill('Unknown 053 to the night desk')
    await page.getByLabel('Priority', { exact: true }).fill('1')
    await page.getByLabel('Caller', { exact: true }).fill('0539999999')
    await page.getByLabel('Action', { exact: true }).selectOption('go_to_layer')
    await page.getByLabel('To layer', { exact: true }).fill('77')
    await page.getByLabel('Dial', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Create rule' }).click()
    await page.waitForURL(/\/console\/rules\?done=/)
    expect(await page.getByRole('status').textContent()).toContain('created')
    expect(await page.locator('table').textContent()).toContain('Unknown 053 to the night desk')
    await routedWithin3s(target, { ACTION: 'GO_TO_LAYER', LAYER: 77 })

    // Revert from the history: the old routing is back.
    await page.getByRole('link', { name: 'History' }).click()
    await page.getByRole('button', { name: 'Revert' }).first().click()
    await page.waitForURL(/\/console\/rules\?done=/)
    expect(await page.getByRole('status').textContent()).toContain('Reverted')
    await routedWithin3s(target, before)
    await page.close()
  })

  it('switches a rule off and back on from the list', async () => {
    const { url } = await startServer()
    const target = server as TestServer
    const side = target.openSideConnection()
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)
    const first = side.prepare('SELECT id, name FROM rules ORDER BY priority, id LIMIT 1').get() as { id: number; name: string }
    await page.getByRole('button', { name: `Turn off ${first.name}` }).click()
    await page.waitForURL(/done=/)
    expect(side.prepare('SELECT enabled FROM rules WHERE id = ?').get(first.id)).toEqual({ enabled: 0 })
    expect(await page.locator(`#rule-${first.id}`).getAttribute('class')).toContain('off')
    await page.getByRole('button', { name: `Turn on ${first.name}` }).click()
    await page.waitForURL(/done=/)
    expect(side.prepare('SELECT enabled FROM rules WHERE id = ?').get(first.id)).toEqual({ enabled: 1 })
    await page.close()
  })

  it('offers a viewer no edit, and the server refuses one made by hand', async () => {
    const { url } = await startServer()
    const page = await browser.newPage()
    await signIn(page, url, VIEWER_TOKEN)
    expect(await page.locator('header .role').textContent()).toBe('viewer')
    expect(await page.getByRole('link', { name: 'New rule' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /Turn (off|on)/ }).count()).toBe(0)
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0)
    // A hand-made form post with the session's own CSRF token: still refused, as a viewer.
    const status = await page.evaluate(async () => {
      const token = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value
      const answer = await fetch('/console/rules/2/toggle', { method: 'POST', body: new URLSearchParams({ _csrf: token }) })
      return answer.status
    })
    expect(status).toBe(403)
    await page.close()
  })

  it('refuses a form post that lacks the CSRF token', async () => {
    const { url } = await startServer()
    const target = server as TestServer
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)
    const before = target.openSideConnection().prepare('SELECT id, enabled FROM rules ORDER BY id').all()
    // The page's own toggle form with its token taken out, submitted as the browser would.
    await page.evaluate(() => {
      const form = document.querySelector('form[action$="/toggle"]') as HTMLFormElement
      form.querySelector('input[name=_csrf]')?.remove()
      form.submit()
    })
    await page.waitForLoadState('domcontentloaded')
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('did not carry this session’s security token')
    expect(target.openSideConnection().prepare('SELECT id, enabled FROM rules ORDER BY id').all()).toEqual(before)
    await page.close()
  })

  it('previews a draft on recorded calls, lists the ones it would re-route, and publishing changes live routing', async () => {
    const { url } = await startServer()
    const target = server as TestServer
    const before = await unknownCaller(target)
    await unknownCaller(target)
    await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0501234567', LAYER_ID: '1' }))
    await target.settle()
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)

    await page.getByRole('link', { name: 'Draft', exact: true }).click()
    await page.getByRole('button', { name: 'Start a draft' }).click()
    await page.waitForURL(/\/console\/draft\?done=/)
    await page.getByRole('link', { name: 'New rule in the draft' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Night desk (draft)')
    await page.getByLabel('Priority', { exact: true }).fill('1')
    await page.getByLabel('Caller', { exact: true }).fill('0539999999')
    await page.getByLabel('From layer', { exact: true }).fill('1')
    await page.getByLabel('Action', { exact: true }).selectOption('go_to_layer')
    await page.getByLabel('To layer', { exact: true }).fill('66')
    await page.getByRole('button', { name: 'Create rule' }).click()
    await page.waitForURL(/\/console\/draft\?done=/)
    expect(await page.locator('ul.differences').textContent()).toContain('Night desk (draft)')
    // Not live yet.
    expect(await unknownCaller(target)).toEqual(before)

    await page.getByRole('button', { name: 'Preview' }).click()
    await page.waitForURL(/\/console\/draft\/preview/)
    const summary = await page.locator('#preview [role=status]').textContent()
    expect(summary).toMatch(/^4 call steps since .* replayed; 3 would be answered differently\.$/)
    const rows = page.locator('table.preview tbody tr')
    expect(await rows.count()).toBe(3)
    expect(await rows.first().textContent()).toContain('Night desk (draft)')

    await page.getByRole('button', { name: 'Publish' }).click()
    await page.waitForURL(/\/console\/rules\?done=/)
    expect(await page.getByRole('status').textContent()).toContain('Draft published: 1 rule changed')
    await routedWithin3s(target, { ACTION: 'GO_TO_LAYER', LAYER: 66 })
    await page.close()
  })

  it('tests a call: the DIAL answer, the rule trace and the exact wire answer', async () => {
    const { url } = await startServer()
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)
    await page.getByRole('link', { name: 'Test a call' }).click()
    await page.getByLabel('Provider', { exact: true }).selectOption('voicenter')
    await page.getByLabel('Caller', { exact: true }).fill('0501234567')
    await page.getByLabel('DID (number called)', { exact: true }).fill('0722776772')
    await page.getByLabel('Layer', { exact: true }).fill('1')
    await page.getByRole('button', { name: 'Run the test' }).click()
    await page.waitForSelector('#result')
    expect(await page.locator('#decision-action').textContent()).toBe('dial')
    expect(await page.locator('#decision-why').textContent()).toContain('VIP callers ring their account manager')
    const trace = page.locator('table.trace tbody tr')
    expect(await trace.count()).toBeGreaterThanOrEqual(2)
    expect(await trace.first().textContent()).toContain('Closed on Saturday')
    const wire = await page.locator('#answer-body').textContent()
    expect(JSON.parse(wire ?? '{}')).toMatchObject({ ACTION: 'DIAL' })
    await page.close()
  })

  it('finds a call in Calls by its number and shows its timeline, step by step', async () => {
    const { url } = await startServer()
    const target = server as TestServer
    const callId = 'browser-timeline-call'
    await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '1', IVR_UNIQUE_ID: callId }))
    await target.post(
      '/webhooks/voicenter',
      voicenterRequest({ CALLER_ID: '0539999999', LAYER_ID: '5', DTMF: '12345678', IVR_UNIQUE_ID: callId }),
    )
    await target.post('/webhooks/voicenter', voicenterRequest({ CALLER_ID: '0501234567', LAYER_ID: '1' }))
    await target.settle()
    const page = await browser.newPage()
    await signIn(page, url, ADMIN_TOKEN)
    await page.getByRole('link', { name: 'Calls' }).click()
    await page.getByLabel('Caller’s number', { exact: true }).fill('+972539999999')
    await page.getByRole('button', { name: 'Show calls' }).click()
    await page.waitForURL(/\/console\/calls\?/)
    const link = page.locator(`a[href="/console/calls/voicenter/${callId}"]`)
    expect(await link.count()).toBeGreaterThan(0)
    expect(await page.locator('main').textContent()).not.toContain('+972501234567')
    await link.first().click()
    await page.waitForURL(`${url}/console/calls/voicenter/${callId}`)
    const steps = page.locator('section.step')
    expect(await steps.count()).toBe(2)
    expect(await steps.nth(0).locator('h3').textContent()).toContain('Layer 1')
    expect(await steps.nth(1).locator('h3').textContent()).toContain('Layer 5')
    expect(await steps.nth(1).textContent()).toContain('Account number found: to the representatives')
    await page.close()
  })
})
