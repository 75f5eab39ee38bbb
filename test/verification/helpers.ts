import { addDevice } from '../../main/devices/devices'
import { regenerateToken, type TokenView } from '../../main/credentials/tokens'
import type { FieldFlashStore } from '../../main/store/store'
import type { FlashRecord } from '../../main/store/records'
import { freshStore, loadCatalog } from '../helpers/fixtures'

export const T0 = new Date('2025-03-01T08:00:00.000Z')
export const at = (hours: number): Date => new Date(T0.getTime() + hours * 3_600_000)

export const MAC_A = '24:0a:c4:12:34:56'
export const MAC_B = '24:0a:c4:65:43:21'

/** A banner as the board prints it for a token view. */
export function bannerFor(uid: string, token: TokenView, mac = MAC_A) {
  return { uid, fingerprint: token.fingerprint, code: token.expectedCode, mac }
}

/**
 * A store with device pump-0001 (esp32-devkitc) holding two tokens: `old` minted at T0 and
 * superseded at T0+1h by `current`.
 */
export async function deviceWithTokens(): Promise<{
  store: FieldFlashStore
  dataDir: string
  old: TokenView
  current: TokenView
}> {
  const { store, dataDir } = await freshStore()
  await addDevice(store, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' }, T0)
  const old = (await regenerateToken(store, 'pump-0001', T0)).view
  const current = (await regenerateToken(store, 'pump-0001', at(1))).view
  return { store, dataDir, old, current }
}

/** Records a successful flash as the flashing code does, with the board's MAC. */
export async function recordFlash(
  store: FieldFlashStore,
  uid: string,
  mac: string,
  when = at(1.5),
): Promise<void> {
  const flash: FlashRecord = {
    at: when.toISOString(),
    port: '/dev/ttyUSB0',
    chip: 'ESP32-D0WD-V3',
    mac,
    flashSize: '4MB',
    firmwareName: 'firmware.bin',
    firmwareSha256: '0'.repeat(64),
    parts: [],
  }
  await store.write(async (tx) => {
    const device = (await tx.device(uid))!
    await tx.saveDevice(device, { ...device, flashes: [...device.flashes, flash] })
  })
}
