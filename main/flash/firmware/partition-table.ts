import { createHash } from 'node:crypto'
import { FirmwareError } from './firmware-errors'
import { hex } from './flash-target'

// Binary layout from ESP-IDF's gen_esp32part.py: 32-byte entries packed as '<2sBBLL16sL' (magic
// AA 50, type, subtype, offset, size, NUL-padded label, flags); optionally an entry starting EB EB
// followed by 14 bytes of 0xFF and the MD5 of all entries before it; then an all-0xFF end marker.
// The table occupies at most 0xC00 bytes of its 4 KiB sector (MAX_PARTITION_LENGTH).
const ENTRY_LENGTH = 32
const MAX_TABLE_LENGTH = 0xc00
/** The table's flash sector; anything longer would spill into the next partition. */
export const PARTITION_TABLE_SECTOR = 0x1000
const APP_TYPE = 0x00
const DATA_TYPE = 0x01
// App subtypes: factory 0x00, ota_0..ota_15 0x10..0x1F, test 0x20 (gen_esp32part.py SUBTYPES).
const OTA_SUBTYPE_FIRST = 0x10
const OTA_SUBTYPE_COUNT = 16
const TEST_SUBTYPE = 0x20

export interface PartitionEntry {
  label: string
  type: 'app' | 'data' | number
  /** `factory`, `ota_0`…`ota_15`, `test` for apps; the raw subtype number otherwise. */
  subtype: string | number
  offset: number
  size: number
  flags: number
}

export interface PartitionTable {
  entries: PartitionEntry[]
  /** Whether the table carried an MD5 entry (and it matched). */
  hasMd5: boolean
}

/** Parses a binary partition table, checking entry magic, MD5 and end marker; `file` names it in errors. */
export function parsePartitionTable(data: Uint8Array, file: string): PartitionTable {
  const invalid = (problem: string): FirmwareError =>
    new FirmwareError(
      'invalid_partition_table',
      `${file}: ${problem}. Use the partitions.bin (partition-table.bin) from the same build as the firmware.`,
      file,
    )
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const entries: PartitionEntry[] = []
  const md5 = createHash('md5')
  let hasMd5 = false
  const limit = Math.min(data.length, MAX_TABLE_LENGTH)
  for (let at = 0; at + ENTRY_LENGTH <= limit; at += ENTRY_LENGTH) {
    const entry = data.subarray(at, at + ENTRY_LENGTH)
    if (entry.every((byte) => byte === 0xff)) {
      if (entries.length === 0) throw invalid('it lists no partitions')
      return { entries, hasMd5 }
    }
    if (entry[0] === 0xeb && entry[1] === 0xeb) {
      if (!md5.copy().digest().equals(entry.subarray(16))) {
        throw invalid(`its MD5 entry at ${hex(at)} does not match the entries before it`)
      }
      hasMd5 = true
      continue
    }
    if (entry[0] !== 0xaa || entry[1] !== 0x50) {
      throw invalid(
        at === 0
          ? 'not a partition table (it does not start with the bytes AA 50)'
          : `entry ${at / ENTRY_LENGTH + 1} at ${hex(at)} lacks the AA 50 magic bytes`,
      )
    }
    md5.update(entry)
    entries.push(parseEntry(entry, view, at))
  }
  if (data.length < MAX_TABLE_LENGTH) {
    // The image ends before an end marker: written into an erased sector, the chip (and esptool)
    // read 0xFF after it, which is the end marker. Valid, as long as no entry is cut in half.
    const rest = data.subarray(Math.floor(data.length / ENTRY_LENGTH) * ENTRY_LENGTH)
    if (rest.some((byte) => byte !== 0xff)) {
      throw invalid(`it ends in the middle of entry ${entries.length + 1}`)
    }
    if (entries.length === 0) throw invalid('it lists no partitions')
    return { entries, hasMd5 }
  }
  throw invalid(`no end-of-table marker within the first ${hex(MAX_TABLE_LENGTH)} bytes`)
}

function parseEntry(entry: Uint8Array, view: DataView, at: number): PartitionEntry {
  const type = entry[2]!
  const subtype = entry[3]!
  const labelBytes = entry.subarray(12, 28)
  const nul = labelBytes.indexOf(0)
  const label = Buffer.from(nul === -1 ? labelBytes : labelBytes.subarray(0, nul)).toString('utf8')
  return {
    label,
    type: type === APP_TYPE ? 'app' : type === DATA_TYPE ? 'data' : type,
    subtype: type === APP_TYPE ? appSubtypeName(subtype) : subtype,
    offset: view.getUint32(at + 4, true),
    size: view.getUint32(at + 8, true),
    flags: view.getUint32(at + 28, true),
  }
}

function appSubtypeName(subtype: number): string | number {
  if (subtype === 0x00) return 'factory'
  if (subtype === TEST_SUBTYPE) return 'test'
  if (subtype >= OTA_SUBTYPE_FIRST && subtype < OTA_SUBTYPE_FIRST + OTA_SUBTYPE_COUNT) {
    return `ota_${subtype - OTA_SUBTYPE_FIRST}`
  }
  return subtype
}

/** The app partitions of a table, in flash order. */
export function appPartitions(table: PartitionTable): PartitionEntry[] {
  return table.entries.filter((entry) => entry.type === 'app').sort((a, b) => a.offset - b.offset)
}

// Data subtypes by name (gen_esp32part.py SUBTYPES), for messages.
const DATA_SUBTYPE_NAMES: Record<number, string> = {
  0x00: 'ota',
  0x01: 'phy',
  0x02: 'nvs',
  0x03: 'coredump',
  0x04: 'nvs_keys',
  0x05: 'efuse',
  0x06: 'undefined',
  0x80: 'esphttpd',
  0x81: 'fat',
  0x82: 'spiffs',
  0x83: 'littlefs',
}

/** How a partition reads in a message: `"app0" (ota_0 at 0x10000, 1310720 bytes)`. */
export function describePartition(entry: PartitionEntry): string {
  const subtype =
    entry.type === 'data' && typeof entry.subtype === 'number'
      ? (DATA_SUBTYPE_NAMES[entry.subtype] ?? hex(entry.subtype))
      : entry.subtype
  return `"${entry.label}" (${subtype} at ${hex(entry.offset)}, ${entry.size} bytes)`
}
