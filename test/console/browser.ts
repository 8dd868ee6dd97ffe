import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it when it is missing), driven by
 * playwright-core, which downloads no browser of its own. CHROMIUM_PATH points elsewhere.
 */
export const chromiumPath = () => {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]
  const found = candidates.find((path) => existsSync(path))
  if (!found) {
    throw new Error(`No Chromium at ${candidates.join(', ')}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`)
  }
  return found
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath(),
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
