import type { Command } from 'commander'
import { BoardCatalog, resourcePaths } from '../boards/catalog'
import { openDataDirectory } from '../credentials/credential-files'
import { defaultDataDir } from '../shared/data-dir'
import { FieldFlashError } from '../shared/errors'
import { databaseTarget, type DatabaseTarget } from '../store/postgres'
import type { FieldFlashStore, SqliteStore } from '../store/store'
import type { BoardAccess } from '../session/board-session'
import { reportError, type Io } from './output'

interface GlobalOptions {
  dataDir?: string
  database?: string
  json?: boolean
}

/** The environment variable naming a PostgreSQL registry (--database overrides it). */
export const DATABASE_URL_ENV = 'FIELDFLASH_DATABASE_URL'

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
    /** The PostgreSQL registry named by --database or FIELDFLASH_DATABASE_URL, if any. */
    database: DatabaseTarget | null
    /** The registry: the PostgreSQL one named, else the data directory's own. */
    store: () => Promise<FieldFlashStore>
    /** The data directory's own SQLite registry, whatever --database says. */
    localStore: () => Promise<SqliteStore>
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
  close(): Promise<void>
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
  let opened: { store: FieldFlashStore; key: string } | null = null
  const open = async (dataDir: string, database: DatabaseTarget | null) => {
    // One registry per run, opened on first use: commands that need none never touch it.
    const key = `${dataDir}\n${database?.url ?? ''}`
    if (opened?.key !== key) {
      await opened?.store.close()
      opened = null
      const { store, notices } = await openDataDirectory(dataDir, database)
      opened = { store, key }
      for (const notice of notices) io.err(`fieldflash: ${notice}\n`)
    }
    return opened.store
  }
  return {
    io,
    env,
    access,
    json: () => json,
    exitCode: () => exitCode,
    close: async () => {
      await opened?.store.close()
      opened = null
    },
    context(cmd) {
      const opts = cmd.optsWithGlobals<GlobalOptions>()
      const dataDir = opts.dataDir ?? defaultDataDir(env)
      const url = opts.database ?? env[DATABASE_URL_ENV]
      const database =
        url === undefined
          ? null
          : databaseTarget(url, opts.database !== undefined ? 'database' : DATABASE_URL_ENV)
      return {
        dataDir,
        database,
        store: () => open(dataDir, database),
        localStore: async () => (await open(dataDir, null)) as SqliteStore,
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
    // The command's own options, then the global ones (--data-dir, --database) of its parents.
    for (let owner: Command | null = cmd; owner; owner = owner.parent) {
      const option = owner.options.find((o) => o.attributeName() === name)
      if (option?.long) return option.long
    }
    const argument = cmd.registeredArguments.find((a) => a.name() === name)
    if (argument) return `<${argument.name()}>`
  }
  return null
}
