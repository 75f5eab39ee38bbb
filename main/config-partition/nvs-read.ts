import { nvsCrc32, NVS_PAGE_SIZE } from './nvs-partition'

// Reads an ESP-IDF NVS partition back (page format version 2, no encryption): what a board's
// `ffcfg` (or `nvs`) partition holds, for `fieldflash identify`. Tolerant, as NVS itself is: an
// erased or half-written page, an entry whose CRC does not check or whose data runs off the page
// is skipped and counted, never fatal. Layout as in nvs-partition.ts.

const ENTRY_SIZE = 32
const ENTRIES_PER_PAGE = 126
const FIRST_ENTRY_OFFSET = 64
const PAGE_ACTIVE = 0xfffffffe
const PAGE_FULL = 0xfffffffc
const ERASED = 0xffffffff

const INTEGER_TYPES: Record<number, { bytes: number; signed: boolean }> = {
  0x01: { bytes: 1, signed: false },
  0x11: { bytes: 1, signed: true },
  0x02: { bytes: 2, signed: false },
  0x12: { bytes: 2, signed: true },
  0x04: { bytes: 4, signed: false },
  0x14: { bytes: 4, signed: true },
  0x08: { bytes: 8, signed: false },
  0x18: { bytes: 8, signed: true },
}
const STRING = 0x21
const BLOB_DATA = 0x42
const BLOB_INDEX = 0x48

export type NvsValue = number | bigint | string | Uint8Array

export interface NvsContents {
  /** namespace → key → value (the newest write of each key wins, as NVS reads it). */
  namespaces: Map<string, Map<string, NvsValue>>
  /** Entries that could not be read (a bad CRC, data off the page): NVS ignores them too. */
  skipped: number
  /** Pages in use (active or full). */
  pages: number
}

/** The namespaces and values an NVS partition image holds. */
export function readNvsPartition(image: Uint8Array): NvsContents {
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength)
  const pages: { seq: number; offset: number }[] = []
  for (let offset = 0; offset + NVS_PAGE_SIZE <= bytes.length; offset += NVS_PAGE_SIZE) {
    const state = bytes.readUInt32LE(offset)
    if (state !== PAGE_ACTIVE && state !== PAGE_FULL) continue
    if (bytes.readUInt32LE(offset + 28) !== nvsCrc32(bytes.subarray(offset + 4, offset + 28))) {
      continue
    }
    pages.push({ seq: bytes.readUInt32LE(offset + 4), offset })
  }
  // Oldest page first, so a later write of a key replaces an earlier one.
  pages.sort((a, b) => a.seq - b.seq)

  const namespaceNames = new Map<number, string>()
  const raw: { ns: number; key: string; value: NvsValue }[] = []
  const blobChunks = new Map<string, Buffer[]>()
  let skipped = 0
  for (const { offset } of pages) {
    for (let i = 0; i < ENTRIES_PER_PAGE;) {
      if (entryState(bytes, offset, i) !== 0b10) {
        i++
        continue
      }
      const at = offset + FIRST_ENTRY_OFFSET + i * ENTRY_SIZE
      const entry = bytes.subarray(at, at + ENTRY_SIZE)
      const span = Math.max(1, entry[2]!)
      const crcOk =
        entry.readUInt32LE(4) ===
        nvsCrc32(Buffer.concat([entry.subarray(0, 4), entry.subarray(8, 32)]))
      const keyEnd = entry.indexOf(0, 8)
      const key = entry.subarray(8, keyEnd < 0 || keyEnd > 24 ? 24 : keyEnd).toString('utf8')
      if (!crcOk || i + span > ENTRIES_PER_PAGE) {
        skipped++
        i += crcOk ? span : 1
        continue
      }
      const ns = entry[0]!
      const type = entry[1]!
      const data = entry.subarray(24, 32)
      const integer = INTEGER_TYPES[type]
      if (integer) {
        const value = readInteger(data, integer.bytes, integer.signed)
        if (ns === 0) namespaceNames.set(Number(value), key)
        else raw.push({ ns, key, value })
      } else if (type === STRING || type === BLOB_DATA) {
        const size = data.readUInt16LE(0)
        const body = bytes.subarray(at + ENTRY_SIZE, at + ENTRY_SIZE + size)
        if (body.length !== size || nvsCrc32(body) !== data.readUInt32LE(4)) skipped++
        else if (type === STRING) {
          raw.push({ ns, key, value: body.subarray(0, Math.max(0, size - 1)).toString('utf8') })
        } else {
          const id = `${ns}\0${key}`
          const chunks = blobChunks.get(id) ?? []
          chunks[entry[3]!] = Buffer.from(body)
          blobChunks.set(id, chunks)
        }
      } else if (type === BLOB_INDEX) {
        const size = data.readUInt32LE(0)
        const count = data[4]!
        const start = data[5]!
        const chunks = blobChunks.get(`${ns}\0${key}`) ?? []
        const parts = chunks.slice(start, start + count)
        const value = Buffer.concat(parts.filter((part): part is Buffer => part !== undefined))
        if (parts.length === count && value.length === size) raw.push({ ns, key, value })
        else skipped++
      }
      i += span
    }
  }

  const namespaces = new Map<string, Map<string, NvsValue>>()
  for (const name of namespaceNames.values()) namespaces.set(name, new Map())
  for (const { ns, key, value } of raw) {
    const name = namespaceNames.get(ns)
    if (name === undefined) {
      skipped++
      continue
    }
    namespaces.get(name)!.set(key, value)
  }
  return { namespaces, skipped, pages: pages.length }
}

/** Whether a region is erased flash (all 0xFF): a partition never written. */
export function isErased(image: Uint8Array): boolean {
  const view = Buffer.from(image.buffer, image.byteOffset, image.byteLength)
  for (let at = 0; at + 4 <= view.length; at += 4)
    if (view.readUInt32LE(at) !== ERASED) return false
  return true
}

function entryState(bytes: Buffer, pageOffset: number, index: number): number {
  const bit = index * 2
  return (bytes[pageOffset + 32 + (bit >> 3)]! >> (bit & 7)) & 0b11
}

function readInteger(data: Buffer, size: number, signed: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? data.readInt8(0) : data.readUInt8(0)
    case 2:
      return signed ? data.readInt16LE(0) : data.readUInt16LE(0)
    case 4:
      return signed ? data.readInt32LE(0) : data.readUInt32LE(0)
    default:
      return signed ? data.readBigInt64LE(0) : data.readBigUInt64LE(0)
  }
}
