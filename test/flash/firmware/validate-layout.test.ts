import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bootApp0Image } from '../../../main/flash/firmware/boot-app0'
import { loadFirmwareBundle } from '../../../main/flash/firmware/load-firmware-bundle'
import { toResult } from '../../../main/shared/errors'
import {
  ARDUINO_DEFAULT_4MB,
  CHIP_IDS,
  DATA,
  FACTORY_1MB,
  NVS,
  OTADATA,
  board,
  espImage,
  expectFirmwareError,
  partitionTable,
  tempDir,
  writeFiles,
  type PartitionSpec,
} from './firmware-fixtures'

const ESP32_FILES = {
  'bootloader.bin': espImage({ chipId: CHIP_IDS.ESP32 }),
  'partitions.bin': partitionTable(ARDUINO_DEFAULT_4MB),
  'boot_app0.bin': bootApp0Image(),
  'app.bin': espImage({ chipId: CHIP_IDS.ESP32, segments: [4096] }),
  'extra.bin': new Uint8Array(0x2000).fill(0x42),
}

/** A manifest folder for the ESP32 DevKitC with `parts` (name → offset). */
async function manifestWith(parts: Record<string, number>, files: Record<string, Uint8Array> = {}) {
  const dir = await tempDir('fieldflash-layout-')
  const manifest = {
    name: 'Layout',
    builds: [
      {
        chipFamily: 'ESP32',
        parts: Object.entries(parts).map(([path, offset]) => ({ path, offset })),
      },
    ],
  }
  await writeFiles(dir, { ...ESP32_FILES, ...files, 'manifest.json': manifest })
  return { dir, manifest: join(dir, 'manifest.json') }
}

const STANDARD = { 'bootloader.bin': 0x1000, 'partitions.bin': 0x8000, 'app.bin': 0x10000 }

async function platformioBuildWith(table: PartitionSpec[], firmware: Uint8Array) {
  const dir = await tempDir('fieldflash-layout-pio-')
  await writeFiles(dir, {
    'bootloader.bin': espImage({ chipId: CHIP_IDS.ESP32 }),
    'partitions.bin': partitionTable(table),
    'firmware.bin': firmware,
  })
  return dir
}

describe('loadFirmwareBundle refuses a layout that cannot be flashed', () => {
  it('refuses a part off a 4 KiB sector boundary, naming the part and the manifest', async () => {
    const { dir, manifest } = await manifestWith({ ...STANDARD, 'boot_app0.bin': 0xe100 })
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'misaligned',
      `${join(dir, 'boot_app0.bin')} is to be written at 0xe100, which is not on a 4 KiB flash sector boundary`,
      `Fix its offset in ${manifest}`,
    )
  })

  it('refuses overlapping parts, naming both and their ranges', async () => {
    const { dir, manifest } = await manifestWith({ ...STANDARD, 'extra.bin': 0xf000 })
    const error = await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'overlap',
      `${join(dir, 'extra.bin')} (0xf000–0x10fff) overlaps ${join(dir, 'app.bin')} (0x10000–`,
      `Fix the offsets in ${manifest}`,
    )
    expect(error.file).toBe(join(dir, 'app.bin'))
  })

  it('refuses a part that ends beyond the flash', async () => {
    const { dir } = await manifestWith({ ...STANDARD, 'extra.bin': 0x3ff000 })
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'exceeds_flash',
      `${join(dir, 'extra.bin')} (8192 bytes at 0x3ff000) ends at 0x401000, beyond ESP32-DevKitC's 4MB flash`,
    )
  })

  it('checks against the flash size the chip reported, not only the catalog', async () => {
    const { dir } = await manifestWith(STANDARD)
    await expectFirmwareError(
      loadFirmwareBundle({
        path: dir,
        board: await board('esp32-devkitc'),
        detectedFlashSize: 2 * 1024 * 1024,
      }),
      'exceeds_flash',
      `${join(dir, 'partitions.bin')}: partition "app1" ends at 0x290000, beyond the connected chip's 2.00 MiB flash`,
      'built for a board with more flash',
    )
  })

  it('refuses a file larger than the whole flash before reading it', async () => {
    const dir = await tempDir('fieldflash-huge-')
    await writeFiles(dir, { 'huge.bin': new Uint8Array(1024 * 1024 + 16) })
    await expectFirmwareError(
      loadFirmwareBundle({
        path: join(dir, 'huge.bin'),
        board: await board('esp32-devkitc'),
        detectedFlashSize: '1MB',
      }),
      'exceeds_flash',
      `${join(dir, 'huge.bin')} is 1048592 bytes, larger than the connected chip's 1.00 MiB flash (1048576 bytes)`,
    )
  })

  it('refuses an app larger than its factory partition', async () => {
    const firmware = espImage({ chipId: CHIP_IDS.ESP32, segments: [0x100000] })
    const dir = await platformioBuildWith(FACTORY_1MB, firmware)
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'image_too_large',
      `${join(dir, 'firmware.bin')} is ${firmware.length} bytes, but its partition "factory" (factory at 0x10000, 1048576 bytes) holds only 1048576 bytes`,
      'board_build.partitions',
    )
  })

  it('refuses an app where the partition table has no app partition', async () => {
    const { dir } = await manifestWith({ ...STANDARD, 'app.bin': 0x20000 })
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_partition_table',
      `${join(dir, 'app.bin')} is to be written at 0x20000, but ${join(dir, 'partitions.bin')} has no app partition there`,
      '"app0" (ota_0 at 0x10000, 1310720 bytes)',
    )
  })

  it('refuses a generated boot_app0 when the partition table keeps otadata elsewhere', async () => {
    // nvs made smaller, so otadata fits at 0xd000 without overlapping it.
    const table = ARDUINO_DEFAULT_4MB.map((entry) =>
      entry.type === DATA && entry.subtype === OTADATA
        ? { ...entry, offset: 0xd000 }
        : entry.type === DATA && entry.subtype === NVS
          ? { ...entry, size: 0x4000 }
          : entry,
    )
    const dir = await platformioBuildWith(table, espImage({ chipId: CHIP_IDS.ESP32 }))
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_partition_table',
      'boot_app0.bin (generated by FieldFlash) selects the boot app and goes to 0xe000',
      'its otadata partition is at 0xd000',
    )
  })

  it('refuses a partition table larger than its 4 KiB sector', async () => {
    const oversized = new Uint8Array(0x1400).fill(0xff)
    oversized.set(partitionTable(FACTORY_1MB))
    const { dir } = await manifestWith(STANDARD, { 'partitions.bin': oversized })
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_partition_table',
      `${join(dir, 'partitions.bin')} is 5120 bytes, more than the 4 KiB sector`,
    )
  })

  it('refuses a bootloader at the wrong offset for the chip', async () => {
    const { dir } = await manifestWith({ ...STANDARD, 'bootloader.bin': 0x0 })
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_input',
      `${join(dir, 'bootloader.bin')} is a bootloader to be written at 0x0, but an ESP32 starts its bootloader from 0x1000`,
    )
  })

  it('refuses an empty file', async () => {
    const dir = await platformioBuildWith(ARDUINO_DEFAULT_4MB, new Uint8Array(0))
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'empty_file',
      `${join(dir, 'firmware.bin')} is empty (0 bytes)`,
      'rebuild the firmware',
    )
  })

  it('refuses an app that is not an ESP image', async () => {
    const dir = await platformioBuildWith(ARDUINO_DEFAULT_4MB, new Uint8Array(4096).fill(0x42))
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_image',
      `${join(dir, 'firmware.bin')} (the app at 0x10000): not an ESP firmware image (first byte 0x42, expected 0xe9)`,
    )
  })

  it('refuses a connected chip that is not the selected board’s', async () => {
    const { dir } = await manifestWith(STANDARD)
    await expectFirmwareError(
      loadFirmwareBundle({
        path: dir,
        board: await board('esp32-devkitc'),
        detectedChip: 'ESP32-C3',
      }),
      'chip_mismatch',
      'The connected chip is ESP32-C3, but the selected board ESP32-DevKitC has an ESP32',
    )
  })

  it('refuses a detected flash size it cannot read', async () => {
    const { dir } = await manifestWith(STANDARD)
    await expectFirmwareError(
      loadFirmwareBundle({
        path: dir,
        board: await board('esp32-devkitc'),
        detectedFlashSize: 'big',
      }),
      'invalid_input',
      'The detected flash size "big"',
    )
  })

  it('reports an unreadable file as an I/O error naming it', async () => {
    const dir = await tempDir('fieldflash-io-')
    await mkdir(join(dir, 'flasher_args.json'))
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc'), kind: 'esp-idf' }),
      'io_error',
      `Cannot read ${join(dir, 'flasher_args.json')}`,
    )
  })

  it('crosses the IPC boundary as a value with its message intact', async () => {
    const dir = await tempDir('fieldflash-result-')
    const devkitc = await board('esp32-devkitc')
    await writeFile(join(dir, 'app.bin'), new Uint8Array(0))
    const result = await toResult(() =>
      loadFirmwareBundle({ path: join(dir, 'app.bin'), board: devkitc }),
    )
    expect(result).toMatchObject({ ok: false, code: 'invalid_input', field: 'firmware' })
    expect(result.ok ? '' : result.message).toContain(`${join(dir, 'app.bin')} is empty`)
  })
})
