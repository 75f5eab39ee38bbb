import { Command, Option } from 'commander'
import { BoardCatalog, resourcePaths } from '../boards/catalog'
import { defaultDataDir } from '../shared/data-dir'
import { FieldFlashStore } from '../store/store'
import { reconcileCredentialFiles } from '../provisioning/credential-files'
import { reportError, type Io } from './output'

interface GlobalOptions {
  dataDir?: string
  json?: boolean
}

/** What every command module gets: output, options shared by all commands, and error handling. */
export interface CliKit {
  io: Io
  env: NodeJS.ProcessEnv
  /** True when the running command was given --json. */
  json(): boolean
  /** The data and catalog a command works on, per its --data-dir. */
  context(cmd: Command): {
    dataDir: string
    store: () => FieldFlashStore
    catalog: () => Promise<BoardCatalog>
  }
  /**
   * Wraps an action: expected failures become a message and exit code, never a stack trace. The
   * action may return its own exit code (for example `verify`'s 3 for "not verified").
   */
  action<A extends unknown[]>(
    fn: (cmd: Command, ...args: A) => Promise<number | void> | number | void,
  ): (...args: unknown[]) => Promise<void>
  /** Adds --data-dir and --json to a command. */
  common(cmd: Command): Command
  /** The exit code the run ends with. */
  exitCode(): number
  /** Closes what the run opened (the registry). */
  close(): void
}

/** Builds the kit for one CLI run. */
export function createCliKit(
  io: Io,
  env: NodeJS.ProcessEnv,
  resourcesDir: string,
  argv: string[],
): CliKit {
  let exitCode = 0
  let json = argv.includes('--json')
  let opened: FieldFlashStore | null = null
  return {
    io,
    env,
    json: () => json,
    exitCode: () => exitCode,
    close: () => {
      opened?.close()
      opened = null
    },
    context(cmd) {
      const opts = cmd.optsWithGlobals<GlobalOptions>()
      json = opts.json ?? false
      const dataDir = opts.dataDir ?? defaultDataDir(env)
      return {
        dataDir,
        store: () => {
          // One registry per run, opened on first use: commands that need none never touch it.
          if (opened?.dataDir !== dataDir) {
            opened?.close()
            opened = FieldFlashStore.open(dataDir)
            for (const notice of opened.notices) io.err(`fieldflash: ${notice}\n`)
            reconcileCredentialFiles(opened)
          }
          return opened
        },
        catalog: () => BoardCatalog.load(resourcePaths(resourcesDir)),
      }
    },
    action(fn) {
      return async (...args: unknown[]) => {
        const cmd = args.at(-1) as Command
        try {
          const code = await fn(cmd, ...(args.slice(0, -2) as never))
          if (typeof code === 'number') exitCode = code
        } catch (error) {
          exitCode = reportError(io, json, error)
        }
      }
    },
    common(cmd) {
      return cmd
        .addOption(
          new Option(
            '--data-dir <dir>',
            "data directory (default: $FIELDFLASH_DATA_DIR or the app's)",
          ),
        )
        .option('--json', 'machine-readable output')
    },
  }
}
