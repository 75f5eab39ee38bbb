import { requireDevice } from '../store/require-device'
import type { FieldFlashStore } from '../store/store'
import type { FlashRecord } from '../store/records'
import type { FlashFailure, FlashSuccess } from './flash-events'

/**
 * Keeps a successful flash on the device's record: chip, MAC, flash size, firmware name and hash,
 * port and time. The MAC is what later exposes one token reused on a second board.
 */
export function recordFlash(
  store: FieldFlashStore,
  uid: string,
  flash: FlashSuccess,
  now: Date = new Date(),
): Promise<FlashRecord> {
  return store.write(async (tx) => {
    const device = await requireDevice(tx, uid)
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
    await tx.saveDevice(device, { ...device, flashes: [...device.flashes, record] })
    await tx.audit([
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

/**
 * Records a successful flash; when the registry cannot take it, the flash is still reported as done
 * and the failure as its own code, with the cause, so nobody flashes a good board again in vain.
 */
export async function recordFlashOrSay(
  store: FieldFlashStore,
  uid: string,
  flash: FlashSuccess,
): Promise<FlashSuccess | FlashFailure> {
  try {
    await recordFlash(store, uid, flash)
    return flash
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error)
    return {
      ok: false,
      stage: 'resetting',
      code: 'not_recorded',
      message: `The board on ${flash.port} was flashed and verified (${flash.chip}, MAC ${flash.mac}), but the flash could not be recorded on ${uid}: ${cause} Fix that, then verify the board; flashing it again is not needed.`,
    }
  }
}
