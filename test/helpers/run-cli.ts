import { runCli } from '../../main/cli/cli'

export interface CliRun {
  code: number
  out: string
  err: string
}

/** Runs `fieldflash <argv> --data-dir <dataDir>` in-process with an empty environment, capturing output. */
export async function cli(dataDir: string, ...argv: string[]): Promise<CliRun> {
  return cliRaw(...argv, '--data-dir', dataDir)
}

/** Runs `fieldflash <argv>` in-process exactly as given, capturing output. */
export async function cliRaw(...argv: string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, {})
  return { code, out, err }
}
