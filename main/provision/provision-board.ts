import type { BoardCatalog } from '../boards/catalog'
import { buildConfigPartition } from '../config-partition/config-partition'
import {
  findFirmware,
  importFirmware,
  listFirmware,
  readFirmwareParts,
  type FirmwareEntry,
} from '../firmware-library/firmware-library'
import { flashBoard, type BeforeMode, type FlashDependencies } from '../flash/flash-board'
import type { FlashEvent, FlashResult } from '../flash/flash-events'
import { recordFlashOrSay } from '../flash/record-flash'
import { sameInputs } from '../provisioning/credential-files'
import { deviceValues } from '../provisioning/device-values'
import { removeOutdatedFiles } from '../provisioning/outdated-files'
import { generateTokenString } from '../provisioning/token-format'
import { mintToken } from '../provisioning/tokens'
import { requireDevice } from '../store/require-device'
import type { TokenView } from '../provisioning/token-types'
import { FieldFlashError } from '../shared/errors'
import { requireSiteProfile } from '../site/site-profile'
import type { FieldFlashStore } from '../store/store'

export interface ProvisionRequest {
  uid: string
  port: { path: string; vid?: string | null; pid?: string | null }
  /** A library firmware id (hex digits of its SHA-256) or a path to import first; default: the newest of the board. */
  firmware?: string
  baud?: number
  before?: BeforeMode
  now?: Date
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
  | (Extract<FlashResult, { ok: false }> & { uid: string; token: TokenView | null })

/**
 * Provisions a board with no compiler: the board's base firmware from the library plus a config
 * partition generated in memory with a fresh one-time token (it holds the token and the MQTT
 * password and never touches the disk). Mints the token like a template download (superseding
 * the previous one), writes only the parts the board does not already hold, verifies each by
 * MD5, resets the board and records the flash. Values that cannot fit are refused before the
 * port is opened. A flash that fails after minting records nothing more: the next attempt
 * supersedes that token, and no record claims a board carries it.
 */
export async function provisionBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: ProvisionRequest,
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps?: FlashDependencies,
): Promise<ProvisionResult> {
  const { store, catalog } = services
  const now = request.now ?? new Date()
  const device = store.read((tx) => requireDevice(tx, request.uid))
  const board = catalog.get(device.boardId)
  if (board.chipFamily === 'ESP8266') {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${request.uid} is on ${board.name}, an ESP8266: it has no NVS for a config partition. Provision it from its template ("fieldflash template ${request.uid}"), built and flashed.`,
    )
  }
  const firmware = await resolveFirmware(services, board.id, request.firmware)
  const parts = await readFirmwareParts(store, firmware)

  // Render with a fresh token and commit it only if the values rendered are still the registry's.
  let minted: ReturnType<typeof mintToken>['minted'] | null = null
  let config: Buffer | null = null
  for (let attempt = 0; attempt < 3 && !minted; attempt++) {
    const seen = store.read((tx) => ({
      site: requireSiteProfile(tx),
      device: requireDevice(tx, request.uid),
    }))
    const token = generateTokenString()
    config = buildConfigPartition(deviceValues(seen.site, seen.device, token), firmware.config.size)
    minted = store.write((tx) => {
      const current = requireDevice(tx, request.uid)
      const site = requireSiteProfile(tx)
      if (!sameInputs(seen, { site, device: current })) return null
      const change = mintToken(current, site.tokenLifetimeHours, 'provision', now, token)
      tx.saveDevice(current, change.next)
      tx.audit(change.audit)
      // Template ZIPs and config partition files of the old token are outdated now: remove them.
      removeOutdatedFiles(tx, request.uid, change.minted.view.fingerprint)
      return change.minted
    })
  }
  if (!minted || !config) {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${request.uid} or the site profile kept changing while its config was prepared; nothing was written. Try again.`,
    )
  }
  const configPart = { name: firmware.config.label, offset: firmware.config.offset, data: config }
  emit({
    type: 'log',
    level: 'info',
    message: `Token ${minted.view.fingerprint} minted for ${request.uid}; expected verification code ${minted.view.expectedCode}.`,
  })
  const result = await flashBoard(
    {
      port: request.port,
      board,
      baud: request.baud,
      before: request.before,
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
          parts: [...parts, configPart].sort((a, b) => a.offset - b.offset),
        }
      },
    },
    emit,
    signal,
    deps,
  )
  if (!result.ok) return { ...result, uid: request.uid, token: minted.view }
  const recorded = recordFlashOrSay(store, request.uid, result)
  if (!recorded.ok) return { ...recorded, uid: request.uid, token: minted.view }
  return {
    ...result,
    uid: request.uid,
    firmwareId: firmware.id,
    token: minted.view,
    superseded: minted.superseded,
    skippedParts: result.parts.filter((p) => p.skipped).map((p) => p.name),
  }
}

/** The base firmware to flash: a library id, a path imported first, or the board's newest. */
async function resolveFirmware(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  boardId: string,
  firmware: string | undefined,
): Promise<FirmwareEntry> {
  if (firmware === undefined) {
    const newest = listFirmware(services.store, { boardId })[0]
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
    const matches = findFirmware(services.store, firmware, boardId)
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
