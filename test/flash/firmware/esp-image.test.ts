import { describe, expect, it } from 'vitest'
import { parseEspImageHeader } from '../../../main/flash/firmware/esp-image'
import type { ChipFamily } from '../../../main/flash/firmware/flash-target'
import {
  CHIP_IDS,
  concat,
  espImage,
  esp8266V2Image,
  expectFirmwareError,
} from './firmware-fixtures'

describe('parseEspImageHeader', () => {
  it('reads the segments, chip id and appended hash of an ESP32-family image', () => {
    const image = espImage({ chipId: CHIP_IDS['ESP32-S3'], segments: [64, 128, 32] })
    const header = parseEspImageHeader(image, 'ESP32-S3', 'firmware.bin')
    expect(header).toMatchObject({
      format: 'esp32',
      segmentCount: 3,
      flashMode: 2,
      chipId: 9,
      hashAppended: true,
      length: image.length,
    })
    expect(header.segments.map((segment) => segment.length)).toEqual([64, 128, 32])
  })

  it.each(Object.entries(CHIP_IDS))(
    'accepts an image with chip id %s=%i for that chip and refuses it for the ESP32',
    (chip, id) => {
      const image = espImage({ chipId: id })
      expect(parseEspImageHeader(image, chip as ChipFamily, 'app.bin').chipId).toBe(id)
      if (chip !== 'ESP32') {
        expect(() => parseEspImageHeader(image, 'ESP32', 'app.bin')).toThrow(
          `app.bin is built for ${chip}, but the board has an ESP32`,
        )
      }
    },
  )

  it('names a chip outside the catalog by its chip id', async () => {
    await expectFirmwareError(
      () => parseEspImageHeader(espImage({ chipId: 18 }), 'ESP32-C3', '/b/app.bin'),
      'chip_mismatch',
      '/b/app.bin is built for ESP32-P4',
      'ESP32-C3',
    )
  })

  it('accepts ESP8266 images without a chip id, in the 0xE9 and the v2 (0xEA) format', () => {
    const v1 = parseEspImageHeader(espImage({ chipId: null }), 'ESP8266', 'firmware.bin')
    expect(v1).toMatchObject({ format: 'esp8266', chipId: null, hashAppended: false })
    const v2 = parseEspImageHeader(esp8266V2Image(), 'ESP8266', 'firmware.bin')
    expect(v2.format).toBe('esp8266-v2')
    expect(v2.segments[0]!.length).toBe(256)
  })

  it('refuses a v2 (0xEA) image for an ESP32-family chip', async () => {
    await expectFirmwareError(
      () => parseEspImageHeader(esp8266V2Image(), 'ESP32', '/b/firmware.bin'),
      'invalid_image',
      '/b/firmware.bin',
      'first byte 0xea',
    )
  })

  it('refuses a file that is not an image (an ELF) and says which file to choose', async () => {
    const elf = concat(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]), new Uint8Array(60))
    await expectFirmwareError(
      () => parseEspImageHeader(elf, 'ESP32', '/b/firmware.elf'),
      'invalid_image',
      '/b/firmware.elf: not an ESP firmware image (first byte 0x7f, expected 0xe9)',
      'not the .elf',
    )
  })

  it('refuses a header that claims no segments or more than 16', async () => {
    for (const count of [0, 17]) {
      await expectFirmwareError(
        () => parseEspImageHeader(espImage({ segmentCountByte: count }), 'ESP32', 'app.bin'),
        'invalid_image',
        `app.bin: its header claims ${count} segments`,
      )
    }
  })

  it('refuses a truncated image', async () => {
    const image = espImage({ segments: [4096] })
    await expectFirmwareError(
      () => parseEspImageHeader(image.subarray(0, 2000), 'ESP32', 'app.bin'),
      'invalid_image',
      'app.bin: segment 1 of 1 says 4096 bytes',
      'copy it again or rebuild',
    )
    await expectFirmwareError(
      () => parseEspImageHeader(image.subarray(0, 20), 'ESP32', 'app.bin'),
      'invalid_image',
      'too short',
    )
  })

  it('refuses an image whose checksum or appended SHA-256 does not match', async () => {
    const image = espImage({ segments: [64] })
    const flipped = image.slice()
    flipped[40] = flipped[40]! ^ 0xff
    await expectFirmwareError(
      () => parseEspImageHeader(flipped, 'ESP32', 'app.bin'),
      'invalid_image',
      'app.bin: its checksum byte',
    )
    const badDigest = image.slice()
    badDigest[badDigest.length - 1] = badDigest[badDigest.length - 1]! ^ 0xff
    await expectFirmwareError(
      () => parseEspImageHeader(badDigest, 'ESP32', 'app.bin'),
      'invalid_image',
      'SHA-256 digest does not match',
    )
  })
})
