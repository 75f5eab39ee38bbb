import { describe, expect, it } from 'vitest'
import { bootApp0Image } from '../../../main/flash/firmware/boot-app0'
import type { FirmwareBundle, FirmwarePart } from '../../../main/flash/firmware/firmware-bundle'
import { summarizeFirmwareBundle } from '../../../main/flash/firmware/summarize-firmware-bundle'

function part(name: string, offset: number, size: number, file: string | null): FirmwarePart {
  return {
    name,
    role: 'data',
    offset,
    data: new Uint8Array(size),
    sha256: '',
    md5: '',
    file,
  }
}

const BUNDLE: FirmwareBundle = {
  name: 'esp32-devkitc (PlatformIO build)',
  kind: 'platformio',
  source: '/p/.pio/build/esp32-devkitc',
  chipFamily: 'ESP32',
  flashSize: 4 * 1024 * 1024,
  sha256: '',
  parts: [
    part('bootloader.bin', 0x1000, 17536, '/p/bootloader.bin'),
    part('partitions.bin', 0x8000, 3072, '/p/partitions.bin'),
    { ...part('boot_app0.bin', 0xe000, 0, null), data: bootApp0Image() },
    part('firmware.bin', 0x10000, 1048576, '/p/firmware.bin'),
  ],
  appPartitions: [],
  partitions: [],
  flashSettings: null,
}

describe('summarizeFirmwareBundle', () => {
  it('totals the bytes and lists every part with its hex offset and size', () => {
    const summary = summarizeFirmwareBundle(BUNDLE)
    expect(summary.totalBytes).toBe(17536 + 3072 + 8192 + 1048576)
    expect(summary.parts.map((p) => [p.offsetHex, p.name, p.size, p.generated])).toEqual([
      ['0x1000', 'bootloader.bin', 17536, false],
      ['0x8000', 'partitions.bin', 3072, false],
      ['0xe000', 'boot_app0.bin', 8192, true],
      ['0x10000', 'firmware.bin', 1048576, false],
    ])
    expect(summary.text).toBe(
      [
        'esp32-devkitc (PlatformIO build) for ESP32: 4 parts, 1077376 bytes (1.03 MiB)',
        '  0x1000   bootloader.bin  17536 bytes (17.1 KiB)',
        '  0x8000   partitions.bin  3072 bytes (3.0 KiB)',
        '  0xe000   boot_app0.bin   8192 bytes (8.0 KiB), generated',
        '  0x10000  firmware.bin    1048576 bytes (1.00 MiB)',
      ].join('\n'),
    )
  })

  it('says "1 part" for a merged image', () => {
    const summary = summarizeFirmwareBundle({
      ...BUNDLE,
      name: 'factory.bin',
      parts: [part('factory.bin', 0, 100, '/p/factory.bin')],
    })
    expect(summary.lines[0]).toBe('factory.bin for ESP32: 1 part, 100 bytes (100 B)')
  })
})
