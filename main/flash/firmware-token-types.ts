// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenState } from '../store/records'

/** What the firmware's token says about the device it is flashed for. */
export type FirmwareTokenStatus =
  /** The firmware carries the device's issued token: it will verify. */
  | 'current'
  /** It carries an older token of this device (superseded, revoked, expired or consumed). */
  | 'stale'
  /** It carries a token FieldFlash minted for another device. */
  | 'foreign'
  /** It carries a token FieldFlash never minted (another installation, or a typo). */
  | 'unknown'
  /** No provisioning token was found in the image (the board's banner will tell). */
  | 'none'

export interface FirmwareTokenCheck {
  status: FirmwareTokenStatus
  /** Fingerprint of the token found, when one was found. */
  fingerprint: string | null
  /** The state of that token, when it is one of the device's. */
  tokenState: TokenState | null
  /** The device it belongs to, for `foreign`. */
  otherUid: string | null
  /** One sentence for the technician, with the next step. */
  message: string
  /**
   * The one rule, decided in main: the firmware carries a token that is not the device's current
   * one, so it is refused unless the technician accepts it (and it will not verify).
   */
  mismatch: boolean
}

/** What the technician chose to flash, checked against the board before anything is written. */
export interface FirmwareCheck {
  path: string
  name: string
  kind: string
  totalBytes: number
  parts: { name: string; offsetHex: string; size: number; generated: boolean }[]
  token: FirmwareTokenCheck
}
