import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

export const run = promisify(execFile)

/** Compiles C sources with warnings as errors; a missing compiler fails with the install hint. */
export async function compileC(
  sources: string[],
  output: string,
  extra: string[] = [],
): Promise<void> {
  try {
    await run('gcc', [
      '-std=c99',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-o',
      output,
      ...sources,
      ...extra,
    ])
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') throw new Error('gcc is missing: apt-get install gcc libmbedtls-dev')
    throw new Error(`gcc failed:\n${e.stderr ?? e.message}`)
  }
}
