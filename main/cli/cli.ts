import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError, Option } from 'commander'
import packageJson from '../../package.json' with { type: 'json' }
import type { BoardAccess } from '../session/board-session'
import { createCliKit, type CliKit } from './cli-kit'
import { registerCompletionCommand } from './completion'
import { registerExportCommands } from './export-commands'
import { EXIT, processIo, reportError, type Io } from './output'
import { registerFirmwareCommands } from './firmware-commands'
import { registerFlashCommands } from './flash-commands'
import { registerIdentifyCommand } from './identify-command'
import { registerStationCommand } from './station-command'
import { registerProvisioningCommands } from './provisioning-commands'
import { registerRegistryCommands } from './registry-commands'
import { EXIT_NOT_VERIFIED, registerVerificationCommands } from './verification-commands'

/** The shipped resources of a checkout: <repo>/resources, two levels above this file. */
export const DEFAULT_RESOURCES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'resources',
)

/** The version `fieldflash --version` prints: the package's. */
export const CLI_VERSION: string = packageJson.version

const HELP_FOOTER = `
Global options (--data-dir, --database, --json) go before or after the command.

Environment:
  FIELDFLASH_DATA_DIR   the data directory, when --data-dir is not given (default: the app's,
                        $XDG_CONFIG_HOME/FieldFlash or ~/.config/FieldFlash on Linux)
  FIELDFLASH_APPROVER   the name recorded with an approval, when --approver is not given
  FIELDFLASH_DATABASE_URL  a PostgreSQL registry that several stations share, when --database
                        is not given (postgres://user:password@host:5432/db?sslmode=verify-full)

Exit codes:
  0  success
  1  failure: a port, a board, the disk or the registry (the message says what to do)
  2  bad input: an option, a file or a value is wrong (the message names it and the rule)
  ${EXIT_NOT_VERIFIED}  verify: the board did not prove itself (stale, revoked, expired or consumed
     token, code mismatch, another board, unknown device, timeout)

Shell completion: fieldflash completion bash|zsh (see "fieldflash completion --help").`

/** The command tree of one run: every command, its options and its help. */
export function createProgram(kit: CliKit): Command {
  const { io } = kit
  const program = new Command('fieldflash')
    .description('Prepare ESP32-family boards with fresh one-time credentials.')
    .version(CLI_VERSION, '-V, --version', 'print the version of fieldflash')
    .helpOption('-h, --help', 'show help for fieldflash or a command')
    .addOption(
      new Option(
        '--data-dir <dir>',
        "data directory (default: $FIELDFLASH_DATA_DIR, else the app's)",
      ),
    )
    .addOption(
      new Option(
        '--database <url>',
        "a PostgreSQL registry several stations share (default: $FIELDFLASH_DATABASE_URL, else the data directory's own)",
      ),
    )
    .option('--json', 'machine-readable output (JSON)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', HELP_FOOTER)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
  program.addHelpCommand('help [command]', 'show help for a command')
  registerProvisioningCommands(program, kit)
  registerFlashCommands(program, kit)
  registerIdentifyCommand(program, kit)
  registerStationCommand(program, kit)
  registerVerificationCommands(program, kit)
  registerFirmwareCommands(program, kit)
  registerRegistryCommands(program, kit)
  registerExportCommands(program, kit)
  registerCompletionCommand(program, kit)
  return program
}

/** Runs the `fieldflash` command line and returns the exit code (0 ok, 2 bad input, 1 other; 3 for verify). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
  resourcesDir: string = env.FIELDFLASH_RESOURCES_DIR ?? DEFAULT_RESOURCES_DIR,
  /** How boards are reached: the real serial ports unless a test bench stands in. */
  access?: BoardAccess,
): Promise<number> {
  const kit = createCliKit(io, env, resourcesDir, argv, access)
  const program = createProgram(kit)
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
    await kit.close()
  }
  return kit.exitCode()
}
