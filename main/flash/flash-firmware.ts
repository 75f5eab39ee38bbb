import type { BoardCatalog } from '../boards/catalog'
import type { Board } from '../boards/board-schema'
import { requireDevice } from '../store/require-device'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { failureOf, flashBoard, type BeforeMode, type FlashDependencies } from './flash-board'
import type { FlashEvent, FlashResult } from './flash-events'
import type { FirmwareBundle } from './firmware/firmware-bundle'
import { resolveFlashTarget } from './firmware/flash-target'
import { loadFirmwareBundle } from './firmware/load-firmware-bundle'
import { applyTokenRule, describeFirmwareFor } from './firmware-token'
import type { FirmwareCheck } from './firmware-token-types'
import { recordFlashOrSay } from './record-flash'
import { leaseDevice, type DeviceLease } from '../leases/device-lease'
import type { PortLease } from '../leases/port-lease'

export interface FlashFirmwareRequest {
  port: { path: string; vid?: string | null; pid?: string | null }
  /** A PlatformIO build folder, flasher_args.json, manifest.json or .bin file. */
  firmwarePath: string
  /** Board id from the catalog; defaults to the device's board. */
  boardId?: string
  /** The device this board becomes; its record keeps the flash (chip, MAC, firmware). */
  deviceUid?: string
  baud?: number
  erase?: boolean
  before?: BeforeMode
  /** Where a single .bin goes; 0x0 by default. */
  offset?: number
  /** Flash a firmware whose token is not the device's current one (said as a warning). */
  acceptTokenMismatch?: boolean
  /** Who runs the job, in words, for another job refused the device meanwhile. */
  holder?: string
  /** The device's lease and the port's, when the caller's job already holds them. */
  deviceLease?: DeviceLease | null
  portLease?: PortLease | null
  /** The firmware as `prepareFirmware` loaded and checked it for this request (else done here). */
  prepared?: PreparedFirmware
}

/** A firmware loaded and checked once for a job, before any port is opened. */
export interface PreparedFirmware {
  firmwarePath: string
  board: Board | null
  /** Loaded for `board`; null without a board (then loaded once the chip is known). */
  bundle: FirmwareBundle | null
  /** The device's firmware check (its token against the registry), when a device is named. */
  check: FirmwareCheck | null
  /** What the technician accepted (a token mismatch), to say as the job starts. */
  warning: string | null
}

/**
 * Loads and checks a firmware once for a job: the board it is for (the device's, or the one
 * named), its parts against that board, and, for a device, the token rule (refused unless
 * accepted). Throws the FieldFlash error that refuses it; nothing is opened or written.
 */
export async function prepareFirmware(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: Pick<
    FlashFirmwareRequest,
    'firmwarePath' | 'boardId' | 'deviceUid' | 'offset' | 'acceptTokenMismatch'
  >,
  now: Date = new Date(),
): Promise<PreparedFirmware> {
  const board = await resolveBoard(services, request)
  // Fails on a broken or mismatched image before anything touches the board.
  const bundle = board
    ? await loadFirmwareBundle({ path: request.firmwarePath, board, offset: request.offset })
    : null
  const check =
    request.deviceUid && bundle
      ? await describeFirmwareFor(services.store, request.deviceUid, bundle, now)
      : null
  const warning = check ? applyTokenRule(check.token, Boolean(request.acceptTokenMismatch)) : null
  return { firmwarePath: request.firmwarePath, board, bundle, check, warning }
}

/**
 * The whole "flash" step: checks the firmware against the board before the port is opened, flashes
 * (re-checking it against the chip and flash size actually found), and records a successful flash
 * on the device. Failures are a `FlashResult` with a code; only a bug throws.
 */
export async function flashFirmware(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: FlashFirmwareRequest,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<FlashResult> {
  let prepared: PreparedFirmware
  try {
    prepared = request.prepared ?? (await prepareFirmware(services, request))
  } catch (error) {
    if (error instanceof FieldFlashError) return failureOf(error, 'preparing')
    throw error
  }
  if (prepared.warning) emit({ type: 'log', level: 'warning', message: prepared.warning })
  // A device's board is written by one job at a time, whichever process runs it.
  let lease: DeviceLease | null = null
  if (request.deviceUid && !request.deviceLease) {
    try {
      lease = await leaseDevice(services.store, {
        uid: request.deviceUid,
        port: request.port.path,
        holder: request.holder ?? 'FieldFlash',
      })
    } catch (error) {
      if (error instanceof FieldFlashError) return failureOf(error, 'preparing')
      throw error
    }
  }
  try {
    return await flashLeased(services, request, prepared, emit, signal, deps)
  } finally {
    await lease?.release()
  }
}

async function flashLeased(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: FlashFirmwareRequest,
  prepared: PreparedFirmware,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<FlashResult> {
  const { board, bundle } = prepared
  const result = await flashBoard(
    {
      port: request.port,
      board,
      baud: request.baud,
      erase: request.erase,
      before: request.before,
      lease: request.portLease,
      loadImage: async ({ chip, flashSizeBytes }) => {
        // Loaded for the board before the port opened: reused when the chip found is the board's
        // and its flash is the size the image was checked against (chip_mismatch otherwise).
        if (bundle && board) {
          const found = resolveFlashTarget(board, chip, flashSizeBytes)
          if (found.flashSize === bundle.flashSize) return bundle
        }
        return loadFirmwareBundle({
          path: prepared.firmwarePath,
          // Without a selected board, the catalog's first board of the detected chip gives the offsets.
          board: board ?? genericBoardFor(services.catalog, chip),
          detectedChip: chip,
          detectedFlashSize: flashSizeBytes,
          offset: request.offset,
        })
      },
    },
    emit,
    signal,
    deps,
  )
  if (result.ok && request.deviceUid) {
    return await recordFlashOrSay(services.store, request.deviceUid, result)
  }
  return result
}

async function resolveBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: Pick<FlashFirmwareRequest, 'firmwarePath' | 'boardId' | 'deviceUid'>,
): Promise<Board | null> {
  if (typeof request.firmwarePath !== 'string' || request.firmwarePath === '')
    throw invalidInput('firmware', 'is required')
  const device = request.deviceUid
    ? await services.store.read((tx) => requireDevice(tx, request.deviceUid!))
    : null
  if (request.boardId) {
    const board = services.catalog.get(request.boardId)
    if (device && device.boardId !== board.id) {
      throw invalidInput(
        'board',
        `must be the device's board (${device.boardId}) when a device is named`,
      )
    }
    return board
  }
  return device ? services.catalog.get(device.boardId) : null
}

function genericBoardFor(catalog: BoardCatalog, chip: string): Board {
  const board = catalog.list().find((b) => b.chipFamily === chip && b.variantOf === null)
  if (!board) {
    throw new FieldFlashError(
      'chip_mismatch',
      `FieldFlash has no board with an ${chip} in its catalog; choose the board explicitly.`,
    )
  }
  return board
}
