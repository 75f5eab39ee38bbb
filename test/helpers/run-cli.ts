import { runCli } from '../../main/cli/cli'
import { databaseFor } from './engine'

export interface CliRun {
  code: number
  out: string
  err: string
}

/**
 * Runs `fieldflash <argv> --data-dir <dataDir>` in-process with an empty environment, capturing
 * output; on the postgres project, with the data directory's database (--database).
 */
export async function cli(dataDir: string, ...argv: string[]): Promise<CliRun> {
  const url = await databaseFor(dataDir)
  return cliRaw(...argv, '--data-dir', dataDir, ...(url ? ['--database', url] : []))
}

/** Runs `fieldflash <argv>` in-process exactly as given, capturing output. */
export async function cliRaw(...argv: string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, {})
  return { code, out, err }
}
