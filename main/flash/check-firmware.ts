import type { BoardCatalog } from '../boards/catalog'
import { requireDevice } from '../store/require-device'
import type { FieldFlashStore } from '../store/store'
import type { FirmwareCheck } from './firmware-check-types'
import { loadFirmwareBundle } from './firmware/load-firmware-bundle'
import { summarizeFirmwareBundle } from './firmware/summarize-firmware-bundle'
import { checkFirmwareToken } from './firmware-token-check'

/**
 * What the technician chose to flash for a device, checked before anything is written: the
 * firmware loaded for the device's board, its parts, and whether the token it carries is the
 * device's current one. The app and `fieldflash flash --device` both ask this.
 */
export async function checkFirmwareForDevice(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: { uid: string; firmwarePath: string; now: Date },
): Promise<FirmwareCheck> {
  const device = store.read((tx) => requireDevice(tx, request.uid))
  const board = catalog.get(device.boardId)
  const bundle = await loadFirmwareBundle({ path: request.firmwarePath, board })
  const summary = summarizeFirmwareBundle(bundle)
  return {
    path: request.firmwarePath,
    name: bundle.name,
    kind: bundle.kind,
    totalBytes: summary.totalBytes,
    parts: summary.parts.map((p) => ({
      name: p.name,
      offsetHex: p.offsetHex,
      size: p.size,
      generated: p.generated,
    })),
    token: store.read((tx) =>
      checkFirmwareToken(
        tx,
        request.uid,
        bundle.parts.map((p) => p.data),
        request.now,
      ),
    ),
  }
}
