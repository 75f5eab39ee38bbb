import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadFirmwareBundle } from '../../../main/flash/firmware/load-firmware-bundle'
import {
  APP,
  CHIP_IDS,
  DATA,
  FACTORY,
  NVS,
  board,
  espImage,
  expectFirmwareError,
  partitionTable,
  tempDir,
  writeFiles,
} from './firmware-fixtures'

const IDF_TABLE = [
  { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x6000 },
  { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x100000 },
]

function flasherArgs(overrides: Record<string, unknown> = {}) {
  return {
    write_flash_args: ['--flash_mode', 'dio', '--flash_size', '4MB', '--flash_freq', '80m'],
    flash_settings: { flash_mode: 'dio', flash_size: '4MB', flash_freq: '80m' },
    flash_files: {
      '0x0': 'bootloader/bootloader.bin',
      '0x10000': 'sensor_node.bin',
      '0x8000': 'partition_table/partition-table.bin',
    },
    bootloader: { offset: '0x0', file: 'bootloader/bootloader.bin', encrypted: 'false' },
    app: { offset: '0x10000', file: 'sensor_node.bin', encrypted: 'false' },
    'partition-table': {
      offset: '0x8000',
      file: 'partition_table/partition-table.bin',
      encrypted: 'false',
    },
    extra_esptool_args: {
      after: 'hard_reset',
      before: 'default_reset',
      stub: true,
      chip: 'esp32c3',
    },
    ...overrides,
  }
}

async function idfBuild(args: object = flasherArgs()) {
  const buildDir = await tempDir('fieldflash-idf-')
  await writeFiles(buildDir, {
    'flasher_args.json': args,
    'bootloader/bootloader.bin': espImage({ chipId: CHIP_IDS['ESP32-C3'] }),
    'partition_table/partition-table.bin': partitionTable(IDF_TABLE),
    'sensor_node.bin': espImage({ chipId: CHIP_IDS['ESP32-C3'], segments: [8192] }),
  })
  return buildDir
}

describe('loadFirmwareBundle with an ESP-IDF build', () => {
  it('lays out flash_files from flasher_args.json in flash order, with the declared flash settings', async () => {
    const buildDir = await idfBuild()
    const bundle = await loadFirmwareBundle({
      path: buildDir,
      board: await board('esp32-c3-devkitm-1'),
      detectedChip: 'ESP32-C3',
    })
    expect(bundle.kind).toBe('esp-idf')
    expect(bundle.name).toBe('sensor_node')
    expect(bundle.parts.map((part) => [part.name, part.role, part.offset, part.file])).toEqual([
      ['bootloader.bin', 'bootloader', 0x0, join(buildDir, 'bootloader/bootloader.bin')],
      [
        'partition-table.bin',
        'partition-table',
        0x8000,
        join(buildDir, 'partition_table/partition-table.bin'),
      ],
      ['sensor_node.bin', 'app', 0x10000, join(buildDir, 'sensor_node.bin')],
    ])
    expect(bundle.flashSettings).toEqual({ mode: 'dio', size: '4MB', freq: '80m' })
    expect(bundle.appPartitions.map((entry) => entry.subtype)).toEqual(['factory'])
  })

  it('accepts flasher_args.json chosen directly', async () => {
    const buildDir = await idfBuild()
    const bundle = await loadFirmwareBundle({
      path: join(buildDir, 'flasher_args.json'),
      board: await board('esp32-c3-devkitm-1'),
    })
    expect(bundle.parts).toHaveLength(3)
  })

  it('refuses a build made for another chip, naming flasher_args.json and both chips', async () => {
    const buildDir = await idfBuild(
      flasherArgs({ extra_esptool_args: { chip: 'esp32s3', stub: true } }),
    )
    await expectFirmwareError(
      loadFirmwareBundle({ path: buildDir, board: await board('esp32-c3-devkitm-1') }),
      'chip_mismatch',
      `${join(buildDir, 'flasher_args.json')} is a build for esp32s3, but the board has an ESP32-C3`,
      'idf.py set-target',
    )
  })

  it('refuses a build for more flash than the board has', async () => {
    const buildDir = await idfBuild(
      flasherArgs({ flash_settings: { flash_mode: 'dio', flash_size: '8MB', flash_freq: '80m' } }),
    )
    await expectFirmwareError(
      loadFirmwareBundle({ path: buildDir, board: await board('esp32-c3-devkitm-1') }),
      'exceeds_flash',
      'is built for 8MB of flash',
      "ESP32-C3-DevKitM-1's 4MB flash",
    )
  })

  it('names the missing file flasher_args.json lists', async () => {
    const buildDir = await idfBuild(
      flasherArgs({
        flash_files: { '0x0': 'bootloader/bootloader.bin', '0x10000': 'missing_app.bin' },
      }),
    )
    await expectFirmwareError(
      loadFirmwareBundle({ path: buildDir, board: await board('esp32-c3-devkitm-1') }),
      'not_found',
      `${join(buildDir, 'missing_app.bin')} does not exist`,
      'idf.py build',
    )
  })

  it('refuses flasher_args.json without flash_files or with an unreadable offset', async () => {
    const c3 = await board('esp32-c3-devkitm-1')
    const noFiles = await idfBuild({ flash_settings: {} })
    await expectFirmwareError(
      loadFirmwareBundle({ path: noFiles, board: c3, kind: 'esp-idf' }),
      'invalid_input',
      `${join(noFiles, 'flasher_args.json')}: it has no "flash_files" map`,
    )
    const badOffset = await idfBuild(flasherArgs({ flash_files: { start: 'sensor_node.bin' } }))
    await expectFirmwareError(
      loadFirmwareBundle({ path: badOffset, board: c3 }),
      'invalid_input',
      'flash_files has an unreadable offset "start"',
    )
  })
})
