import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import type { Board } from '../../boards/board-schema'
import {
  FIRMWARE_INPUT_KINDS,
  type FirmwareBundle,
  type FirmwareInputKind,
  type FirmwarePart,
  type LoadedFirmwareInput,
  type PlannedPart,
} from './firmware-bundle'
import { FirmwareError } from './firmware-errors'
import { resolveFlashTarget, type FlashTarget } from './flash-target'
import { findFlasherArgs, loadEspIdfBuild } from './load-esp-idf-build'
import { loadMergedBin } from './load-merged-bin'
import { PLATFORMIO_FILES, loadPlatformioBuild } from './load-platformio-build'
import { findWebToolsManifest, loadWebToolsManifest } from './load-web-tools-manifest'
import { appPartitions } from './partition-table'
import { parseOffset } from './part-paths'
import { pathKind, readJsonFile } from './read-input'
import { validateFirmwareLayout } from './validate-layout'

export interface LoadFirmwareRequest {
  /** The file or folder the technician chose. */
  path: string
  /** The board selected from the catalog. */
  board: Board
  /** The input kind; detected from the path when omitted. */
  kind?: FirmwareInputKind
  /** The chip esptool-js reported (`ESP32-S3`), once connected; it must be the board's chip. */
  detectedChip?: string | null
  /** The flash size the chip reported (bytes, or `4MB`); the board's size is used until then. */
  detectedFlashSize?: number | string | null
  /** Where a single .bin goes (merged-bin only); 0x0 by default. */
  offset?: number | string
}

/** Which kind of firmware input `path` is: an ESP-IDF or PlatformIO build, an ESP Web Tools manifest or a .bin. */
export async function detectFirmwareInputKind(path: string): Promise<FirmwareInputKind> {
  const kind = await pathKind(path)
  if (kind === null) {
    throw new FirmwareError('not_found', `${path} does not exist; check the path.`, path)
  }
  if (await findFlasherArgs(path)) return 'esp-idf'
  if (kind === 'directory') {
    if (await findWebToolsManifest(path)) return 'esp-web-tools'
    const looksLikePlatformio =
      (await pathKind(join(path, PLATFORMIO_FILES.app))) === 'file' ||
      (await pathKind(join(path, 'platformio.ini'))) === 'file'
    if (looksLikePlatformio) return 'platformio'
    throw new FirmwareError(
      'not_found',
      `${path} holds no firmware FieldFlash recognises. Choose a PlatformIO build folder (.pio/build/<env>), an ESP-IDF build folder (with flasher_args.json), an ESP Web Tools manifest.json, or a merged .bin file.`,
      path,
    )
  }
  const lower = path.toLowerCase()
  if (lower.endsWith('.json')) {
    const document = await readJsonFile(path, 'Check the path.')
    if (typeof document === 'object' && document !== null) {
      if ('builds' in document) return 'esp-web-tools'
      if ('flash_files' in document) return 'esp-idf'
    }
    throw new FirmwareError(
      'invalid_input',
      `${path} is neither an ESP Web Tools manifest (with "builds") nor an ESP-IDF flasher_args.json (with "flash_files"). Choose one of those, a build folder, or a .bin file.`,
      path,
    )
  }
  if (lower.endsWith('.bin')) {
    // firmware.bin chosen inside a PlatformIO build folder means the whole build.
    const inPlatformioBuild =
      basename(path) === PLATFORMIO_FILES.app &&
      (await pathKind(join(dirname(path), PLATFORMIO_FILES.partitions))) === 'file'
    return inPlatformioBuild ? 'platformio' : 'merged-bin'
  }
  throw new FirmwareError(
    'invalid_input',
    `${path} is not a firmware file FieldFlash knows. Choose a .bin file, a manifest.json, a flasher_args.json, or a build folder.`,
    path,
  )
}

/** Loads the firmware at `path` for `board` (and the connected chip), validates it, and lays out what will be written. */
export async function loadFirmwareBundle(request: LoadFirmwareRequest): Promise<FirmwareBundle> {
  if (typeof request.path !== 'string' || request.path.length === 0) {
    throw new FirmwareError('invalid_input', 'firmware: choose a firmware file or folder.')
  }
  if (request.kind !== undefined && !FIRMWARE_INPUT_KINDS.includes(request.kind)) {
    throw new FirmwareError(
      'invalid_input',
      `firmware kind: must be one of ${FIRMWARE_INPUT_KINDS.join(', ')}.`,
    )
  }
  const target = resolveFlashTarget(request.board, request.detectedChip, request.detectedFlashSize)
  const kind = request.kind ?? (await detectFirmwareInputKind(request.path))
  const input = await loadInput(kind, request, target)
  const table = validateFirmwareLayout(input.parts, target, input.layoutSource)
  const parts = [...input.parts].sort((a, b) => a.offset - b.offset).map(toFirmwarePart)
  return {
    name: input.name,
    kind,
    source: request.path,
    chipFamily: target.chip,
    flashSize: target.flashSize,
    sha256: flashContentSha256(parts),
    parts,
    appPartitions: table ? appPartitions(table) : [],
    partitions: table?.entries ?? [],
    flashSettings: input.flashSettings,
  }
}

function loadInput(
  kind: FirmwareInputKind,
  request: LoadFirmwareRequest,
  target: FlashTarget,
): Promise<LoadedFirmwareInput> {
  if (request.offset !== undefined && kind !== 'merged-bin') {
    throw new FirmwareError(
      'invalid_input',
      `offset: only a single .bin file takes an offset; a ${kind} input brings its own.`,
    )
  }
  switch (kind) {
    case 'platformio':
      return loadPlatformioBuild(request.path, target)
    case 'esp-idf':
      return loadEspIdfBuild(request.path, target)
    case 'esp-web-tools':
      return loadWebToolsManifest(request.path, target)
    case 'merged-bin': {
      const offset = request.offset === undefined ? 0 : parseOffset(request.offset)
      if (offset === null) {
        throw new FirmwareError(
          'invalid_input',
          `offset: "${String(request.offset)}" is not an offset like 0x0 or 0x10000.`,
        )
      }
      return loadMergedBin(request.path, target, offset)
    }
  }
}

function toFirmwarePart(part: PlannedPart): FirmwarePart {
  return {
    name: part.name,
    role: part.role,
    offset: part.offset,
    data: part.data,
    sha256: createHash('sha256').update(part.data).digest('hex'),
    md5: md5AsWritten(part.data),
    file: part.file,
  }
}

// esptool-js 0.7.0's writeFlash pads every file with 0xFF to a multiple of 4 bytes (util.js padTo)
// before writing and before computing the MD5 it compares with the chip's.
function md5AsWritten(data: Uint8Array): string {
  const hash = createHash('md5').update(data)
  const padding = (4 - (data.length % 4)) % 4
  if (padding > 0) hash.update(new Uint8Array(padding).fill(0xff))
  return hash.digest('hex')
}

const ERASED = new Uint8Array(64 * 1024).fill(0xff)

function flashContentSha256(parts: readonly FirmwarePart[]): string {
  const hash = createHash('sha256')
  let position = 0
  for (const part of parts) {
    for (let gap = part.offset - position; gap > 0; gap -= ERASED.length) {
      hash.update(gap >= ERASED.length ? ERASED : ERASED.subarray(0, gap))
    }
    hash.update(part.data)
    position = part.offset + part.data.length
  }
  return hash.digest('hex')
}
