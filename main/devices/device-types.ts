// No Node imports here: the renderer sees these types through the IPC contract.
import type { AuditEntry } from '../audit/audit-events'
import type { TokenView } from '../credentials/token-types'
import type { FlashRecord, ProvisioningOperation } from '../store/records'
import type { RegistrationStatus, RegistrationView } from '../registration/registration-types'

/**
 * Where a device is on its way into service: created; flashed; verified (its board showed the
 * current token's code, awaiting approval); approved; registered (its board holds a registration
 * token); or its current token revoked.
 */
export type DeviceStatus = 'new' | 'flashed' | 'verified' | 'approved' | 'registered' | 'revoked'

/** A device's registration: its state and the registration token it is about, if any. */
export interface DeviceRegistration {
  status: RegistrationStatus
  /** The newest registration token that became active (it may be revoked or expired since). */
  current: RegistrationView | null
}

/** A device as the user sees it: no MQTT password, no token. */
export interface DeviceView {
  uid: string
  boardId: string
  createdAt: string
  status: DeviceStatus
  approvedAt: string | null
  mqttUsername: string
  mqttPasswordSetAt: string
  currentToken: TokenView | null
  tokens: TokenView[]
  registration: DeviceRegistration
  /** Every registration token issued to the board, oldest first. */
  registrations: RegistrationView[]
}

/** One row of the device list: the device with its current token and flash count. */
export interface DeviceSummary {
  uid: string
  boardId: string
  createdAt: string
  status: DeviceStatus
  approvedAt: string | null
  mqttUsername: string
  currentToken: TokenView | null
  flashCount: number
  lastFlashAt: string | null
  registration: DeviceRegistration
}

/** A page of the device list, oldest first; `next` continues it, null at the end. */
export interface DeviceListPage {
  devices: DeviceSummary[]
  next: number | null
  total: number
}

/** Everything a device's page shows. */
export interface DeviceDetails {
  device: DeviceView
  approvedAt: string | null
  /** Newest first. */
  flashes: FlashRecord[]
  /** Newest first. */
  operations: ProvisioningOperation[]
  /** This device's audit entries, newest first. */
  audit: AuditEntry[]
}
