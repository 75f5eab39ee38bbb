import type { BoardCatalog } from '../boards/catalog'
import { buildConfigPartition } from '../config-partition/config-partition'
import {
  findFirmware,
  importFirmware,
  listFirmware,
  readFirmwareParts,
  type FirmwareEntry,
} from '../firmware-library/firmware-library'
import {
  failureOf,
  flashBoard,
  type BeforeMode,
  type FlashDependencies,
} from '../flash/flash-board'
import type { FlashEvent, FlashFailure, FlashResult, FlashStage } from '../flash/flash-events'
import { recordFlashOrSay } from '../flash/record-flash'
import { deviceValues } from '../credentials/device-values'
import {
  commitRenderedToken,
  readRenderInputs,
  type RenderInputs,
} from '../credentials/fresh-token'
import { generateTokenString } from '../credentials/token-format'
import { viewToken } from '../credentials/tokens'
import type { MintedToken, TokenView } from '../credentials/token-types'
import { requireDevice } from '../store/require-device'
import { leaseDevice, type DeviceLease } from '../leases/device-lease'
import type { PortLease } from '../leases/port-lease'
import { FieldFlashError } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'

export interface ProvisionRequest {
  uid: string
  port: { path: string; vid?: string | null; pid?: string | null }
  /** A library firmware id (hex digits of its SHA-256) or a path to import first; default: the newest of the board. */
  firmware?: string
  baud?: number
  before?: BeforeMode
  now?: Date
  /** Who runs the job, in words, for another job refused the device meanwhile. */
  holder?: string
  /** The device's lease and the port's, when the caller's job already holds them (a board session). */
  deviceLease?: DeviceLease | null
  portLease?: PortLease | null
}

export type ProvisionResult =
  | (Extract<FlashResult, { ok: true }> & {
      uid: string
      firmwareId: string
      token: TokenView
      superseded: TokenView | null
      /** Parts the board already held, so they were not written. */
      skippedParts: string[]
    })
  | (Extract<FlashResult, { ok: false }> & {
      uid: string
      /** The device's current token after the failure (null when it has none). */
      token: TokenView | null
      /**
       * True when the failure came after the new token was committed, as its config partition
       * started to be written: the board's old token is gone, and the message says what to do.
       */
      tokenChanged: boolean
    })

/**
 * Provisions a board with no compiler: the board's base firmware from the library plus a config
 * partition generated in memory with a fresh one-time token (it holds the token and the MQTT
 * password and never touches the disk). Writes only the parts the board does not already hold,
 * the config partition last, verifies each by MD5, resets the board and records the flash.
 *
 * The new token is committed (superseding the previous one) only just before the config partition
 * is written: a job that fails earlier — no port, a busy port, another chip, a link lost while the
 * app is written — leaves the device's current token current, and the result says so; one that
 * fails after that point says the board's token has changed. Failures are a result, never a throw.
 */
export async function provisionBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: ProvisionRequest,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<ProvisionResult> {
  if (request.deviceLease) return provisionLeased(services, request, emit, signal, deps)
  // One board per device: refused before the port is opened when another job has the device.
  let lease: DeviceLease
  try {
    lease = await leaseDevice(services.store, {
      uid: request.uid,
      port: request.port.path,
      holder: request.holder ?? 'FieldFlash',
    })
  } catch (error) {
    if (!(error instanceof FieldFlashError)) throw error
    const token = (await services.store.device(request.uid))?.tokens.at(-1) ?? null
    const view = token && viewToken(token, request.now ?? new Date())
    return {
      ...failureOf(error, 'preparing'),
      message: `${error.message} ${tokenOutcome(request.uid, null, view, 'preparing')}`,
      uid: request.uid,
      token: view,
      tokenChanged: false,
    }
  }
  try {
    return await provisionLeased(services, request, emit, signal, deps)
  } finally {
    await lease.release()
  }
}

/** provisionBoard, for a job that holds the device's lease. */
async function provisionLeased(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: ProvisionRequest,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<ProvisionResult> {
  const { store } = services
  const { uid } = request
  const now = request.now ?? new Date()
  let committed: MintedToken | null = null
  const fail = async (failure: FlashFailure): Promise<ProvisionResult> => {
    const token = (await store.device(uid))?.tokens.at(-1) ?? null
    return {
      ...failure,
      message: `${failure.message} ${tokenOutcome(uid, committed, token && viewToken(token, now), failure.stage)}`,
      uid,
      token: token && viewToken(token, now),
      tokenChanged: committed !== null,
    }
  }

  let prepared: Awaited<ReturnType<typeof prepareProvision>>
  try {
    prepared = await prepareProvision(services, request)
  } catch (error) {
    if (!(error instanceof FieldFlashError)) throw error
    return fail(failureOf(error, 'preparing'))
  }
  const { board, firmware, parts, rendered, token, configPart } = prepared

  const result = await flashBoard(
    {
      port: request.port,
      board,
      baud: request.baud,
      before: request.before,
      lease: request.portLease,
      skipUnchanged: true,
      loadImage: async ({ chip }) => {
        if (chip !== firmware.chip) {
          throw new FieldFlashError(
            'chip_mismatch',
            `The board has an ${chip}, but the base firmware ${firmware.id} is for an ${firmware.chip}.`,
          )
        }
        return {
          name: `${firmware.name} + ${firmware.config.label}`,
          sha256: firmware.sha256,
          // The config partition goes last, so the token changes only once the rest is in place.
          parts: [...[...parts].sort((a, b) => a.offset - b.offset), configPart],
        }
      },
      beforeWriting: async (part) => {
        if (part !== configPart) return
        committed = await commitProvisionToken(store, rendered, token, now)
        emit({
          type: 'log',
          level: 'info',
          message: `Token ${committed.view.fingerprint} is now ${uid}'s${committed.superseded ? ` (${committed.superseded.fingerprint} is superseded)` : ''}; expected verification code ${committed.view.expectedCode}.`,
        })
      },
    },
    emit,
    signal,
    deps,
  )
  if (!result.ok) return fail(result)
  const minted = committed as MintedToken | null
  if (!minted) throw new Error('provisioning finished without writing its config partition')
  const recorded = await recordFlashOrSay(store, uid, result)
  if (!recorded.ok) return { ...recorded, uid, token: minted.view, tokenChanged: true }
  return {
    ...result,
    uid,
    firmwareId: firmware.id,
    token: minted.view,
    superseded: minted.superseded,
    skippedParts: result.parts.filter((p) => p.skipped).map((p) => p.name),
  }
}

/**
 * Everything that can be refused before the port is opened: the device and its board, the base
 * firmware and its parts, and the config partition rendered with a fresh (not yet committed)
 * token — values that do not fit are refused here.
 */
async function prepareProvision(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: ProvisionRequest,
) {
  const { store, catalog } = services
  const device = await store.read((tx) => requireDevice(tx, request.uid))
  const board = catalog.get(device.boardId)
  if (board.chipFamily === 'ESP8266') {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${request.uid} is on ${board.name}, an ESP8266: it has no NVS for a config partition. Provision it from its template (download the template, build and flash it).`,
    )
  }
  const firmware = await resolveFirmware(services, board.id, request.firmware)
  const parts = await readFirmwareParts(store, firmware)
  const rendered = await store.read((tx) => readRenderInputs(tx, request.uid))
  const token = generateTokenString()
  const config = buildConfigPartition(
    deviceValues(rendered.site, rendered.device, token),
    firmware.config.size,
  )
  const configPart = { name: firmware.config.label, offset: firmware.config.offset, data: config }
  return { board, firmware, parts, rendered, token, configPart }
}

/** Commits the token the config partition carries, just before that partition is written. */
async function commitProvisionToken(
  store: FieldFlashStore,
  rendered: RenderInputs,
  token: string,
  now: Date,
): Promise<MintedToken> {
  const outcome = await store.write((tx) =>
    commitRenderedToken(tx, rendered, token, 'provision', now),
  )
  if ('changed' in outcome) {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${rendered.device.uid} or the site profile changed while the board was being provisioned, so its config partition was not written.`,
    )
  }
  return outcome.minted
}

/** What became of the device's token, for the end of a failure's message. */
function tokenOutcome(
  uid: string,
  committed: MintedToken | null,
  current: TokenView | null,
  stage: FlashStage,
): string {
  if (committed === null) {
    return current
      ? `Nothing was written to the board's config partition, so ${uid}'s token ${current.fingerprint} (${current.state}) is unchanged.`
      : `Nothing was written to the board's config partition; ${uid} still has no token.`
  }
  const previous = committed.superseded
    ? ` (the previous one, ${committed.superseded.fingerprint}, is superseded)`
    : ''
  return stage === 'resetting'
    ? `The board carries ${uid}'s new token ${committed.view.fingerprint}${previous}: reset it and verify it.`
    : `${uid}'s token changed to ${committed.view.fingerprint}${previous} as its config partition started to be written, so the board may hold an incomplete config and will not verify: provision it again.`
}

/** The base firmware to flash: a library id, a path imported first, or the board's newest. */
async function resolveFirmware(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  boardId: string,
  firmware: string | undefined,
): Promise<FirmwareEntry> {
  if (firmware === undefined) {
    const [newest] = await listFirmware(services.store, { boardId })
    if (!newest) {
      throw new FieldFlashError(
        'not_found',
        `firmware: the library has no base firmware for ${boardId}. Import one first: fieldflash firmware import <build> --board ${boardId}`,
        'firmware',
      )
    }
    return newest
  }
  if (/^[0-9a-f]{8,64}$/.test(firmware)) {
    const matches = await findFirmware(services.store, firmware, boardId)
    if (matches.length === 1) return matches[0]!
    if (matches.length > 1) {
      throw new FieldFlashError(
        'invalid_input',
        `firmware: ${firmware} matches several library firmware; give more digits`,
        'firmware',
      )
    }
  }
  return (await importFirmware(services.store, services.catalog, { path: firmware, boardId })).entry
}
