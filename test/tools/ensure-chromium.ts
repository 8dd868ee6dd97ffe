/**
 * Runs before `npm test`: the console's browser tests drive Debian's Chromium (playwright-core downloads no
 * browser). When it is missing and this is a root shell with apt-get (these machines, CI), it is installed;
 * otherwise the command to install it is printed and the tests stop here, before any of them fails for it.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].some((path) => path && existsSync(path))
if (!found) {
  const root = process.getuid?.() === 0
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0
  if (!root || !aptGet) {
    console.error("The console's browser tests need Chromium: install Debian's (sudo apt-get install chromium) or set CHROMIUM_PATH.")
    process.exit(1)
  }
  console.error("Installing Debian's chromium for the console's browser tests (apt-get)…")
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'],
  ]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
    if (run.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed (${run.status ?? run.signal})`)
      process.exit(1)
    }
  }
}
