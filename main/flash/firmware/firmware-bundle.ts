import type { ChipFamily } from './flash-target'
import type { PartitionEntry } from './partition-table'

/** The kinds of firmware input a technician can choose. */
export type FirmwareInputKind = 'platformio' | 'esp-idf' | 'esp-web-tools' | 'merged-bin'

export const FIRMWARE_INPUT_KINDS: readonly FirmwareInputKind[] = [
  'platformio',
  'esp-idf',
  'esp-web-tools',
  'merged-bin',
]

/** What a part is, which decides how it is checked. */
export type FirmwarePartRole =
  | 'bootloader'
  | 'partition-table'
  | 'otadata'
  | 'app'
  /** A whole-flash image holding bootloader, partition table and app. */
  | 'merged'
  | 'data'

/** One file to write at one flash offset. */
export interface FirmwarePart {
  name: string
  role: FirmwarePartRole
  offset: number
  data: Uint8Array
  /** SHA-256 (hex) of `data`. */
  sha256: string
  /** MD5 (hex) of `data` padded with 0xFF to a multiple of 4 bytes, as esptool-js writes it. */
  md5: string
  /** The file the bytes came from; null when FieldFlash generated them (boot_app0). */
  file: string | null
}

/** Flash settings an ESP-IDF build declares in flasher_args.json. */
export interface DeclaredFlashSettings {
  mode?: string
  size?: string
  freq?: string
}

/** A validated set of parts, ready for the flasher. */
export interface FirmwareBundle {
  name: string
  kind: FirmwareInputKind
  /** The path the technician chose. */
  source: string
  chipFamily: ChipFamily
  /** The flash size (bytes) the layout was checked against. */
  flashSize: number
  /**
   * SHA-256 (hex) of everything the bundle writes, as one image from 0x0 with gaps filled with 0xFF
   * (what `esptool merge_bin` produces); for a merged .bin at 0x0 it is the file's own SHA-256.
   */
  sha256: string
  /** In flash order; no two overlap. */
  parts: FirmwarePart[]
  /** The app partitions of the bundle's partition table, in flash order; empty without one. */
  appPartitions: PartitionEntry[]
  /** Every entry of the bundle's partition table, as listed; empty without one. */
  partitions: PartitionEntry[]
  flashSettings: DeclaredFlashSettings | null
}

/** A part as an input loader lays it out, before validation. */
export interface PlannedPart {
  name: string
  role: FirmwarePartRole
  offset: number
  data: Uint8Array
  file: string | null
}

/** What an input loader found. */
export interface LoadedFirmwareInput {
  name: string
  parts: PlannedPart[]
  /** The file that decided the offsets (manifest.json, flasher_args.json, board.json), for messages. */
  layoutSource: string
  flashSettings: DeclaredFlashSettings | null
}
