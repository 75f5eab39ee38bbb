import { readFile, stat } from 'node:fs/promises'
import { FirmwareError } from './firmware-errors'
import type { FlashTarget } from './flash-target'

/** What is at `path`: a file, a folder, or nothing. */
export async function pathKind(path: string): Promise<'file' | 'directory' | null> {
  try {
    const info = await stat(path)
    return info.isDirectory() ? 'directory' : 'file'
  } catch (error) {
    if (isMissing(error)) return null
    throw unreadable(path, error)
  }
}

/**
 * The bytes of one file that will be written to flash. A missing, empty or unreadable file is an
 * error naming it; a file larger than the whole flash is refused before it is read.
 */
export async function readFirmwareFile(
  path: string,
  target: FlashTarget,
  missingAdvice: string,
): Promise<Uint8Array> {
  let size: number
  try {
    const info = await stat(path)
    if (info.isDirectory()) {
      throw new FirmwareError(
        'invalid_input',
        `${path} is a folder; a firmware part must be a file.`,
        path,
      )
    }
    size = info.size
  } catch (error) {
    if (error instanceof FirmwareError) throw error
    if (isMissing(error)) {
      throw new FirmwareError('not_found', `${path} does not exist. ${missingAdvice}`, path)
    }
    throw unreadable(path, error)
  }
  if (size === 0) {
    throw new FirmwareError(
      'empty_file',
      `${path} is empty (0 bytes). The build probably failed or was interrupted: rebuild the firmware.`,
      path,
    )
  }
  if (size > target.flashSize) {
    throw new FirmwareError(
      'exceeds_flash',
      `${path} is ${size} bytes, larger than ${target.flashSizeSource} (${target.flashSize} bytes). Choose a build for this board, or the board that matches the hardware.`,
      path,
    )
  }
  try {
    const buffer = await readFile(path)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  } catch (error) {
    throw unreadable(path, error)
  }
}

/** A JSON document FieldFlash reads (flasher_args.json, manifest.json); bad JSON names the file. */
export async function readJsonFile(path: string, missingAdvice: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (isMissing(error)) {
      throw new FirmwareError('not_found', `${path} does not exist. ${missingAdvice}`, path)
    }
    throw unreadable(path, error)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new FirmwareError(
      'invalid_input',
      `${path} is not valid JSON (${(error as Error).message}). Use the file the build tool wrote, unedited.`,
      path,
      { cause: error },
    )
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function unreadable(path: string, error: unknown): FirmwareError {
  const code = (error as NodeJS.ErrnoException | null)?.code
  const advice =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied: check that your user may read it'
      : `${(error as Error).message}`
  return new FirmwareError('io_error', `Cannot read ${path}: ${advice}.`, path, { cause: error })
}
