// The `fieldflash` command's entry point: bundled into out/cli/ by scripts/build-cli.mjs.
import { runCli } from './cli'

// A reader that went away (`fieldflash device list | head`) ends the output, not the process with
// a stack trace: the command's work is already done or is stopped by the usual signals.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  })
}

process.exitCode = await runCli(process.argv.slice(2))
