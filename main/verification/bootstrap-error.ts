/** An `FFERR` line: the firmware refuses its own configuration and says why. */
export interface BootstrapError {
  uid: string | null
  reason: string
  /** What it means and what to do, for the technician. */
  message: string
}

const FFERR = /FFERR v=1(?: uid=([0-9A-Za-z._-]{4,90}))? reason=([a-z0-9_]{1,32})(?:\s|$)/

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
  switch (reason) {
    case 'uid':
      return 'The firmware’s DEVICE_UID breaks the Device ID rule (4–90 characters of 0-9 a-z A-Z - _ .). Download the template again, rebuild and flash.'
    case 'fw':
      return 'The firmware version (FF_FIRMWARE_VERSION) is not 0–32 characters of 0-9 a-z A-Z . _ + -. Fix it and rebuild.'
    default:
      return 'The firmware could not compute its verification code. Rebuild and flash it; if this persists, report a firmware defect.'
  }
}
