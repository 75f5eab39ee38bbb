// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenView } from '../credentials/token-types'
import type { BoardSecurity } from '../flash/flash-events'

export type TokenFinding =
  /** The device's current token: the board verifies (or is approved and consumed it). */
  | 'current'
  | 'consumed'
  | 'superseded'
  | 'revoked'
  | 'expired'
  /** No token of this registry: another installation or data folder made it. */
  | 'unknown'

export interface ConfigFinding {
  /** The partition read: `ffcfg`, or the firmware's `nvs` when it keeps its config there. */
  partition: string
  offset: number
  size: number
  /** erased: never written; fieldflash: holds FieldFlash's namespace; other: holds something else. */
  state: 'erased' | 'fieldflash' | 'other'
  /** The keys it holds (never their values). */
  keys: string[]
  uid: string | null
  fingerprint: string | null
}

export interface BoardIdentity {
  ok: true
  port: string
  chip: string
  /** esptool-js's description, with the revision ("ESP32-D0WD-V3 (revision v3.1)"). */
  description: string
  mac: string
  flashSize: string | null
  /** null when the chip's ROM cannot report it (ESP32, ESP8266). */
  security: BoardSecurity | null
  /** The partition table in flash, or null when there is none (a blank board, an ESP8266). */
  partitions:
    | {
        label: string
        type: string | number
        subtype: string | number
        offset: number
        size: number
      }[]
    | null
  config: ConfigFinding | null
  /** The device the config names, as the registry knows it. */
  device: {
    uid: string
    known: boolean
    boardId: string | null
    token: TokenFinding | null
    /** The registry's record of that token (fingerprint, state, times). */
    tokenView: TokenView | null
  } | null
  /** The library firmware whose every part the board holds, or null. */
  firmware: {
    id: string
    sha256: string
    name: string
    version: string | null
    boardId: string
  } | null
  /** Bytes read back, and how long the whole identification took. */
  bytesRead: number
  durationMs: number
}
