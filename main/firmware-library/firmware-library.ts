import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { BoardCatalog } from '../boards/catalog'
import { CONFIG_PARTITION_NAME } from '../config-partition/config-partition'
import type { FirmwareBundle } from '../flash/firmware/firmware-bundle'
import { loadFirmwareBundle } from '../flash/firmware/load-firmware-bundle'
import type { PartitionEntry } from '../flash/firmware/partition-table'
import { findTokensIn } from '../flash/firmware-token'
import { tokenHash } from '../credentials/token-format'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore, FirmwareRow } from '../store/store'
import type { LibraryFirmware } from './library-types'

// The base firmware library: one firmware per board, built by the firmware team from the
// template's `generic` environment (no device's values in it), imported once and flashed with a
// per-device config partition. Parts are kept in <data dir>/firmware/<sha256>/, one file per
// flash offset; the registry lists what is there. A copy becomes visible only once complete.

/** The folder of the library inside the data directory. */
export const LIBRARY_DIR = 'firmware'

const NVS_SUBTYPE = 0x02
const MIN_CONFIG_SIZE = 0x3000

/** A library firmware as the user sees it. */
export interface FirmwareEntry extends FirmwareRow {
  /** The first 12 hex digits of the SHA-256: enough to name it in commands. */
  id: string
  totalBytes: number
}

export interface ImportFirmwareRequest {
  /** Any input `fieldflash flash` takes: build folder, flasher_args.json, manifest.json, .bin. */
  path: string
  boardId: string
  /**
   * Where the per-device config goes: the firmware's `ffcfg` partition (default), or — knowing it
   * erases the board's Wi-Fi, PHY calibration and the firmware's own state — its `nvs` partition.
   */
  configPartition?: 'ffcfg' | 'nvs'
  now?: Date
}

function view(row: FirmwareRow): FirmwareEntry {
  return {
    ...row,
    id: row.sha256.slice(0, 12),
    totalBytes: row.parts.reduce((sum, p) => sum + p.size, 0),
  }
}

function partFile(offset: number): string {
  return `0x${offset.toString(16).padStart(6, '0')}.bin`
}

/**
 * Validates a base firmware for a board and adds it to the library: the chip and layout checks of
 * flashing, a partition table with a config partition of at least 0x3000 bytes, and no device's
 * token inside. Importing the same firmware again for the same board changes nothing.
 */
export async function importFirmware(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: ImportFirmwareRequest,
): Promise<{ entry: FirmwareEntry; created: boolean; warnings: string[] }> {
  const board = catalog.get(request.boardId, 'board')
  if (board.chipFamily === 'ESP8266') {
    throw invalidInput(
      'board',
      `${board.name} is an ESP8266: it has no NVS, so it cannot take a config partition. Its devices are provisioned from their template instead ("fieldflash template").`,
    )
  }
  const label = request.configPartition ?? CONFIG_PARTITION_NAME
  const bundle = await loadFirmwareBundle({ path: request.path, board })
  const config = findConfigPartition(bundle, label)
  const warnings =
    label === 'nvs'
      ? [
          `The config will be written into the "nvs" partition: every provisioning erases the board's saved Wi-Fi, PHY calibration data and whatever else the firmware keeps there. Prefer a partition table with "${CONFIG_PARTITION_NAME}".`,
        ]
      : []
  const tokens = findTokensIn(bundle.parts.map((p) => p.data))
  if (tokens.length > 0) {
    throw new FieldFlashError(
      'invalid_image',
      `${bundle.name} carries a provisioning token (fingerprint ${tokenHash(tokens[0]!).slice(0, 8)}): it was built from one device's template. A base firmware is built from the template's "generic" environment and holds no device's values.`,
    )
  }
  const root = join(store.dataDir, LIBRARY_DIR)
  await storeParts(root, bundle)
  const row: FirmwareRow = {
    sha256: bundle.sha256,
    boardId: board.id,
    name: bundle.name,
    version: appVersion(bundle),
    chip: bundle.chipFamily,
    kind: bundle.kind,
    flashSize: bundle.flashSize,
    config: { label, offset: config.offset, size: config.size },
    partitions: bundle.partitions.map((p) => ({
      label: p.label,
      type: p.type,
      subtype: p.subtype,
      offset: p.offset,
      size: p.size,
    })),
    parts: bundle.parts.map((p) => ({
      name: p.name,
      role: p.role,
      offset: p.offset,
      size: p.data.length,
      sha256: p.sha256,
      md5: p.md5,
    })),
    importedAt: (request.now ?? new Date()).toISOString(),
  }
  return store.write(async (tx) => {
    const [existing] = await tx.firmware({ sha256: row.sha256, boardId: row.boardId })
    if (existing && existing.config.label === row.config.label) {
      return { entry: view(existing), created: false, warnings }
    }
    await tx.putFirmware(existing ? { ...row, importedAt: existing.importedAt } : row)
    await tx.audit([
      {
        type: 'firmware.imported',
        sha256: row.sha256,
        boardId: row.boardId,
        name: row.name,
        version: row.version,
        configPartition: row.config.label,
      },
    ])
    return {
      entry: view((await tx.firmware({ sha256: row.sha256, boardId: row.boardId }))[0]!),
      created: true,
      warnings,
    }
  })
}

/** The config partition the firmware's own partition table gives, or a message saying what to add. */
function findConfigPartition(bundle: FirmwareBundle, label: string): PartitionEntry {
  if (bundle.partitions.length === 0) {
    throw new FieldFlashError(
      'invalid_image',
      `${bundle.name} has no partition table, so FieldFlash cannot tell where the config partition goes. Import the whole build (bootloader, partition table and app), or a merged image.`,
    )
  }
  const entry = bundle.partitions.find((p) => p.label === label)
  if (!entry) {
    throw new FieldFlashError(
      'invalid_image',
      label === CONFIG_PARTITION_NAME
        ? `${bundle.name} has no "${CONFIG_PARTITION_NAME}" partition. Add the line "${CONFIG_PARTITION_NAME}, data, nvs, , 0x3000," to its partition table CSV (PlatformIO: board_build.partitions), rebuild the generic environment and import it again. Or, knowing it erases the board's Wi-Fi and calibration at every provisioning, import it with the config in "nvs".`
        : `${bundle.name} has no "${label}" partition.`,
    )
  }
  if (entry.type !== 'data' || entry.subtype !== NVS_SUBTYPE) {
    throw new FieldFlashError(
      'invalid_image',
      `The "${label}" partition of ${bundle.name} is not a data/nvs partition; make it "${label}, data, nvs, , 0x3000,".`,
    )
  }
  if (entry.size < MIN_CONFIG_SIZE || entry.size % 0x1000 !== 0 || entry.offset % 0x1000 !== 0) {
    throw new FieldFlashError(
      'invalid_image',
      `The "${label}" partition of ${bundle.name} is ${entry.size} bytes at 0x${entry.offset.toString(16)}; it must be at least 0x3000 bytes, in whole 4 KiB sectors, on a 4 KiB boundary.`,
    )
  }
  return entry
}

/** The version an ESP-IDF/Arduino app image declares in its app description, when it has one. */
function appVersion(bundle: FirmwareBundle): string | null {
  const app = bundle.parts.find((p) => p.role === 'app')
  let image: Uint8Array | undefined = app?.data
  if (!image) {
    const merged = bundle.parts.find((p) => p.role === 'merged')
    const first = bundle.appPartitions[0]
    if (merged && first) image = merged.data.subarray(first.offset - merged.offset)
  }
  // esp_app_desc_t follows the 24-byte image header and the first 8-byte segment header.
  if (!image || image.length < 32 + 48) return null
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength)
  if (view.getUint32(32, true) !== 0xabcd5432) return null
  const field = image.subarray(48, 80)
  const end = field.indexOf(0)
  const version = Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8')
  return /^[\x20-\x7e]{1,32}$/.test(version) ? version : null
}

/** Copies the parts into <root>/<sha256>/ through a temporary folder renamed into place. */
async function storeParts(root: string, bundle: FirmwareBundle): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 })
  await removeLeftovers(root)
  const final = join(root, bundle.sha256)
  if (await partsIntact(final, bundle.parts)) return
  const temp = join(root, `.${bundle.sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await mkdir(temp, { mode: 0o700 })
    for (const part of bundle.parts) {
      const handle = await open(join(temp, partFile(part.offset)), 'wx', 0o600)
      try {
        await handle.writeFile(part.data)
        await handle.sync()
      } finally {
        await handle.close()
      }
    }
    // A damaged copy from earlier is replaced as a whole.
    await rm(final, { recursive: true, force: true })
    await rename(temp, final)
  } catch (error) {
    await rm(temp, { recursive: true, force: true })
    throw new FieldFlashError(
      'io_error',
      `Could not copy the firmware into the library at ${root} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was imported. Check free disk space.`,
      undefined,
      { cause: error },
    )
  }
}

async function partsIntact(
  dir: string,
  parts: readonly { offset: number; sha256: string }[],
): Promise<boolean> {
  try {
    for (const part of parts) {
      const data = await readFile(join(dir, partFile(part.offset)))
      if (createHash('sha256').update(data).digest('hex') !== part.sha256) return false
    }
    return true
  } catch {
    return false
  }
}

/** Temporary folders of imports that died (their process is gone). */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const match = /^\.[0-9a-f]{64}\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)
    if (!match || Number(match[1]) === process.pid) continue
    try {
      process.kill(Number(match[1]), 0)
    } catch {
      await rm(join(root, name), { recursive: true, force: true })
    }
  }
}

/** A library firmware as the app shows it. */
export function libraryView(entry: FirmwareEntry): LibraryFirmware {
  return {
    id: entry.id,
    sha256: entry.sha256,
    boardId: entry.boardId,
    name: entry.name,
    version: entry.version,
    chip: entry.chip,
    totalBytes: entry.totalBytes,
    config: entry.config,
    importedAt: entry.importedAt,
  }
}

/** The library, newest import first, optionally one board's. */
export async function listFirmware(
  store: FieldFlashStore,
  filter: { boardId?: string } = {},
): Promise<FirmwareEntry[]> {
  return (await store.read((tx) => tx.firmware(filter))).map(view)
}

/** Finds library firmware by id (the first 8–64 hex digits of its SHA-256). */
export async function findFirmware(
  store: FieldFlashStore,
  id: string,
  boardId?: string,
): Promise<FirmwareEntry[]> {
  if (!/^[0-9a-f]{8,64}$/.test(id)) {
    throw invalidInput(
      'id',
      'must be 8–64 hex digits of a firmware’s SHA-256, as "fieldflash firmware list" shows',
    )
  }
  return (await listFirmware(store, { boardId })).filter((f) => f.sha256.startsWith(id))
}

/** Removes a firmware from the library (for every board it was imported for). */
export async function removeFirmware(store: FieldFlashStore, id: string): Promise<FirmwareEntry[]> {
  const matches = await findFirmware(store, id)
  const shas = new Set(matches.map((m) => m.sha256))
  if (shas.size === 0) {
    throw new FieldFlashError(
      'not_found',
      `id: no library firmware ${id}; see "fieldflash firmware list".`,
      'id',
    )
  }
  if (shas.size > 1) {
    throw invalidInput('id', `${id} matches several firmware; give more digits of its SHA-256`)
  }
  await store.write(async (tx) => {
    for (const m of matches) {
      await tx.deleteFirmware(m.sha256, m.boardId)
      await tx.audit([
        { type: 'firmware.removed', sha256: m.sha256, boardId: m.boardId, name: m.name },
      ])
    }
  })
  // After the commit: a crash here leaves an unlisted folder, which nothing reads.
  await rm(join(store.dataDir, LIBRARY_DIR, matches[0]!.sha256), { recursive: true, force: true })
  return matches
}

/** The parts of a library firmware, read back and checked against their recorded SHA-256. */
export async function readFirmwareParts(
  store: FieldFlashStore,
  entry: FirmwareRow,
): Promise<{ offset: number; data: Uint8Array; name: string }[]> {
  const dir = join(store.dataDir, LIBRARY_DIR, entry.sha256)
  const parts = []
  for (const part of entry.parts) {
    let data: Buffer
    try {
      data = await readFile(join(dir, partFile(part.offset)))
    } catch {
      data = Buffer.alloc(0)
    }
    if (createHash('sha256').update(data).digest('hex') !== part.sha256) {
      throw new FieldFlashError(
        'store_corrupt',
        `The library copy of ${entry.name} (${entry.sha256.slice(0, 12)}) is damaged or missing in ${dir}. Remove it ("fieldflash firmware remove ${entry.sha256.slice(0, 12)}") and import it again.`,
      )
    }
    parts.push({ offset: part.offset, data, name: part.name })
  }
  return parts
}
