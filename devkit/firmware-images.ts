// Firmware image builders for tests and benchmarks.
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Image chip ids as esptool and ESP-IDF define them, restated so the tests check the module's table. */
export const CHIP_IDS = {
  ESP32: 0,
  'ESP32-S2': 2,
  'ESP32-C3': 5,
  'ESP32-S3': 9,
  'ESP32-C2': 12,
  'ESP32-C6': 13,
  'ESP32-H2': 16,
} as const

export interface EspImageOptions {
  /** Chip id in the extended header; null builds an ESP8266 image (no extended header). */
  chipId?: number | null
  /** Segment data lengths (multiples of 4). */
  segments?: number[]
  hashAppended?: boolean
  magic?: number
  /** Overrides the segment count byte. */
  segmentCountByte?: number
}

/** A well-formed ESP firmware image: header, extended header, segments, checksum, optional SHA-256. */
export function espImage(options: EspImageOptions = {}): Uint8Array {
  const chipId = options.chipId === undefined ? 0 : options.chipId
  const segments = options.segments ?? [64, 128]
  const hashAppended = options.hashAppended ?? chipId !== null
  const headerLength = chipId === null ? 8 : 24
  const body: number[] = []
  const header = new Uint8Array(headerLength)
  const view = new DataView(header.buffer)
  header[0] = options.magic ?? 0xe9
  header[1] = options.segmentCountByte ?? segments.length
  header[2] = 2 // DIO
  header[3] = 0x20 // 4MB, 40 MHz
  view.setUint32(4, 0x40080000, true)
  if (chipId !== null) {
    header[8] = 0xee
    view.setUint16(12, chipId, true)
    header[23] = hashAppended ? 1 : 0
  }
  body.push(...header)
  let checksum = 0xef
  segments.forEach((length, index) => {
    const segmentHeader = new DataView(new ArrayBuffer(8))
    segmentHeader.setUint32(0, 0x3fff0000 + index * 0x1000, true)
    segmentHeader.setUint32(4, length, true)
    body.push(...new Uint8Array(segmentHeader.buffer))
    for (let i = 0; i < length; i++) {
      const byte = (i * 31 + index * 7 + 1) & 0xff
      checksum ^= byte
      body.push(byte)
    }
  })
  while (body.length % 16 !== 15) body.push(0)
  body.push(checksum)
  const image = Uint8Array.from(body)
  if (!hashAppended) return image
  const digest = createHash('sha256').update(image).digest()
  return concat(image, digest)
}

/** An ESP32 image (chip id 0) with one segment, checksum byte on its 16-byte boundary. */
export function singleSegmentImage(segment: Uint8Array, loadAddress: number): Uint8Array {
  const padded = Buffer.alloc(Math.ceil(segment.length / 4) * 4)
  padded.set(segment)
  const header = Buffer.alloc(24)
  header[0] = 0xe9
  header[1] = 1
  header[2] = 2 // DIO
  header[3] = 0x20 // 4 MB, 40 MHz
  header.writeUInt32LE(0x40080400, 4)
  header[8] = 0xee // WP pin
  header.writeUInt16LE(0, 12) // chip id: ESP32
  const segmentHeader = Buffer.alloc(8)
  segmentHeader.writeUInt32LE(loadAddress, 0)
  segmentHeader.writeUInt32LE(padded.length, 4)
  let checksum = 0xef
  for (const byte of padded) checksum ^= byte
  const body = Buffer.concat([header, segmentHeader, padded])
  const tail = Buffer.alloc(16 - (body.length % 16))
  tail[tail.length - 1] = checksum
  return Buffer.concat([body, tail])
}

/** An ESP8266 "v2" image: 0xEA header, an irom segment, then a normal 0xE9 image. */
export function esp8266V2Image(iromLength = 256): Uint8Array {
  const first = new Uint8Array(16)
  const view = new DataView(first.buffer)
  first[0] = 0xea
  first[1] = 4
  first[2] = 2
  first[3] = 0x40
  view.setUint32(4, 0x40100000, true)
  view.setUint32(8, 0, true)
  view.setUint32(12, iromLength, true)
  const irom = new Uint8Array(iromLength).fill(0x5a)
  return concat(first, irom, espImage({ chipId: null }))
}

export interface PartitionSpec {
  label: string
  type: number
  subtype: number
  offset: number
  size: number
}

export const APP = 0x00
export const DATA = 0x01
export const FACTORY = 0x00
export const OTA_0 = 0x10
export const OTA_1 = 0x11
export const OTADATA = 0x00
export const NVS = 0x02

/** Arduino-ESP32's default.csv: nvs, otadata at 0xe000, two 1.25 MiB OTA apps, spiffs, coredump. */
export const ARDUINO_DEFAULT_4MB: PartitionSpec[] = [
  { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x5000 },
  { label: 'otadata', type: DATA, subtype: OTADATA, offset: 0xe000, size: 0x2000 },
  { label: 'app0', type: APP, subtype: OTA_0, offset: 0x10000, size: 0x140000 },
  { label: 'app1', type: APP, subtype: OTA_1, offset: 0x150000, size: 0x140000 },
  { label: 'spiffs', type: DATA, subtype: 0x82, offset: 0x290000, size: 0x160000 },
  { label: 'coredump', type: DATA, subtype: 0x03, offset: 0x3f0000, size: 0x10000 },
]

/** The FieldFlash templates' table: Arduino's default plus a 0x3000-byte `ffcfg` before coredump. */
export const FIELDFLASH_4MB: PartitionSpec[] = [
  { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x5000 },
  { label: 'otadata', type: DATA, subtype: OTADATA, offset: 0xe000, size: 0x2000 },
  { label: 'app0', type: APP, subtype: OTA_0, offset: 0x10000, size: 0x140000 },
  { label: 'app1', type: APP, subtype: OTA_1, offset: 0x150000, size: 0x140000 },
  { label: 'spiffs', type: DATA, subtype: 0x82, offset: 0x290000, size: 0x15d000 },
  { label: 'ffcfg', type: DATA, subtype: NVS, offset: 0x3ed000, size: 0x3000 },
  { label: 'coredump', type: DATA, subtype: 0x03, offset: 0x3f0000, size: 0x10000 },
]

/** A factory-app table: nvs, phy_init and a 1 MiB factory app at 0x10000. */
export const FACTORY_1MB: PartitionSpec[] = [
  { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x6000 },
  { label: 'phy_init', type: DATA, subtype: 0x01, offset: 0xf000, size: 0x1000 },
  { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x100000 },
]

/** A binary partition table as gen_esp32part.py writes it: entries, MD5 entry, 0xFF to 0xC00. */
export function partitionTable(entries: PartitionSpec[], options: { md5?: boolean } = {}) {
  const table = new Uint8Array(0xc00).fill(0xff)
  const view = new DataView(table.buffer)
  entries.forEach((entry, index) => {
    const at = index * 32
    table.set([0xaa, 0x50, entry.type, entry.subtype], at)
    view.setUint32(at + 4, entry.offset, true)
    view.setUint32(at + 8, entry.size, true)
    const label = new Uint8Array(16)
    label.set(new TextEncoder().encode(entry.label))
    table.set(label, at + 12)
    view.setUint32(at + 28, 0, true)
  })
  if (options.md5 ?? true) {
    const at = entries.length * 32
    const md5 = createHash('md5').update(table.subarray(0, at)).digest()
    table.set([0xeb, 0xeb], at)
    table.set(md5, at + 16)
  }
  return table
}

/** One image with `parts` at their offsets and 0xFF in between, like `esptool merge_bin`. */
export function mergedImage(parts: { offset: number; data: Uint8Array }[]): Uint8Array {
  const end = Math.max(...parts.map((part) => part.offset + part.data.length))
  const image = new Uint8Array(end).fill(0xff)
  for (const part of parts) image.set(part.data, part.offset)
  return image
}

export function concat(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex')
}

/** Writes `files` (relative path → bytes or JSON value) under `dir`. */
export async function writeFiles(
  dir: string,
  files: Record<string, Uint8Array | object>,
): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(dir, relative)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(
      path,
      content instanceof Uint8Array ? content : JSON.stringify(content, null, 2),
    )
  }
}
