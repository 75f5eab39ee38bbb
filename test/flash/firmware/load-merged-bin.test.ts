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
  mergedImage,
  partitionTable,
  sha256,
  tempDir,
  writeFiles,
} from './firmware-fixtures'

function merged(
  chipId: number,
  bootloaderOffset: number,
  table = partitionTable(ARDUINO_DEFAULT_4MB),
) {
  return mergedImage([
    { offset: bootloaderOffset, data: espImage({ chipId }) },
    { offset: 0x8000, data: table },
    { offset: 0xe000, data: bootApp0Image() },
    { offset: 0x10000, data: espImage({ chipId, segments: [4096] }) },
  ])
}

async function binFile(name: string, data: Uint8Array) {
  const dir = await tempDir('fieldflash-bin-')
  await writeFiles(dir, { [name]: data })
  return join(dir, name)
}

describe('loadFirmwareBundle with a single .bin', () => {
  it('writes a merged ESP32 image at 0x0 after checking its bootloader at 0x1000 and its partition table', async () => {
    const image = merged(CHIP_IDS.ESP32, 0x1000)
    const path = await binFile('pump.factory.bin', image)
    const bundle = await loadFirmwareBundle({ path, board: await board('esp32-devkitc') })
    expect(bundle.kind).toBe('merged-bin')
    expect(bundle.parts.map((part) => [part.name, part.role, part.offset])).toEqual([
      ['pump.factory.bin', 'merged', 0],
    ])
    expect(bundle.sha256).toBe(sha256(image))
    expect(bundle.appPartitions.map((entry) => entry.label)).toEqual(['app0', 'app1'])
  })

  it('finds the bootloader of a merged ESP32-S3 image at 0x0', async () => {
    const path = await binFile('s3.bin', merged(CHIP_IDS['ESP32-S3'], 0x0))
    const bundle = await loadFirmwareBundle({ path, board: await board('esp32-s3-devkitc-1-n8') })
    expect(bundle.parts[0]!.role).toBe('merged')
  })

  it('refuses a merged image whose bootloader was built for another chip', async () => {
    const path = await binFile('wrong.bin', merged(CHIP_IDS['ESP32-S3'], 0x1000))
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-devkitc') }),
      'chip_mismatch',
      `${path} (bootloader at 0x1000) is built for ESP32-S3, but the board has an ESP32`,
    )
  })

  it('refuses a merged image for an S3 board that keeps the ESP32 bootloader offset', async () => {
    const path = await binFile('offset.bin', merged(CHIP_IDS['ESP32-S3'], 0x1000))
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-s3-devkitc-1-n8') }),
      'invalid_image',
      `${path} (bootloader at 0x0): not an ESP firmware image (first byte 0xff`,
    )
  })

  it('refuses a merged image with a damaged partition table', async () => {
    const table = partitionTable(ARDUINO_DEFAULT_4MB)
    table[40] = table[40]! ^ 0x10
    const path = await binFile('damaged.bin', merged(CHIP_IDS.ESP32, 0x1000, table))
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-devkitc') }),
      'invalid_partition_table',
      `${path} (partition table at 0x8000): its MD5 entry`,
    )
  })

  it('refuses a merged image whose app partition holds no app', async () => {
    const image = merged(CHIP_IDS.ESP32, 0x1000)
    image.fill(0xff, 0x10000)
    const path = await binFile('noapp.bin', image)
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-devkitc') }),
      'invalid_image',
      `${path} (app at 0x10000): not an ESP firmware image`,
    )
  })

  it('refuses a file too short to reach the ESP32 bootloader offset', async () => {
    const path = await binFile('short.bin', new Uint8Array(0x800).fill(0xff))
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-devkitc') }),
      'invalid_image',
      `${path} is 2048 bytes, too short to hold the bootloader at 0x1000`,
    )
  })

  it('writes a lone app at an explicit offset and checks it against the chip', async () => {
    const app = espImage({ chipId: CHIP_IDS['ESP32-S3'], segments: [4096] })
    const path = await binFile('app.bin', app)
    const s3 = await board('esp32-s3-devkitc-1-n8')
    const bundle = await loadFirmwareBundle({ path, board: s3, offset: '0x10000' })
    expect(bundle.parts.map((part) => [part.role, part.offset])).toEqual([['app', 0x10000]])
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: await board('esp32-c6-devkitc-1'), offset: 0x10000 }),
      'chip_mismatch',
      `${path} (the app at 0x10000) is built for ESP32-S3, but the board has an ESP32-C6`,
    )
  })

  it('takes an ESP8266 image at 0x0 as the app', async () => {
    const path = await binFile('nodemcu.bin', espImage({ chipId: null, segments: [2048] }))
    const bundle = await loadFirmwareBundle({ path, board: await board('esp8266-nodemcuv2') })
    expect(bundle.parts.map((part) => [part.role, part.offset])).toEqual([['app', 0]])
  })

  it('refuses an offset that is not a number, and an offset for a build folder', async () => {
    const path = await binFile('app.bin', espImage({ chipId: CHIP_IDS.ESP32 }))
    const devkitc = await board('esp32-devkitc')
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: devkitc, offset: 'sixty' }),
      'invalid_input',
      'offset: "sixty" is not an offset',
    )
    await expectFirmwareError(
      loadFirmwareBundle({ path, board: devkitc, kind: 'esp-web-tools', offset: 0 }),
      'invalid_input',
      'only a single .bin file takes an offset',
    )
  })
})
