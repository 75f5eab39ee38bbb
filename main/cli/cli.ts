import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError } from 'commander'
import { createCliKit } from './cli-kit'
import { EXIT, processIo, reportError, type Io } from './output'
import { registerFirmwareCommands } from './firmware-commands'
import { registerFlashCommands } from './flash-commands'
import { registerProvisioningCommands } from './provisioning-commands'
import { registerRegistryCommands } from './registry-commands'
import { registerVerificationCommands } from './verification-commands'

/** The shipped resources of a checkout: <repo>/resources, two levels above this file. */
export const DEFAULT_RESOURCES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'resources',
)

/** Runs the `fieldflash` command line and returns the exit code (0 ok, 2 bad input, 1 other). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
  resourcesDir: string = env.FIELDFLASH_RESOURCES_DIR ?? DEFAULT_RESOURCES_DIR,
): Promise<number> {
  const kit = createCliKit(io, env, resourcesDir, argv)
  const program = new Command('fieldflash')
    .description('Prepare ESP32-family boards with fresh one-time credentials.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
  registerProvisioningCommands(program, kit)
  registerFlashCommands(program, kit)
  registerVerificationCommands(program, kit)
  registerFirmwareCommands(program, kit)
  registerRegistryCommands(program, kit)

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok
      // Commander has printed its message; a --json caller gets it as the usual error object too.
      if (kit.json()) {
        const message = error.message.replace(/^error: /, '')
        io.out(JSON.stringify({ ok: false, code: 'invalid_input', message }) + '\n')
      }
      return EXIT.badInput
    }
    return reportError(io, kit.json(), error)
  } finally {
    kit.close()
  }
  return kit.exitCode()
}
