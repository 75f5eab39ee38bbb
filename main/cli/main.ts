// The `fieldflash` command's entry point: bundled into out/cli/ by scripts/build-cli.mjs.
import { runCli } from './cli'

process.exitCode = await runCli(process.argv.slice(2))
