import { describe, expect, it } from 'vitest'
import { bootApp0Image, otaSelectCrc } from '../../../main/flash/firmware/boot-app0'

describe('bootApp0Image', () => {
  it('is the 8 KiB otadata that selects ota_0: ota_seq 1, crc 0x4743989a, the rest erased', () => {
    const image = bootApp0Image()
    expect(image.length).toBe(0x2000)
    expect(Buffer.from(image.subarray(0, 32)).toString('hex')).toBe(
      '01000000' + 'ff'.repeat(24) + '9a984347',
    )
    expect(image.subarray(32).every((byte) => byte === 0xff)).toBe(true)
  })

  it('computes the otadata CRC the way the ESP ROM does, unlike zlib', () => {
    expect(otaSelectCrc(1)).toBe(0x4743989a)
    // zlib's crc32 of 01 00 00 00 is 0x99f8b879; the ROM variant must differ.
    expect(otaSelectCrc(1)).not.toBe(0x99f8b879)
  })
})
