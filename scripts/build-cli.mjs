// Bundles the `fieldflash` CLI into out/cli/ so it starts without transpiling TypeScript (about a
// tenth of the time). Runs on `npm ci` (prepare) and before the tests; bin/fieldflash.js falls
// back to the sources when the bundle is missing or older than them.
import { build } from 'esbuild'

await build({
  entryPoints: { fieldflash: 'main/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'out/cli',
  outExtension: { '.js': '.mjs' },
  // Native addons load from node_modules at run time.
  external: ['serialport', '@serialport/*', 'libsql', '@libsql/*'],
  // Some bundled dependencies are CommonJS and call require().
  banner: {
    js: "import { createRequire as __ffCreateRequire } from 'node:module'; const require = __ffCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
})
