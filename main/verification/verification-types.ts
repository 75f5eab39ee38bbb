// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenView } from '../credentials/token-types'
import type { RegistrationView } from '../registration/registration-types'

/** What a bootstrap banner proves about the board that printed it. */
export type BannerClassification =
  | 'verified'
  | 'stale'
  | 'revoked'
  | 'expired'
  | 'consumed'
  | 'code_mismatch'
  | 'another_board'
  | 'unknown_device'
  | 'unknown_fingerprint'
  /** The technician expected another device: the board carries a different device's template. */
  | 'wrong_device'

export interface BannerVerdict {
  classification: BannerClassification
  /** True only for `verified`: the one case that may be approved. */
  verified: boolean
  uid: string
  fingerprint: string
  /** The code the board printed. */
  seenCode: string
  /** The code to show beside it: the matched token's, else the device's current token's. */
  expectedCode: string | null
  mac: string
  /** For `another_board`: the MAC of the board this device was recorded on. */
  recordedMac: string | null
  /** The device's token the banner's fingerprint names, if any. */
  token: TokenView | null
  currentToken: TokenView | null
  /** A few words for a big status line. */
  headline: string
  message: string
  nextStep: string
}

/** An `FFERR` line: the firmware refuses its own configuration and says why. */
export interface BootstrapError {
  uid: string | null
  reason: string
  /** What it means and what to do, for the technician. */
  message: string
}

/** How registering a board over the cable ended. */
export type RegistrationOutcome =
  | { ok: true; op: 'register' | 'refresh'; registration: RegistrationView }
  | {
      ok: false
      /**
       * The board's FFNAK reason, or `timeout`, `lost`, `cancelled`, `no_nonce`, or `unsupported`
       * (the catalog says the board cannot be registered offline: not a failure of the attempt).
       */
      reason: string
      message: string
      /** The registration token that was issued and failed, if one was. */
      fingerprint: string | null
    }
