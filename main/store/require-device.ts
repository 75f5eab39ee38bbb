import { FieldFlashError } from '../shared/errors'
import type { DeviceRecord } from './records'
import type { StoreReader } from './store'

/** Looks a device up in a transaction or fails with `not_found` naming the UID. */
export async function requireDevice(tx: StoreReader, uid: string): Promise<DeviceRecord> {
  const device = await tx.device(uid)
  if (!device) {
    throw new FieldFlashError(
      'not_found',
      `uid: no device with UID ${uid} in this data folder; list them with "fieldflash device list".`,
      'uid',
    )
  }
  return device
}
