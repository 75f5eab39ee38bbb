import { DEVICE_UID_CHARS } from '../shared/device-uid'

import type { BootstrapError } from './verification-types'

export type { BootstrapError }

const FFERR = new RegExp(
  `FFERR v=1(?: uid=(${DEVICE_UID_CHARS}))? reason=([a-z0-9_]{1,32})(?:\\s|$)`,
)

/** Finds an `FFERR v=1 [uid=..] reason=..` line (the last one on the line wins), or null. */
export function parseBootstrapError(line: string): BootstrapError | null {
  const at = line.lastIndexOf('FFERR ')
  if (at < 0) return null
  const match = FFERR.exec(line.slice(at).replace(/\r$/, ''))
  if (!match) return null
  const uid = match[1] ?? null
  const reason = match[2]!
  return { uid, reason, message: explain(reason) }
}

function explain(reason: string): string {
  if (reason.startsWith('token_')) {
    return `The firmware rejects its PROVISIONING_TOKEN (${reason.slice('token_'.length)}): the value in include/device_config.h was mistyped or cut. Paste the token again exactly, or download the template again; then rebuild and flash.`
  }
  const cfg = /^cfg_(missing|type|long)_([a-z0-9_]+)$/.exec(reason)
  if (cfg) {
    const what = { missing: 'is missing', type: 'has the wrong type', long: 'is too long' }[
      cfg[1] as 'missing' | 'type' | 'long'
    ]
    return `The board's config partition (ffcfg) is unusable: key "${cfg[2]}" ${what}. Provision the board again with FieldFlash (it writes a fresh config partition).`
  }
  switch (reason) {
    case 'cfg_none':
      return 'The board runs a base firmware but has no config partition (ffcfg) yet. Provision it with FieldFlash: it writes the device’s config partition with fresh credentials.'
    case 'uid':
      return 'The firmware’s DEVICE_UID breaks the Device ID rule (4–90 characters of 0-9 a-z A-Z - _ .). Download the template again, rebuild and flash.'
    case 'fw':
      return 'The firmware version (FF_FIRMWARE_VERSION) is not 0–32 characters of 0-9 a-z A-Z . _ + -. Fix it and rebuild.'
    default:
      return 'The firmware could not compute its verification code. Rebuild and flash it; if this persists, report a firmware defect.'
  }
}
