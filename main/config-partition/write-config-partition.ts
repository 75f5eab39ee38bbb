import { resolve } from 'node:path'
import type { BoardCatalog } from '../boards/catalog'
import { writeCredentialFile } from '../credentials/credential-files'
import { requireDevice } from '../store/require-device'
import type { TokenView } from '../credentials/token-types'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { deviceValues } from '../credentials/device-values'
import { buildConfigPartition, DEFAULT_CONFIG_PARTITION_SIZE } from './config-partition'

export interface ConfigPartitionFile {
  path: string
  uid: string
  size: number
  token: TokenView
  superseded: TokenView | null
}

/**
 * Writes a device's `ffcfg` partition image to `outPath` for other flashing tools: mints a fresh
 * token like a template download (superseding the previous one) and writes the image owner-only,
 * crash-safe like a template ZIP. Values that cannot fit are refused before anything is minted.
 */
export async function writeConfigPartition(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: { uid: string; outPath: string; size?: number; now?: Date },
): Promise<ConfigPartitionFile> {
  if (typeof request.outPath !== 'string' || request.outPath === '') {
    throw invalidInput('out', 'is required')
  }
  const size = request.size ?? DEFAULT_CONFIG_PARTITION_SIZE
  const path = resolve(request.outPath)
  const device = await store.read((tx) => requireDevice(tx, request.uid))
  const board = catalog.get(device.boardId)
  if (board.chipFamily === 'ESP8266') {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${request.uid} is on ${board.name}, an ESP8266: it has no NVS, so there is no config partition for it. Use its template and build it instead.`,
    )
  }
  const flashBytes = Number.parseInt(board.flash.size, 10) * 0x100000
  if (size > flashBytes) {
    throw invalidInput(
      'size',
      `must fit ${board.name}'s ${board.flash.size} flash (at most 0x${flashBytes.toString(16)} bytes)`,
    )
  }
  const minted = await writeCredentialFile(store, {
    uid: request.uid,
    finalPath: path,
    origin: 'config-partition',
    now: request.now ?? new Date(),
    render: ({ site, device, token }) =>
      buildConfigPartition(deviceValues(site, device, token), size),
  })
  return { path, uid: request.uid, size, token: minted.view, superseded: minted.superseded }
}
