import { isAbsolute } from 'node:path'
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
 * Refuses a part path the app cannot open offline: a URL (the app never downloads) or an absolute
 * path (in a manifest it means the web server's root). `listFile` names the file that lists it.
 */
export function checkRelativePartPath(path: string, listFile: string): void {
  if (path.length === 0) {
    throw new FirmwareError(
      'invalid_input',
      `${listFile} lists a part with an empty path.`,
      listFile,
    )
  }
  // Two or more letters before the colon, so a Windows drive letter (C:) is not taken for a scheme.
  if (/^[a-z][a-z0-9+.-]+:/i.test(path) || path.startsWith('//')) {
    throw new FirmwareError(
      'remote_path',
      `${listFile} points to ${path}, a remote location. FieldFlash works offline and never downloads firmware: download the file, put it next to ${listFile}, and list it by a relative path.`,
      listFile,
    )
  }
  if (path.startsWith('/') || isAbsolute(path)) {
    throw new FirmwareError(
      'invalid_input',
      `${listFile} lists ${path} as an absolute path; part paths must be relative to ${listFile}. Edit the path, or put the file next to it.`,
      listFile,
    )
  }
}

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
