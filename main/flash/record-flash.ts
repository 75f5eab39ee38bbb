import { requireDevice, withDevice } from '../provisioning/tokens'
import type { FieldFlashStore } from '../store/store'
import type { FlashRecord } from '../store/store-document'
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
  return store.update((doc) => {
    const device = requireDevice(doc, uid)
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
    return {
      next: withDevice(doc, { ...device, flashes: [...device.flashes, record] }),
      result: record,
    }
  })
}
