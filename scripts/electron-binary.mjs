// Electron's binary, fetched apart from `npm ci` so that an install with no access to Electron's
// download host still succeeds: the CLI and the tests need no Electron, only the app's window does.
// package.json's allowScripts keeps npm from running electron's own install script (which fails the
// whole install offline); `postinstall` runs `fetch` below, `dev` and `start` run `check`.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const HOW =
  'run "npm run electron:fetch" once with internet access (or with ELECTRON_MIRROR set to a mirror you can reach); the fieldflash CLI and npm test work without it'

/** The electron package's folder, or null when it is not installed (npx before npm ci). */
function electronPackage() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

/** The path of the installed binary, or null when it has not been downloaded. */
function binaryPath(dir) {
  try {
    const relative = readFileSync(join(dir, 'path.txt'), 'utf8')
    const binary = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist'), relative)
    return existsSync(binary) ? binary : null
  } catch {
    return null
  }
}

const mode = process.argv[2]
const dir = electronPackage()
if (mode === 'fetch') {
  // Explicitly asked to skip (CI), or nothing to fetch for: quietly done.
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !dir || binaryPath(dir)) process.exit(0)
  const run = spawnSync(process.execPath, [join(dir, 'install.js')], { encoding: 'utf8' })
  if (run.status === 0 && binaryPath(dir)) process.exit(0)
  const cause = `${run.stderr ?? ''}${run.error?.message ?? ''}`
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /error/i.test(line))
  console.warn(
    `fieldflash: Electron's binary could not be downloaded${cause ? ` (${cause})` : ''}, so the app's window cannot open yet: ${HOW}.`,
  )
  // The install goes on: everything but the window works.
  process.exit(process.argv.includes('--strict') ? 1 : 0)
}
if (mode === 'check') {
  if (dir && binaryPath(dir)) process.exit(0)
  console.error(
    `fieldflash: the app's window cannot open because Electron's binary is not installed (it could not be downloaded during npm ci): ${HOW}.`,
  )
  process.exit(1)
}
console.error('usage: node scripts/electron-binary.mjs fetch [--strict] | check')
process.exit(2)
