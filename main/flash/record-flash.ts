import { requireDevice } from '../provisioning/tokens'
import type { FieldFlashStore } from '../store/store'
import type { FlashRecord } from '../store/records'
import type { FlashSuccess } from './flash-events'

/**
 * Keeps a successful flash on the device's record: chip, MAC, flash size, firmware name and hash,
 * port and time. The MAC is what later exposes one token reused on a second board.
 */
export function recordFlash(
  store: FieldFlashStore,
  uid: string,
  flash: FlashSuccess,
  now: Date = new Date(),
): FlashRecord {
  return store.write((tx) => {
    const device = requireDevice(tx, uid)
    const record: FlashRecord = {
      at: now.toISOString(),
      port: flash.port,
      chip: flash.chip,
      mac: flash.mac,
      flashSize: flash.flashSize,
      firmwareName: flash.firmwareName,
      firmwareSha256: flash.firmwareSha256,
      parts: flash.parts.map((p) => ({ offset: p.offset, size: p.size, md5: p.md5 })),
    }
    tx.saveDevice(device, { ...device, flashes: [...device.flashes, record] })
    tx.audit([
      {
        type: 'device.flashed',
        uid,
        port: record.port,
        chip: record.chip,
        mac: record.mac,
        firmwareSha256: record.firmwareSha256,
        at: record.at,
      },
    ])
    return record
  })
}
