import { createHash } from 'node:crypto'
import { FirmwareError } from './firmware-errors'
import { chipNameForImageId, hex, imageChipId, type ChipFamily } from './flash-target'

// Image layout from esptool's "Firmware Image Format" (docs/en/advanced-topics/firmware-image-format.rst)
// and its image loader: an 8-byte header (magic 0xE9, segment count, flash mode, flash size/freq,
// entry), on ESP32-family chips a 16-byte extended header (chip id as u16 at byte 12 of the file,
// "hash appended" at byte 23), then segments of (load address u32, length u32, data), zero padding
// up to a checksum byte that ends on a 16-byte boundary, then an optional SHA-256 of all that.
export const ESP_IMAGE_MAGIC = 0xe9
// esptool's ESPBOOTLOADER.IMAGE_V2_MAGIC: an ESP8266 "v2" image, where an irom segment precedes a
// normal 0xE9 header; its segment-count byte is a format version (usually 4), not a count.
export const ESP8266_V2_IMAGE_MAGIC = 0xea
// esptool's BaseFirmwareImage.verify(): more segments than this "usually indicates a linker script problem".
const MAX_SEGMENTS = 16
const HEADER_LENGTH = 8
const EXTENDED_HEADER_LENGTH = 16
const SEGMENT_HEADER_LENGTH = 8
const CHECKSUM_SEED = 0xef
const SHA256_LENGTH = 32

export interface EspImageSegment {
  loadAddress: number
  length: number
  /** Where the segment's data starts, counted from the image start. */
  dataOffset: number
}

export interface EspImageHeader {
  format: 'esp32' | 'esp8266' | 'esp8266-v2'
  segmentCount: number
  /** SPI flash mode byte: 0 QIO, 1 QOUT, 2 DIO, 3 DOUT. */
  flashMode: number
  /** High nibble flash size, low nibble flash frequency (chip-specific codes). */
  flashSizeFreq: number
  entryAddress: number
  /** The chip the image was built for; null on the ESP8266, whose images do not say. */
  chipId: number | null
  hashAppended: boolean
  segments: EspImageSegment[]
  /** Bytes the image occupies, from its header through the checksum and any appended SHA-256. */
  length: number
}

/** Parses the ESP image at the start of `data` and checks it is whole and built for `chip`; `file` names it in errors. */
export function parseEspImageHeader(
  data: Uint8Array,
  chip: ChipFamily,
  file: string,
): EspImageHeader {
  const invalid = (problem: string, advice = REBUILD_ADVICE): FirmwareError =>
    new FirmwareError('invalid_image', `${file}: ${problem}. ${advice}`, file)
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const isEsp8266 = chip === 'ESP8266'
  if (data.length < HEADER_LENGTH + (isEsp8266 ? 0 : EXTENDED_HEADER_LENGTH)) {
    throw invalid(`only ${data.length} bytes, too short for an ESP firmware image header`)
  }
  const magic = data[0]!
  if (magic === ESP8266_V2_IMAGE_MAGIC && isEsp8266) return parseEsp8266V2Image(data, view, invalid)
  if (magic !== ESP_IMAGE_MAGIC) {
    throw invalid(
      `not an ESP firmware image (first byte ${hex(magic)}, expected ${hex(ESP_IMAGE_MAGIC)})`,
      'Choose the .bin file the build produced, not the .elf, a .hex or a compressed file.',
    )
  }
  const segmentCount = data[1]!
  checkSegmentCount(segmentCount, invalid)
  let chipId: number | null = null
  let hashAppended = false
  if (!isEsp8266) {
    chipId = view.getUint16(12, true)
    const expected = imageChipId(chip)
    if (chipId !== expected) {
      throw new FirmwareError(
        'chip_mismatch',
        `${file} is built for ${chipNameForImageId(chipId)}, but the board has an ${chip}. Build the firmware for this board, or choose the board the firmware was built for.`,
        file,
      )
    }
    hashAppended = data[23] === 1
  }
  const start = HEADER_LENGTH + (isEsp8266 ? 0 : EXTENDED_HEADER_LENGTH)
  const walk = walkSegments(data, view, start, segmentCount, invalid)
  const length = checkFooter(data, walk.end, walk.checksum, hashAppended, invalid)
  return {
    format: isEsp8266 ? 'esp8266' : 'esp32',
    segmentCount,
    flashMode: data[2]!,
    flashSizeFreq: data[3]!,
    entryAddress: view.getUint32(4, true),
    chipId,
    hashAppended,
    segments: walk.segments,
    length,
  }
}

const REBUILD_ADVICE = 'The file is damaged or incomplete: copy it again or rebuild the firmware.'

type InvalidImage = (problem: string, advice?: string) => FirmwareError

function parseEsp8266V2Image(
  data: Uint8Array,
  view: DataView,
  invalid: InvalidImage,
): EspImageHeader {
  if (data.length < HEADER_LENGTH + SEGMENT_HEADER_LENGTH) {
    throw invalid(`only ${data.length} bytes, too short for an ESP8266 v2 image`)
  }
  const iromLength = view.getUint32(HEADER_LENGTH + 4, true)
  const secondHeader = HEADER_LENGTH + SEGMENT_HEADER_LENGTH + iromLength
  if (secondHeader + HEADER_LENGTH > data.length) {
    throw invalid(`its irom segment says ${iromLength} bytes but the file ends before that`)
  }
  if (data[secondHeader] !== ESP_IMAGE_MAGIC) {
    throw invalid(`the v2 image's second header at ${hex(secondHeader)} lacks the 0xe9 magic byte`)
  }
  const segmentCount = data[secondHeader + 1]!
  checkSegmentCount(segmentCount, invalid)
  // The irom segment is left out of the checksum (esptool's ESP8266V2FirmwareImage).
  const walk = walkSegments(data, view, secondHeader + HEADER_LENGTH, segmentCount, invalid)
  const length = checkFooter(data, walk.end, walk.checksum, false, invalid)
  return {
    format: 'esp8266-v2',
    segmentCount,
    flashMode: data[secondHeader + 2]!,
    flashSizeFreq: data[secondHeader + 3]!,
    entryAddress: view.getUint32(secondHeader + 4, true),
    chipId: null,
    hashAppended: false,
    segments: [
      { loadAddress: 0, length: iromLength, dataOffset: HEADER_LENGTH + SEGMENT_HEADER_LENGTH },
      ...walk.segments,
    ],
    length,
  }
}

function checkSegmentCount(count: number, invalid: InvalidImage): void {
  if (count === 0 || count > MAX_SEGMENTS) {
    throw invalid(`its header claims ${count} segments (an image has 1 to ${MAX_SEGMENTS})`)
  }
}

function walkSegments(
  data: Uint8Array,
  view: DataView,
  start: number,
  count: number,
  invalid: InvalidImage,
): { segments: EspImageSegment[]; end: number; checksum: number } {
  const segments: EspImageSegment[] = []
  let position = start
  let checksum = CHECKSUM_SEED
  for (let index = 0; index < count; index++) {
    if (position + SEGMENT_HEADER_LENGTH > data.length) {
      throw invalid(`the file ends inside the header of segment ${index + 1} of ${count}`)
    }
    const loadAddress = view.getUint32(position, true)
    const length = view.getUint32(position + 4, true)
    const dataOffset = position + SEGMENT_HEADER_LENGTH
    if (dataOffset + length > data.length) {
      throw invalid(
        `segment ${index + 1} of ${count} says ${length} bytes but the file ends ${data.length - dataOffset} bytes later`,
      )
    }
    for (let i = dataOffset; i < dataOffset + length; i++) checksum ^= data[i]!
    segments.push({ loadAddress, length, dataOffset })
    position = dataOffset + length
  }
  return { segments, end: position, checksum }
}

function checkFooter(
  data: Uint8Array,
  segmentsEnd: number,
  checksum: number,
  hashAppended: boolean,
  invalid: InvalidImage,
): number {
  // The checksum byte is the last byte of the 16-byte block the segments end in.
  const checksumAt = segmentsEnd + (15 - (segmentsEnd % 16))
  if (checksumAt >= data.length) throw invalid('the file ends before the image checksum')
  if (data[checksumAt] !== checksum) {
    throw invalid(
      `its checksum byte is ${hex(data[checksumAt]!)} but its segments add up to ${hex(checksum)}`,
    )
  }
  const imageEnd = checksumAt + 1
  if (!hashAppended) return imageEnd
  if (imageEnd + SHA256_LENGTH > data.length)
    throw invalid('the file ends before its SHA-256 digest')
  const digest = createHash('sha256').update(data.subarray(0, imageEnd)).digest()
  const stored = data.subarray(imageEnd, imageEnd + SHA256_LENGTH)
  if (!digest.equals(stored))
    throw invalid('its appended SHA-256 digest does not match its contents')
  return imageEnd + SHA256_LENGTH
}
