import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { FieldFlashError } from './errors'

/**
 * Writes `data` to `path` as a whole or not at all: a temporary file beside it, flushed, then
 * renamed into place, so a reader (a platform importer, a broker reloading its files, a support
 * engineer opening a log) never sees half a file, and a failed run leaves the previous file as it
 * was. `field` names the input the path came from, for the error.
 */
export async function writeFileAtomically(
  path: string,
  data: Uint8Array | string,
  options: { mode?: number; field?: string } = {},
): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  )
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o644)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    const code = (error as NodeJS.ErrnoException).code
    const hint =
      code === 'EISDIR'
        ? 'It is a folder: give a file name.'
        : 'Check the folder exists and is writable.'
    throw new FieldFlashError(
      'io_error',
      `Could not write ${path} (${code ?? (error as Error).message}); nothing was changed there. ${hint}`,
      options.field,
      { cause: error },
    )
  }
}
