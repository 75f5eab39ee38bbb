// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenView } from '../credentials/token-types'

/**
 * Where a device is on its way into service: created; flashed; verified (its board showed the
 * current token's code, awaiting approval); approved; or its current token revoked.
 */
export type DeviceStatus = 'new' | 'flashed' | 'verified' | 'approved' | 'revoked'

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
}

/** A page of the device list, oldest first; `next` continues it, null at the end. */
export interface DeviceListPage {
  devices: DeviceSummary[]
  next: number | null
  total: number
}
