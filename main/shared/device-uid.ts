import { randomBytes } from 'node:crypto'
import { encodeBase32 } from './crockford'
import { invalidInput } from './errors'
import { redactTokens } from './redact'

/** The Device ID rule of the platform: 4–90 characters of `0-9 a-z A-Z - _ .`, as a pattern part. */
export const DEVICE_UID_CHARS = '[0-9A-Za-z._-]{4,90}'
export const DEVICE_UID_PATTERN = new RegExp(`^${DEVICE_UID_CHARS}$`)
export const DEVICE_UID_RULE = '4–90 characters of 0-9 a-z A-Z - _ .'

/** True when `uid` satisfies the Device ID rule. */
export function isValidDeviceUid(uid: string): boolean {
  return DEVICE_UID_PATTERN.test(uid)
}

/** Throws `invalid_input` naming `field` and the value given unless `uid` satisfies the Device ID rule. */
export function assertDeviceUid(uid: unknown, field = 'uid'): string {
  if (typeof uid !== 'string' || !isValidDeviceUid(uid)) {
    throw invalidInput(field, `must be ${DEVICE_UID_RULE}, not ${shownValue(uid)}`)
  }
  return uid
}

/** A value as a message shows it: quoted, control characters escaped, long ones cut. */
function shownValue(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'nothing' : typeof value
  // JSON quoting escapes control characters; a token pasted by mistake stays out of the message.
  const shown = JSON.stringify(redactTokens(value.length > 40 ? `${value.slice(0, 40)}…` : value))
  return value.length > 40 ? `${shown} (${value.length} characters)` : shown
}

/** A new UID: `ff-` and 12 Crockford digits (60 random bits), readable aloud and on a label. */
export function generateDeviceUid(random: (size: number) => Uint8Array = randomBytes): string {
  return 'ff-' + encodeBase32(random(8)).slice(0, 12)
}
