#!/usr/bin/env node
// The `fieldflash` CLI runs the TypeScript sources of main/ directly through tsx, so a checkout
// needs no build step: `npm ci` then `npx fieldflash --help`.
import { register } from 'tsx/esm/api'

register()
const { runCli } = await import('../main/cli/cli.ts')
process.exitCode = await runCli(process.argv.slice(2))
