#!/usr/bin/env node
// The `fieldflash` CLI. It runs the bundle in out/cli/ (built by `npm ci` and before the tests:
// scripts/build-cli.mjs), which starts in a fraction of the time the TypeScript sources take. When
// the bundle is missing or older than a source file (while main/ is being edited), it runs the
// sources through tsx instead, so the command always does what the code in main/ says.
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundle = join(root, 'out', 'cli', 'fieldflash.mjs')

/** The newest modification time of the sources the bundle is built from. */
function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const time = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs
    if (time > newest) newest = time
  }
  return newest
}

let fresh = false
try {
  fresh = statSync(bundle).mtimeMs >= newestSource(join(root, 'main'))
} catch {
  fresh = false
}
if (fresh) {
  await import(pathToFileURL(bundle).href)
} else {
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    // npx before npm ci: neither the bundle nor the tools to run the sources are there.
    process.stderr.write(
      `fieldflash: its dependencies are not installed; run "npm ci" in ${root} first.\n`,
    )
    process.exit(1)
  }
  register()
  await import(pathToFileURL(join(root, 'main', 'cli', 'main.ts')).href)
}
