import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bootApp0Image } from '../../../main/flash/firmware/boot-app0'
import { loadFirmwareBundle } from '../../../main/flash/firmware/load-firmware-bundle'
import {
  ARDUINO_DEFAULT_4MB,
  CHIP_IDS,
  board,
  espImage,
  expectFirmwareError,
  partitionTable,
  tempDir,
  writeFiles,
} from './firmware-fixtures'

async function webToolsFolder(manifest: object) {
  const dir = await tempDir('fieldflash-ewt-')
  await writeFiles(dir, {
    'manifest.json': manifest,
    'esp32/bootloader.bin': espImage({ chipId: CHIP_IDS.ESP32 }),
    'esp32/app.bin': espImage({ chipId: CHIP_IDS.ESP32, segments: [4096] }),
    's3/bootloader.bin': espImage({ chipId: CHIP_IDS['ESP32-S3'] }),
    's3/app.bin': espImage({ chipId: CHIP_IDS['ESP32-S3'], segments: [4096] }),
    'partitions.bin': partitionTable(ARDUINO_DEFAULT_4MB),
    'boot_app0.bin': bootApp0Image(),
  })
  return dir
}

const MANIFEST = {
  name: 'Pump controller',
  version: '1.4.2',
  builds: [
    {
      chipFamily: 'ESP32',
      parts: [
        { path: 'esp32/bootloader.bin', offset: 4096 },
        { path: 'partitions.bin', offset: 32768 },
        { path: 'boot_app0.bin', offset: 57344 },
        { path: 'esp32/app.bin', offset: 65536 },
      ],
    },
    {
      chipFamily: 'ESP32-S3',
      parts: [
        { path: 's3/app.bin', offset: 65536 },
        { path: 's3/bootloader.bin', offset: 0 },
        { path: 'partitions.bin', offset: 32768 },
        { path: 'boot_app0.bin', offset: 57344 },
      ],
    },
  ],
}

describe('loadFirmwareBundle with an ESP Web Tools manifest', () => {
  it('picks the build for the connected chip and resolves paths next to the manifest', async () => {
    const dir = await webToolsFolder(MANIFEST)
    const bundle = await loadFirmwareBundle({
      path: join(dir, 'manifest.json'),
      board: await board('esp32-s3-devkitc-1-n8'),
      detectedChip: 'ESP32-S3',
      detectedFlashSize: '8MB',
    })
    expect(bundle.kind).toBe('esp-web-tools')
    expect(bundle.name).toBe('Pump controller 1.4.2')
    expect(bundle.flashSize).toBe(8 * 1024 * 1024)
    expect(bundle.parts.map((part) => [part.file, part.role, part.offset])).toEqual([
      [join(dir, 's3/bootloader.bin'), 'bootloader', 0x0],
      [join(dir, 'partitions.bin'), 'partition-table', 0x8000],
      [join(dir, 'boot_app0.bin'), 'data', 0xe000],
      [join(dir, 's3/app.bin'), 'app', 0x10000],
    ])
  })

  it('is detected from the folder that holds manifest.json', async () => {
    const dir = await webToolsFolder(MANIFEST)
    const bundle = await loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') })
    expect(bundle.parts.map((part) => part.file)).toContain(join(dir, 'esp32/app.bin'))
  })

  it('refuses a part at a remote URL, because the app works offline', async () => {
    const manifest = {
      name: 'Remote',
      builds: [
        {
          chipFamily: 'ESP32',
          parts: [{ path: 'https://firmware.example.com/esp32.bin', offset: 0 }],
        },
      ],
    }
    const dir = await webToolsFolder(manifest)
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'remote_path',
      `${join(dir, 'manifest.json')}: part path "https://firmware.example.com/esp32.bin" is a remote location`,
      'works offline',
      'download the file',
    )
  })

  it('refuses an absolute part path', async () => {
    const manifest = {
      name: 'Absolute',
      builds: [{ chipFamily: 'ESP32', parts: [{ path: '/firmware/esp32.bin', offset: 0 }] }],
    }
    const dir = await webToolsFolder(manifest)
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-devkitc') }),
      'invalid_input',
      'part path "/firmware/esp32.bin" is absolute',
    )
  })

  it('says which chips the manifest has builds for when none matches the board', async () => {
    const dir = await webToolsFolder(MANIFEST)
    await expectFirmwareError(
      loadFirmwareBundle({ path: dir, board: await board('esp32-c6-devkitc-1') }),
      'chip_mismatch',
      `${join(dir, 'manifest.json')} has builds for ESP32, ESP32-S3, but none for the board's ESP32-C6`,
    )
  })

  it('refuses a manifest without builds, or with a part that has no offset', async () => {
    const devkitc = await board('esp32-devkitc')
    const noBuilds = await webToolsFolder({ name: 'x' })
    await expectFirmwareError(
      loadFirmwareBundle({ path: noBuilds, board: devkitc, kind: 'esp-web-tools' }),
      'invalid_input',
      'it has no "builds" list',
    )
    const noOffset = await webToolsFolder({
      builds: [{ chipFamily: 'ESP32', parts: [{ path: 'esp32/app.bin' }] }],
    })
    await expectFirmwareError(
      loadFirmwareBundle({ path: noOffset, board: devkitc }),
      'invalid_input',
      'part esp32/app.bin has no usable "offset"',
    )
  })
})
