import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { FirmwareError } from './firmware-errors'

/** An offset written as `0x1000`, `4096` or a number; null when it is neither. */
export function parseOffset(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text, 16)
  if (/^\d+$/.test(text)) return Number(text)
  return null
}

/**
 * Where a part listed in `listFile` (a manifest.json or flasher_args.json) lives, refusing a path
 * the app must not open: a URL (the app never downloads), an absolute path (in a manifest it means
 * the web server's root) or one that climbs out of the list's folder. A file handed over by someone
 * else must not make FieldFlash read, and write to a board, any file of this computer.
 */
export function resolvePartPath(path: string, listFile: string): string {
  const refuse = (rule: string): FirmwareError =>
    new FirmwareError('invalid_input', `${listFile}: part path "${path}" ${rule}.`, listFile)
  if (path.length === 0) throw refuse('is empty; each part names a file next to the list')
  // Two or more letters before the colon, so a Windows drive letter (C:) is not taken for a scheme.
  if (/^[a-z][a-z0-9+.-]+:/i.test(path) || path.startsWith('//')) {
    throw new FirmwareError(
      'remote_path',
      `${listFile}: part path "${path}" is a remote location. FieldFlash works offline and never downloads firmware: download the file, put it next to ${basename(listFile)}, and list it by a relative path.`,
      listFile,
    )
  }
  if (path.startsWith('/') || path.startsWith('\\') || isAbsolute(path) || /^[a-z]:/i.test(path)) {
    throw refuse(`is absolute; part paths must be relative to the folder of ${basename(listFile)}`)
  }
  const folder = dirname(resolve(listFile))
  const file = resolve(folder, path)
  if (!isInside(folder, file)) {
    throw refuse(`leaves the folder of ${basename(listFile)}; part paths must stay inside it`)
  }
  return file
}

/**
 * Refuses a part whose file is a link to somewhere outside `folder` (the folder of the list that
 * names it, or the build folder): the path stays inside, but the bytes would not.
 */
export async function checkStaysInside(
  file: string,
  folder: string,
  listFile: string,
): Promise<void> {
  let real: string
  let realFolder: string
  try {
    ;[real, realFolder] = await Promise.all([realpath(file), realpath(folder)])
  } catch {
    return // a missing file is reported, with advice, when it is read
  }
  if (!isInside(realFolder, real)) {
    throw new FirmwareError(
      'invalid_input',
      `${listFile}: part ${file} is a link to ${real}, outside ${folder}; a firmware's parts must be files inside its folder.`,
      listFile,
    )
  }
}

function isInside(folder: string, path: string): boolean {
  const rest = relative(folder, path)
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest)
}

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
