import { createHash } from 'node:crypto'

/** Erase granularity of the SPI NOR flash on ESP boards (esptool's FLASH_SECTOR_SIZE). */
export const FLASH_SECTOR_SIZE = 0x1000

/** Flash sizes the emulator can be built with, in bytes. */
export const MiB = 1024 * 1024

/**
 * A SPI NOR flash chip: erased bytes read 0xFF, programming can only clear bits (new = old AND data),
 * erasing works on whole 4 KiB sectors. Addresses wrap at the chip size, as on a real part.
 */
export class FlashMemory {
  private readonly bytes: Uint8Array
  /** Flash offsets whose programmed byte is stored inverted (the corrupted-block fault). */
  private readonly corruptOffsets: ReadonlySet<number>

  constructor(
    readonly size: number,
    options: { corruptOffsets?: Iterable<number> } = {},
  ) {
    if (size <= 0 || size % FLASH_SECTOR_SIZE !== 0) {
      throw new Error(`flash size must be a positive multiple of ${FLASH_SECTOR_SIZE}, got ${size}`)
    }
    this.bytes = new Uint8Array(size).fill(0xff)
    this.corruptOffsets = new Set([...(options.corruptOffsets ?? [])].map((o) => o % size))
  }

  /** A copy of `length` bytes starting at `offset`. */
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length;) {
      const at = (offset + i) % this.size
      const run = Math.min(length - i, this.size - at)
      out.set(this.bytes.subarray(at, at + run), i)
      i += run
    }
    return out
  }

  /** Programs bytes without erasing first: each stored byte becomes old AND new. */
  program(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = (offset + i) % this.size
      let value = data[i] ?? 0xff
      if (this.corruptOffsets.has(at)) value ^= 0xff
      this.bytes[at] = (this.bytes[at] ?? 0xff) & value
    }
  }

  /** Erases every sector touched by [offset, offset + length) back to 0xFF. */
  eraseRange(offset: number, length: number): void {
    if (length <= 0) return
    const first = Math.floor(offset / FLASH_SECTOR_SIZE)
    const last = Math.floor((offset + length - 1) / FLASH_SECTOR_SIZE)
    for (let sector = first; sector <= last; sector++) this.eraseSector(sector * FLASH_SECTOR_SIZE)
  }

  /** Erases the sector that contains `offset`. */
  eraseSector(offset: number): void {
    const start = (Math.floor(offset / FLASH_SECTOR_SIZE) * FLASH_SECTOR_SIZE) % this.size
    this.bytes.fill(0xff, start, start + FLASH_SECTOR_SIZE)
  }

  /** Erases the whole chip. */
  eraseAll(): void {
    this.bytes.fill(0xff)
  }

  /** MD5 of a region, as the loader's SPI_FLASH_MD5 computes it. */
  md5(offset: number, length: number): Buffer {
    return createHash('md5').update(this.read(offset, length)).digest()
  }
}
