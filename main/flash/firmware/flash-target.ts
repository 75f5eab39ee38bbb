import { boardSchema, type Board } from '../../boards/board-schema'
import { FirmwareError } from './firmware-errors'

export type ChipFamily = Board['chipFamily']

/** The erase unit of SPI flash; esptool and the ROM loader write whole sectors. */
export const FLASH_SECTOR_SIZE = 0x1000

// `IMAGE_CHIP_ID` of each target in esptool-js 0.7.0 (lib/targets/*.js), the same values as
// ESP-IDF's esp_chip_id_t (components/bootloader_support/include/esp_app_format.h).
const IMAGE_CHIP_IDS: Record<Exclude<ChipFamily, 'ESP8266'>, number> = {
  ESP32: 0,
  'ESP32-S2': 2,
  'ESP32-C3': 5,
  'ESP32-S3': 9,
  'ESP32-C2': 12,
  'ESP32-C6': 13,
  'ESP32-H2': 16,
}

// Chips outside the catalog, only so that a message can say what an image was built for.
const OTHER_IMAGE_CHIP_IDS: Record<number, string> = {
  18: 'ESP32-P4',
  20: 'ESP32-C61',
  23: 'ESP32-C5',
}

/** The chip id an ESP32-family image header carries for `chip`; null for the ESP8266 (no such field). */
export function imageChipId(chip: ChipFamily): number | null {
  return chip === 'ESP8266' ? null : IMAGE_CHIP_IDS[chip]
}

/** The chip an image header's chip id stands for, for messages. */
export function chipNameForImageId(id: number): string {
  const known = Object.entries(IMAGE_CHIP_IDS).find(([, value]) => value === id)
  return known?.[0] ?? OTHER_IMAGE_CHIP_IDS[id] ?? `an unknown chip (image chip id ${id})`
}

const CHIP_FAMILIES: readonly ChipFamily[] = boardSchema.shape.chipFamily.options

/** The catalog's name for a chip written as esptool-js (`ESP32-S3`) or ESP-IDF (`esp32s3`) writes it. */
export function toChipFamily(name: string): ChipFamily | null {
  const key = compactChipName(name)
  return CHIP_FAMILIES.find((family) => compactChipName(family) === key) ?? null
}

function compactChipName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** Bytes in a flash size written as `4MB`, `512KB` or already as a number; null when unreadable. */
export function parseFlashSize(size: string | number): number | null {
  if (typeof size === 'number') return Number.isSafeInteger(size) && size > 0 ? size : null
  const match = /^(\d+)\s*(MB|KB)$/i.exec(size.trim())
  if (!match) return null
  const unit = match[2]!.toUpperCase() === 'MB' ? 1024 * 1024 : 1024
  return Number(match[1]) * unit
}

/** An offset as the tools print it: lowercase hex with 0x. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`
}

/** A byte count for people: `17.1 KiB`, `1.25 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`
}

/** The chip and flash one bundle is validated for, with the board's offsets as numbers. */
export interface FlashTarget {
  board: Board
  chip: ChipFamily
  flashSize: number
  /** Where the flash size came from, for messages: the board's catalog entry or the detected chip. */
  flashSizeSource: string
  bootloaderOffset: number | null
  partitionsOffset: number | null
  bootApp0Offset: number | null
  appOffset: number
}

/** The target for `board`, refined by what the connected chip reported; a different chip is refused. */
export function resolveFlashTarget(
  board: Board,
  detectedChip?: string | null,
  detectedFlashSize?: number | string | null,
): FlashTarget {
  let chip = board.chipFamily
  if (detectedChip) {
    const detected = toChipFamily(detectedChip)
    if (detected !== board.chipFamily) {
      throw new FirmwareError(
        'chip_mismatch',
        `The connected chip is ${detectedChip}, but the selected board ${board.name} has an ${board.chipFamily}. Choose the board that matches the hardware.`,
      )
    }
    chip = detected
  }
  const boardFlashSize = parseFlashSize(board.flash.size)
  if (boardFlashSize === null) {
    throw new FirmwareError(
      'invalid_input',
      `Board ${board.id} has an unreadable flash size "${board.flash.size}"; fix its board.json.`,
    )
  }
  let flashSize = boardFlashSize
  let flashSizeSource = `${board.name}'s ${board.flash.size} flash`
  if (detectedFlashSize !== undefined && detectedFlashSize !== null) {
    const detected = parseFlashSize(detectedFlashSize)
    if (detected === null) {
      throw new FirmwareError(
        'invalid_input',
        `The detected flash size "${detectedFlashSize}" is not a size like 4MB; reconnect the board and try again.`,
      )
    }
    flashSize = detected
    flashSizeSource = `the connected chip's ${formatSize(detected)} flash`
  }
  const offset = (value: string | null): number | null =>
    value === null ? null : parseInt(value, 16)
  return {
    board,
    chip,
    flashSize,
    flashSizeSource,
    bootloaderOffset: offset(board.offsets.bootloader),
    partitionsOffset: offset(board.offsets.partitions),
    bootApp0Offset: offset(board.offsets.bootApp0),
    appOffset: parseInt(board.offsets.app, 16),
  }
}
