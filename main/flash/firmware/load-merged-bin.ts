import { basename } from 'node:path'
import type { LoadedFirmwareInput } from './firmware-bundle'
import type { FlashTarget } from './flash-target'
import { readFirmwareFile } from './read-input'
import { inferPartRole } from './validate-layout'

/** Lays out one .bin file at `offset` (0x0 unless told): a merged image, or a lone app or part. */
export async function loadMergedBin(
  path: string,
  target: FlashTarget,
  offset = 0,
): Promise<LoadedFirmwareInput> {
  const data = await readFirmwareFile(path, target, 'Check the path.')
  // A file that starts at or before the bootloader is a merged image, whatever its size: its
  // bootloader is then checked where the chip will look for it.
  const coversBootloader = target.chip !== 'ESP8266' && offset <= (target.bootloaderOffset ?? 0)
  const role = coversBootloader ? 'merged' : inferPartRole(offset, data, target)
  return {
    name: basename(path),
    parts: [{ name: basename(path), role, offset, data, file: path }],
    layoutSource: 'the flashing options',
    flashSettings: null,
  }
}
