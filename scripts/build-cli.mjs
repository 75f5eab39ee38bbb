// Bundles the `fieldflash` CLI into out/cli/ so it starts without transpiling TypeScript (about a
// tenth of the time). Runs on `npm ci` (prepare) and before the tests; bin/fieldflash.js falls
// back to the sources when the bundle is missing or older than them.
//
// With --if-installed (the `prepare` script) a checkout whose dependencies are not installed yet is
// not an error: `npx fieldflash` run before `npm ci` installs the checkout into npx's cache, runs
// `prepare`, and a failure there would leave a broken cache entry that fails every later npx run.
let build
try {
  ;({ build } = await import('esbuild'))
} catch (error) {
  if (!process.argv.includes('--if-installed')) throw error
  console.warn('fieldflash: dependencies are not installed yet; run "npm ci" to build the CLI.')
  process.exit(0)
}

await build({
  entryPoints: { fieldflash: 'main/cli/main.ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'out/cli',
  outExtension: { '.js': '.mjs' },
  // Native addons load from node_modules at run time, and so does node-postgres (its optional
  // native and Cloudflare back ends are required lazily and are not installed).
  external: ['serialport', '@serialport/*', 'libsql', '@libsql/*', 'pg', 'pg-*'],
  // Some bundled dependencies are CommonJS and call require().
  banner: {
    js: "import { createRequire as __ffCreateRequire } from 'node:module'; const require = __ffCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
})
