// No Node imports here: the renderer sees these types through the IPC contract.
import type { RegistrationView } from '../registration/registration-types'
import type { ErrorCode } from '../shared/errors'
import type { ProvisioningOperation } from '../store/records'
import type { BannerVerdict, BootstrapError } from '../verification/verification-types'

/** A banner seen on the console, judged against the store, and the operation it recorded. */
export interface Verification {
  verdict: BannerVerdict
  /** The pending operation to approve or reject; null when there is nowhere to record it. */
  operationId: string | null
  /** The state of that operation now. */
  operationState: ProvisioningOperation['state'] | null
}

/** A registered board's FFREGD status line seen on the console, as the registry judges it. */
export interface RegisteredBoardView {
  uid: string
  /** The registration token the board holds (its fingerprint) and its expiry, as the board says. */
  fingerprint: string
  expiresAt: string
  /** The board proved holding a registration token this registry has active. */
  holds: boolean
  /** That token's state in the registry; null when the registry never issued it. */
  registrationState: RegistrationView['state'] | null
  message: string
}

export interface MonitorLineView {
  seq: number
  at: number
  text: string
}

export interface OpenMonitorRequest {
  /** Chosen by the renderer (a UUID) so it can listen before the port opens. */
  sessionId: string
  portPath: string
  baud?: number
  /** The device whose banner is expected; without it the console only shows lines. */
  uid?: string
}

/** Streamed on the monitor subscription. */
export type MonitorEvent =
  | { sessionId: string; type: 'lines'; lines: MonitorLineView[]; skipped: number }
  | { sessionId: string; type: 'state'; state: 'open' | 'reconnecting' | 'closed'; path: string }
  | { sessionId: string; type: 'verification'; verification: Verification }
  | { sessionId: string; type: 'malformed'; reason: string }
  | { sessionId: string; type: 'bootstrap_error'; error: BootstrapError }
  | { sessionId: string; type: 'error'; code: ErrorCode | 'internal'; message: string }
  /** Something the technician should know that is not a failure (recording paused, say). */
  | { sessionId: string; type: 'notice'; message: string }
  /** A registered board's status line (it prints one instead of the banner). */
  | { sessionId: string; type: 'registered'; board: RegisteredBoardView }
