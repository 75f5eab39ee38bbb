import type { Command } from 'commander'
import { BoardCatalog, resourcePaths } from '../boards/catalog'
import { openDataDirectory } from '../credentials/credential-files'
import { defaultDataDir } from '../shared/data-dir'
import { FieldFlashError } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { BoardAccess } from '../session/board-session'
import { reportError, type Io } from './output'

interface GlobalOptions {
  dataDir?: string
  json?: boolean
}

/** What every command module gets: output, options shared by all commands, and error handling. */
export interface CliKit {
  io: Io
  env: NodeJS.ProcessEnv
  /** How boards are reached (the real serial ports unless a test bench stands in). */
  access?: BoardAccess
  /** True when the run was given --json (before or after the command). */
  json(): boolean
  /** The data and catalog a command works on, per --data-dir. */
  context(cmd: Command): {
    dataDir: string
    /**
     * The registry. Refused while FIELDFLASH_DATABASE_URL names a PostgreSQL one: commands do not
     * run on PostgreSQL yet, and falling back to the local file would split the registry.
     */
    store: () => Promise<FieldFlashStore>
    /** The data directory's own SQLite registry, whatever FIELDFLASH_DATABASE_URL says. */
    localStore: () => Promise<FieldFlashStore>
    catalog: () => Promise<BoardCatalog>
  }
  /**
   * Wraps an action: expected failures become a message in the CLI's words (naming the option or
   * argument the user typed) and an exit code, never a stack trace. The action may return its own
   * exit code (for example `verify`'s 3 for "not verified").
   */
  action<A extends unknown[]>(
    fn: (cmd: Command, ...args: A) => Promise<number | void> | number | void,
  ): (...args: unknown[]) => Promise<void>
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
  access?: BoardAccess,
): CliKit {
  let exitCode = 0
  let json = argv.includes('--json')
  let opened: FieldFlashStore | null = null
  return {
    io,
    env,
    access,
    json: () => json,
    exitCode: () => exitCode,
    close: () => {
      opened?.close()
      opened = null
    },
    context(cmd) {
      const opts = cmd.optsWithGlobals<GlobalOptions>()
      const dataDir = opts.dataDir ?? defaultDataDir(env)
      const localStore = async (): Promise<FieldFlashStore> => {
        // One registry per run, opened on first use: commands that need none never touch it.
        if (opened?.dataDir !== dataDir) {
          opened?.close()
          opened = null
          const { store, notices } = await openDataDirectory(dataDir)
          opened = store
          for (const notice of notices) io.err(`fieldflash: ${notice}\n`)
        }
        return opened
      }
      return {
        dataDir,
        localStore,
        store: async () => {
          if (env.FIELDFLASH_DATABASE_URL) {
            throw new FieldFlashError(
              'invalid_state',
              `FIELDFLASH_DATABASE_URL names a PostgreSQL registry, and this FieldFlash runs this command on a data directory's registry only (on PostgreSQL it checks one with "doctor" and fills one with "registry copy"). Unset FIELDFLASH_DATABASE_URL to use ${dataDir}; nothing was done.`,
            )
          }
          return localStore()
        },
        catalog: () => BoardCatalog.load(resourcePaths(resourcesDir)),
      }
    },
    action(fn) {
      return async (...args: unknown[]) => {
        const cmd = args.at(-1) as Command
        json = cmd.optsWithGlobals<GlobalOptions>().json ?? false
        try {
          const code = await fn(cmd, ...(args.slice(0, -2) as never))
          if (typeof code === 'number') exitCode = code
        } catch (error) {
          exitCode = reportError(io, json, inCliWords(error, cmd))
        }
      }
    },
  }
}

// Fields the services name that a command takes under another name: a device is `--device` to
// `provision`, a firmware the `<path>` of `firmware import`.
const FIELD_ALIASES: Record<string, string[]> = {
  uid: ['device'],
  firmware: ['path'],
  boardId: ['board'],
  outPath: ['out'],
}

/**
 * The error as the CLI's user reads it: a message that starts with a service's field name
 * (`mqttPort: must be …`) names the option (`--mqtt-port`) or argument (`<uid>`) typed instead.
 */
export function inCliWords(error: unknown, cmd: Command): unknown {
  if (!(error instanceof FieldFlashError)) return error
  const words = failureInCliWords(cmd, error)
  if (words.message === error.message) return error
  return new FieldFlashError(error.code, words.message, words.field, {
    cause: error,
    badInput: error.badInput,
  })
}

/** A failure's message and field as the command's user typed them (see `inCliWords`). */
export function failureInCliWords(
  cmd: Command,
  failure: { message: string; field?: string },
): { message: string; field?: string } {
  const { field, message } = failure
  if (!field || !message.startsWith(`${field}: `)) return failure
  const name = cliNameOf(cmd, field)
  return name ? { message: `${name}: ${message.slice(field.length + 2)}`, field: name } : failure
}

function cliNameOf(cmd: Command, field: string): string | null {
  for (const name of [field, ...(FIELD_ALIASES[field] ?? [])]) {
    const option = cmd.options.find((o) => o.attributeName() === name)
    if (option?.long) return option.long
    const argument = cmd.registeredArguments.find((a) => a.name() === name)
    if (argument) return `<${argument.name()}>`
  }
  return null
}
