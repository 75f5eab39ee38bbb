// No Node imports here: the renderer sees these types through the IPC contract.
import type { RegistrationState } from '../store/records'

/**
 * Where a device's registration stands: none yet, registered, expiring soon (within 30 days),
 * expired, or revoked in the registry.
 */
export type RegistrationStatus = 'none' | 'registered' | 'expiring' | 'expired' | 'revoked'

/** A registration token as the user may see it: never the token, never its holder key. */
export interface RegistrationView {
  fingerprint: string
  /** An active token past its expiry reads as expired. */
  state: RegistrationState | 'expired'
  origin: 'register' | 'refresh'
  /** The provisioning token the board was registered under. */
  provisioningFingerprint: string
  issuedAt: string
  expiresAt: string
  ackedAt: string | null
  endedAt: string | null
  mac: string | null
  reason: string | null
}
