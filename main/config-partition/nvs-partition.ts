import { crc32 } from 'node:zlib'
import { invalidInput } from '../shared/errors'

// ESP-IDF's NVS partition format, page format version 2 (multipage blobs), no encryption, written
// the way Espressif's generator (nvs_partition_gen) writes it, so the same entries in the same
// order give the same bytes. Layout facts, from ESP-IDF's NVS documentation:
// - 4096-byte pages: a 32-byte header (state, sequence number, version 0xFE, CRC32 of bytes 4–27),
//   a 32-byte entry-state bitmap (2 bits per entry: 11 empty, 10 written), then 126 entries of
//   32 bytes.
// - An entry: namespace index, type, span, chunk index (0xFF when none), CRC32 of bytes 0–3 and
//   8–31, a 16-byte NUL-padded key, 8 bytes of data. Strings and blob chunks store their size and
//   a CRC32 of their bytes there and follow in the next span-1 entries.
// - The last page stays erased (reserved for NVS's own garbage collection).

/** NVS's own CRC32: zlib's CRC-32 started from 0xFFFFFFFF. Not the token checksum's CRC. */
export function nvsCrc32(data: Uint8Array): number {
  // The CRC of no bytes is the initial value; Node 20's zlib.crc32 answers 0 for an empty view of
  // an empty ArrayBuffer (an empty blob), so that case is answered here.
  return data.length === 0 ? 0xffffffff : crc32(data, 0xffffffff)
}

export const NVS_PAGE_SIZE = 4096
const ENTRY_SIZE = 32
const ENTRIES_PER_PAGE = 126
const FIRST_ENTRY_OFFSET = 64
const PAGE_ACTIVE = 0xfffffffe
const PAGE_FULL = 0xfffffffc
const VERSION_2 = 0xfe
const CHUNK_ANY = 0xff
/** The smallest partition NVS accepts: two data pages and the reserved page. */
export const NVS_MIN_SIZE = 0x3000
/** A key is at most 15 bytes (16 with its NUL). */
export const NVS_KEY_MAX_BYTES = 15
/**
 * A string's bytes with its NUL must fit one page after its header entry without reaching the
 * last entry: (126 − 2) × 32 = 3968 bytes.
 */
export const NVS_STRING_MAX_BYTES = (ENTRIES_PER_PAGE - 2) * ENTRY_SIZE - 1
/** Version 2 blobs are split into chunks across pages; ESP-IDF caps them at 508,000 bytes. */
export const NVS_BLOB_MAX_BYTES = 508_000

const TYPE = {
  u8: 0x01,
  i8: 0x11,
  u16: 0x02,
  i16: 0x12,
  u32: 0x04,
  i32: 0x14,
  u64: 0x08,
  i64: 0x18,
  string: 0x21,
  blobData: 0x42,
  blobIndex: 0x48,
} as const

export type NvsIntegerType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64'

const RANGES: Record<NvsIntegerType, [bigint, bigint, number]> = {
  u8: [0n, 0xffn, 1],
  i8: [-0x80n, 0x7fn, 1],
  u16: [0n, 0xffffn, 2],
  i16: [-0x8000n, 0x7fffn, 2],
  u32: [0n, 0xffffffffn, 4],
  i32: [-0x80000000n, 0x7fffffffn, 4],
  u64: [0n, 0xffffffffffffffffn, 8],
  i64: [-0x8000000000000000n, 0x7fffffffffffffffn, 8],
}

/** One line of the generator's CSV: a namespace, or a value in the current namespace. */
export type NvsEntry =
  | { kind: 'namespace'; name: string }
  | { kind: 'integer'; key: string; type: NvsIntegerType; value: number | bigint }
  | { kind: 'string'; key: string; value: string }
  | { kind: 'binary'; key: string; value: Uint8Array }

class Page {
  readonly bytes = Buffer.alloc(NVS_PAGE_SIZE, 0xff)
  entry = 0

  constructor(sequence: number) {
    this.bytes.writeUInt32LE(PAGE_ACTIVE, 0)
    this.bytes.writeUInt32LE(sequence, 4)
    this.bytes[8] = VERSION_2
    // The header CRC leaves out the state word, which changes when the page fills.
    this.bytes.writeUInt32LE(nvsCrc32(this.bytes.subarray(4, 28)), 28)
  }

  /** Writes `data` at the next entry and marks `count` entries written. */
  write(data: Uint8Array, count: number): void {
    this.bytes.set(data, FIRST_ENTRY_OFFSET + this.entry * ENTRY_SIZE)
    for (let i = 0; i < count; i++) {
      const bit = this.entry * 2
      this.bytes[32 + (bit >> 3)]! &= ~(1 << (bit & 7))
      this.entry++
    }
  }

  get free(): number {
    return ENTRIES_PER_PAGE - this.entry
  }
}

function header(ns: number, type: number, span: number, chunk: number, key: string): Buffer {
  const entry = Buffer.alloc(ENTRY_SIZE, 0xff)
  entry[0] = ns
  entry[1] = type
  entry[2] = span
  entry[3] = chunk
  entry.fill(0, 8, 24)
  entry.write(key, 8, 'utf8')
  return entry
}

function sealEntry(entry: Buffer): Buffer {
  entry.writeUInt32LE(nvsCrc32(Buffer.concat([entry.subarray(0, 4), entry.subarray(8, 32)])), 4)
  return entry
}

function checkKey(key: string, field: string): void {
  const bytes = Buffer.byteLength(key, 'utf8')
  if (bytes === 0 || bytes > NVS_KEY_MAX_BYTES || key.includes('\0')) {
    throw invalidInput(
      field,
      `the NVS key ${JSON.stringify(key)} must be 1–${NVS_KEY_MAX_BYTES} bytes without NUL`,
    )
  }
}

/**
 * Builds an NVS partition image of `size` bytes holding `entries` in order, byte for byte what
 * Espressif's nvs_partition_gen writes for the same CSV. A value that cannot be stored, or a
 * partition too small for them all, is refused naming the key (as `field`).
 */
export function generateNvsPartition(entries: readonly NvsEntry[], size: number): Buffer {
  if (!Number.isInteger(size) || size < NVS_MIN_SIZE || size % NVS_PAGE_SIZE !== 0) {
    throw invalidInput(
      'size',
      `the partition must be a multiple of 4096 bytes and at least 0x${NVS_MIN_SIZE.toString(16)}`,
    )
  }
  // The last page stays reserved for NVS.
  const maxPages = size / NVS_PAGE_SIZE - 1
  const pages: Page[] = []
  const newPage = (field: string): Page => {
    const last = pages.at(-1)
    if (last && last.bytes.readUInt32LE(0) === PAGE_ACTIVE) last.bytes.writeUInt32LE(PAGE_FULL, 0)
    if (pages.length >= maxPages) {
      throw invalidInput(
        field,
        `does not fit: the ${size}-byte NVS partition (0x${size.toString(16)}) is too small for the values before and including it`,
      )
    }
    const page = new Page(pages.length)
    pages.push(page)
    return page
  }
  let page: Page | null = null
  let namespaces = 0
  let currentNs = 0

  for (const entry of entries) {
    const field = entry.kind === 'namespace' ? entry.name : entry.key
    page ??= newPage(field)
    if (entry.kind === 'namespace') {
      checkKey(entry.name, field)
      if (page.free < 1) page = newPage(field)
      currentNs = ++namespaces
      const e = header(0, TYPE.u8, 1, CHUNK_ANY, entry.name)
      e[24] = currentNs
      page.write(sealEntry(e), 1)
      continue
    }
    if (currentNs === 0) throw invalidInput(field, 'comes before any namespace')
    checkKey(entry.key, field)
    switch (entry.kind) {
      case 'integer': {
        const [min, max, width] = RANGES[entry.type]
        const value = BigInt(entry.value)
        if (value < min || value > max) {
          throw invalidInput(field, `must be a whole number from ${min} to ${max} (${entry.type})`)
        }
        if (page.free < 1) page = newPage(field)
        const e = header(currentNs, TYPE[entry.type], 1, CHUNK_ANY, entry.key)
        const data = Buffer.alloc(8)
        data.writeBigUInt64LE(BigInt.asUintN(64, value))
        data.copy(e, 24, 0, width)
        page.write(sealEntry(e), 1)
        break
      }
      case 'string': {
        const data = Buffer.from(entry.value + '\0', 'utf8')
        if (data.length > NVS_STRING_MAX_BYTES + 1 || entry.value.includes('\0')) {
          throw invalidInput(
            field,
            `must be at most ${NVS_STRING_MAX_BYTES} bytes of UTF-8 without NUL (NVS's limit for a string)`,
          )
        }
        const dataEntries = Math.ceil(data.length / ENTRY_SIZE)
        // A string never reaches the page's last entry: it moves to a fresh page instead.
        if (page.entry + dataEntries + 1 >= ENTRIES_PER_PAGE) page = newPage(field)
        const e = header(currentNs, TYPE.string, dataEntries + 1, CHUNK_ANY, entry.key)
        e.writeUInt16LE(data.length, 24)
        e.writeUInt32LE(nvsCrc32(data), 28)
        page.write(sealEntry(e), 1)
        page.write(data, dataEntries)
        break
      }
      case 'binary': {
        const data = entry.value
        if (data.length > NVS_BLOB_MAX_BYTES) {
          throw invalidInput(
            field,
            `must be at most ${NVS_BLOB_MAX_BYTES} bytes (NVS's limit for a blob)`,
          )
        }
        if (page.free < 1) page = newPage(field)
        // Chunks fill each page up to its last entry; the index entry follows the last chunk.
        let offset = 0
        let chunks = 0
        for (;;) {
          const tailroom = (page.free - 1) * ENTRY_SIZE
          const chunkSize = Math.min(tailroom, data.length - offset)
          const chunk = data.subarray(offset, offset + chunkSize)
          const dataEntries = Math.ceil(chunkSize / ENTRY_SIZE)
          const e = header(currentNs, TYPE.blobData, dataEntries + 1, chunks, entry.key)
          e.writeUInt16LE(chunkSize, 24)
          e.writeUInt32LE(nvsCrc32(chunk), 28)
          page.write(sealEntry(e), 1)
          page.write(chunk, dataEntries)
          chunks++
          offset += chunkSize
          if (offset < data.length || tailroom - chunkSize < ENTRY_SIZE) page = newPage(field)
          if (offset >= data.length) break
        }
        const index = header(currentNs, TYPE.blobIndex, 1, CHUNK_ANY, entry.key)
        index.writeUInt32LE(data.length, 24)
        index[28] = chunks
        index[29] = 0
        page.write(sealEntry(index), 1)
        break
      }
    }
  }
  const image = Buffer.alloc(size, 0xff)
  pages.forEach((p, i) => p.bytes.copy(image, i * NVS_PAGE_SIZE))
  return image
}
