import { describe, expect, it } from 'vitest'
import { FLASH_SECTOR_SIZE, FlashMemory, MiB } from '../../devkit/emulator/flash-memory'

describe('FlashMemory', () => {
  it('reads 0xFF everywhere when new', () => {
    expect(new FlashMemory(MiB).read(0x1234, 4)).toEqual(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))
  })

  it('only clears bits when programming over data that was not erased, like NOR flash', () => {
    const flash = new FlashMemory(MiB)
    flash.program(0, Uint8Array.from([0xf0]))
    flash.program(0, Uint8Array.from([0x3c]))
    expect(flash.read(0, 1)[0]).toBe(0x30)
  })

  it('erases whole 4 KiB sectors around the requested range', () => {
    const flash = new FlashMemory(MiB)
    flash.program(0, new Uint8Array(3 * FLASH_SECTOR_SIZE))
    flash.eraseRange(FLASH_SECTOR_SIZE + 10, 20)
    expect(flash.read(FLASH_SECTOR_SIZE - 1, 1)[0]).toBe(0x00)
    expect(flash.read(FLASH_SECTOR_SIZE, FLASH_SECTOR_SIZE).every((b) => b === 0xff)).toBe(true)
    expect(flash.read(2 * FLASH_SECTOR_SIZE, 1)[0]).toBe(0x00)
  })

  it('wraps addresses at the chip size, as a real SPI flash does', () => {
    const flash = new FlashMemory(MiB)
    flash.program(MiB + 5, Uint8Array.from([0x12]))
    expect(flash.read(5, 1)[0]).toBe(0x12)
  })

  it('stores the configured corrupt offsets inverted', () => {
    const flash = new FlashMemory(MiB, { corruptOffsets: [0x10] })
    flash.program(0x10, Uint8Array.from([0x0f]))
    expect(flash.read(0x10, 1)[0]).toBe(0xf0)
  })

  it('rejects a size that is not a whole number of sectors', () => {
    expect(() => new FlashMemory(1000)).toThrow(/multiple of 4096/)
  })
})
