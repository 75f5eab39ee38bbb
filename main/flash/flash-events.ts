/** How the board is put into its ROM loader: the auto-reset circuit, native USB's dance, or by hand. */
export type BeforeMode = 'default_reset' | 'usb_reset' | 'no_reset'

import type { ErrorCode } from '../shared/errors'

/** Where a flash job is; the UI shows one stage at a time. */
export type FlashStage =
  | 'preparing'
  | 'connecting'
  | 'detecting'
  | 'loading-stub'
  | 'changing-baud'
  | 'erasing'
  | 'writing'
  | 'verifying'
  | 'resetting'
  /** Reading the board's flash back (fieldflash identify). */
  | 'reading'

/** What a flash job reports while it runs (ESP Web Tools' state model, with FieldFlash's codes). */
export type FlashEvent =
  | { type: 'stage'; stage: FlashStage; message: string }
  | {
      type: 'progress'
      part: string
      partIndex: number
      partCount: number
      /** Uncompressed bytes of this part written so far, and its size. */
      bytesWritten: number
      bytesTotal: number
      /** Across all parts. */
      overallWritten: number
      overallTotal: number
      percent: number
      bytesPerSecond: number
      secondsLeft: number | null
    }
  | { type: 'log'; level: 'info' | 'warning'; message: string }

export interface FlashedPart {
  name: string
  offset: number
  size: number
  md5: string
  /** True when the board already held exactly this part, so it was not written. */
  skipped: boolean
}

export interface FlashSuccess {
  ok: true
  port: string
  chip: string
  mac: string
  flashSize: string
  baud: number
  /** True when the stub flasher ran (the normal, fast path). */
  stub: boolean
  firmwareName: string
  firmwareSha256: string
  parts: FlashedPart[]
  durationMs: number
}

export interface FlashFailure {
  ok: false
  code: ErrorCode | 'internal'
  message: string
  /** The stage the job was in when it failed. */
  stage: FlashStage
  /** True when the input (the firmware, a value) is at fault rather than the board or the port. */
  badInput?: boolean
  /** The input field at fault, when one is. */
  field?: string
}

export type FlashResult = FlashSuccess | FlashFailure

/** A one-line progress text for a terminal or a status bar (one copy, shared with the app). */
export { describeProgress } from '../../common/progress-text'

/** A chip's security state, as its ROM reports it (GET_SECURITY_INFO). */
export interface BoardSecurity {
  secureBoot: boolean
  /** On when FLASH_CRYPT_CNT has an odd number of bits set. */
  flashEncryption: boolean
  flashCryptCnt: number
  /** Secure download mode: the ROM takes only a few commands (no stub, no reads). */
  secureDownloadMode: boolean
}
