import type { BoardCatalog } from '../boards/catalog'
import type { Board } from '../boards/board-schema'
import { requireDevice } from '../store/require-device'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { failureOf, flashBoard, type BeforeMode, type FlashDependencies } from './flash-board'
import type { FlashEvent, FlashResult } from './flash-events'
import { loadFirmwareBundle } from './firmware/load-firmware-bundle'
import { checkFirmwareTokenFor } from './firmware-token'
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
  let board: Board | null
  try {
    board = resolveBoard(services, request)
    if (request.deviceUid) {
      const { warning } = await checkFirmwareTokenFor(services, {
        uid: request.deviceUid,
        firmwarePath: request.firmwarePath,
        acceptTokenMismatch: request.acceptTokenMismatch,
        now: new Date(),
      })
      if (warning) emit({ type: 'log', level: 'warning', message: warning })
    } else if (board) {
      // Fail on a broken or mismatched image before anything touches the board.
      await loadFirmwareBundle({ path: request.firmwarePath, board, offset: request.offset })
    }
  } catch (error) {
    if (error instanceof FieldFlashError) return failureOf(error, 'preparing')
    throw error
  }
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
    return await flashLeased(services, request, board, emit, signal, deps)
  } finally {
    await lease?.release()
  }
}

async function flashLeased(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: FlashFirmwareRequest,
  board: Board | null,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<FlashResult> {
  const result = await flashBoard(
    {
      port: request.port,
      board,
      baud: request.baud,
      erase: request.erase,
      before: request.before,
      lease: request.portLease,
      loadImage: async ({ chip, flashSizeBytes }) =>
        loadFirmwareBundle({
          path: request.firmwarePath,
          // Without a selected board, the catalog's first board of the detected chip gives the offsets.
          board: board ?? genericBoardFor(services.catalog, chip),
          detectedChip: chip,
          detectedFlashSize: flashSizeBytes,
          offset: request.offset,
        }),
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

function resolveBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: FlashFirmwareRequest,
): Board | null {
  if (typeof request.firmwarePath !== 'string' || request.firmwarePath === '')
    throw invalidInput('firmware', 'is required')
  const device = request.deviceUid
    ? services.store.read((tx) => requireDevice(tx, request.deviceUid!))
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
