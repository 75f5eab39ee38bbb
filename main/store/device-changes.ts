import type {
  DeviceRecord,
  FlashRecord,
  ProvisioningOperation,
  RegistrationRecord,
  TokenRecord,
} from './records'

/** What a change to a device writes, whichever engine writes it. */
export interface DeviceChanges {
  /** The device's own row (board, MQTT credentials, approval) is new or changed. */
  own: boolean
  /** In array order: a superseded token is written before its successor is issued. */
  tokens: TokenRecord[]
  operations: ProvisioningOperation[]
  flashes: FlashRecord[]
  /** In array order: the active one is superseded before its successor becomes active. */
  registrations: RegistrationRecord[]
}

/**
 * What changed from `before` (as read in the same transaction; null for a new device) to `after`:
 * its own fields, and every token, operation, flash and registration that is not the very same
 * object as before (records are never changed in place).
 */
export function deviceChanges(before: DeviceRecord | null, after: DeviceRecord): DeviceChanges {
  if (before && before.uid !== after.uid) {
    throw new Error('saveDevice: the UID of a device never changes')
  }
  const added = <T>(was: readonly T[] | undefined, now: readonly T[]): T[] =>
    was ? now.filter((item) => !was.includes(item)) : [...now]
  return {
    own:
      !before ||
      before.boardId !== after.boardId ||
      before.mqtt !== after.mqtt ||
      before.approvedAt !== after.approvedAt,
    tokens: added(before?.tokens, after.tokens),
    operations: added(before?.operations, after.operations),
    flashes: added(before?.flashes, after.flashes),
    registrations: added(before?.registrations, after.registrations),
  }
}
