import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bootApp0Image } from '../../../main/flash/firmware/boot-app0'
import { loadFirmwareBundle } from '../../../main/flash/firmware/load-firmware-bundle'
import {
  ARDUINO_DEFAULT_4MB,
  CHIP_IDS,
  FACTORY_1MB,
  board,
  espImage,
  expectFirmwareError,
  md5,
  mergedImage,
  partitionTable,
  sha256,
  tempDir,
  writeFiles,
} from './firmware-fixtures'

async function platformioBuild(chipId: number, table = ARDUINO_DEFAULT_4MB) {
  const project = await tempDir('fieldflash-pio-')
  const buildDir = join(project, '.pio', 'build', 'esp32-devkitc')
  const files = {
    bootloader: espImage({ chipId, segments: [1024, 2048] }),
    partitions: partitionTable(table),
    firmware: espImage({ chipId, segments: [64 * 1024, 4096] }),
  }
  await writeFiles(buildDir, {
    'bootloader.bin': files.bootloader,
    'partitions.bin': files.partitions,
    'firmware.bin': files.firmware,
    'firmware.elf': new Uint8Array([0x7f, 0x45, 0x4c, 0x46]),
  })
  return { project, buildDir, files }
}

describe('loadFirmwareBundle with a PlatformIO build', () => {
  it("lays out bootloader, partitions, a generated boot_app0 and firmware at the board's offsets", async () => {
    const { buildDir, files } = await platformioBuild(CHIP_IDS.ESP32)
    const bundle = await loadFirmwareBundle({ path: buildDir, board: await board('esp32-devkitc') })

    expect(bundle.kind).toBe('platformio')
    expect(bundle.name).toBe('esp32-devkitc (PlatformIO build)')
    expect(bundle.chipFamily).toBe('ESP32')
    expect(bundle.flashSize).toBe(4 * 1024 * 1024)
    expect(bundle.parts.map((part) => [part.name, part.role, part.offset])).toEqual([
      ['bootloader.bin', 'bootloader', 0x1000],
      ['partitions.bin', 'partition-table', 0x8000],
      ['boot_app0.bin', 'otadata', 0xe000],
      ['firmware.bin', 'app', 0x10000],
    ])
    const bootApp0 = bundle.parts[2]!
    expect(bootApp0.file).toBeNull()
    expect(bootApp0.data).toEqual(bootApp0Image())
    expect(bundle.parts[3]!.file).toBe(join(buildDir, 'firmware.bin'))
    for (const part of bundle.parts) {
      expect(part.sha256).toBe(sha256(part.data))
      expect(part.md5).toBe(md5(part.data))
    }
    expect(bundle.sha256).toBe(
      sha256(
        mergedImage([
          { offset: 0x1000, data: files.bootloader },
          { offset: 0x8000, data: files.partitions },
          { offset: 0xe000, data: bootApp0Image() },
          { offset: 0x10000, data: files.firmware },
        ]),
      ),
    )
    expect(bundle.appPartitions.map((entry) => entry.label)).toEqual(['app0', 'app1'])
  })

  it('finds the build from the project folder or from firmware.bin itself', async () => {
    const { project, buildDir } = await platformioBuild(CHIP_IDS.ESP32)
    const devkitc = await board('esp32-devkitc')
    const fromProject = await loadFirmwareBundle({
      path: project,
      board: devkitc,
      kind: 'platformio',
    })
    const fromFile = await loadFirmwareBundle({
      path: join(buildDir, 'firmware.bin'),
      board: devkitc,
    })
    expect(fromFile.kind).toBe('platformio')
    expect(fromProject.sha256).toBe(fromFile.sha256)
  })

  it('writes the boot_app0.bin found in the build folder instead of generating one', async () => {
    const { buildDir } = await platformioBuild(CHIP_IDS.ESP32)
    const custom = bootApp0Image()
    custom[0x1000] = 0x00
    await writeFiles(buildDir, { 'boot_app0.bin': custom })
    const bundle = await loadFirmwareBundle({ path: buildDir, board: await board('esp32-devkitc') })
    const bootApp0 = bundle.parts.find((part) => part.name === 'boot_app0.bin')!
    expect(bootApp0.file).toBe(join(buildDir, 'boot_app0.bin'))
    expect(bootApp0.data).toEqual(custom)
  })

  it('leaves boot_app0 out when the partition table has no otadata partition to select', async () => {
    const { buildDir } = await platformioBuild(CHIP_IDS.ESP32, FACTORY_1MB)
    const bundle = await loadFirmwareBundle({ path: buildDir, board: await board('esp32-devkitc') })
    expect(bundle.parts.map((part) => part.name)).toEqual([
      'bootloader.bin',
      'partitions.bin',
      'firmware.bin',
    ])
  })

  it('lays out an ESP8266 build as one firmware.bin at 0x0', async () => {
    const buildDir = await tempDir('fieldflash-pio8266-')
    await writeFiles(buildDir, { 'firmware.bin': espImage({ chipId: null, segments: [4096] }) })
    const bundle = await loadFirmwareBundle({
      path: buildDir,
      board: await board('esp8266-nodemcuv2'),
    })
    expect(bundle.parts.map((part) => [part.name, part.role, part.offset])).toEqual([
      ['firmware.bin', 'app', 0],
    ])
    expect(bundle.sha256).toBe(sha256(bundle.parts[0]!.data))
  })

  it('says which file is missing and how to rebuild', async () => {
    const { buildDir } = await platformioBuild(CHIP_IDS.ESP32)
    await rm(join(buildDir, 'bootloader.bin'))
    await expectFirmwareError(
      loadFirmwareBundle({ path: buildDir, board: await board('esp32-devkitc') }),
      'not_found',
      `${join(buildDir, 'bootloader.bin')} does not exist`,
      'pio run -e esp32-devkitc',
    )
  })

  it('refuses a folder without a build, naming the env to build', async () => {
    const empty = await tempDir('fieldflash-pio-empty-')
    await writeFiles(empty, { 'platformio.ini': new Uint8Array([0x3b]) })
    await expectFirmwareError(
      loadFirmwareBundle({ path: empty, board: await board('esp32-devkitc') }),
      'not_found',
      `${empty} is not a PlatformIO build`,
      'pio run -e esp32-devkitc',
    )
  })

  it('refuses firmware built for another chip, naming both chips and the file', async () => {
    const { buildDir } = await platformioBuild(CHIP_IDS['ESP32-C3'])
    await expectFirmwareError(
      loadFirmwareBundle({ path: buildDir, board: await board('esp32-devkitc') }),
      'chip_mismatch',
      `${join(buildDir, 'bootloader.bin')} is built for ESP32-C3, but the board has an ESP32`,
    )
  })
})
