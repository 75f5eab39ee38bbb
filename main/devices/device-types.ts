// No Node imports here: the renderer sees these types through the IPC contract.
import type { TokenView } from '../provisioning/token-types'

/** A device as the user sees it: no MQTT password, no token. */
export interface DeviceView {
  uid: string
  boardId: string
  createdAt: string
  mqttUsername: string
  mqttPasswordSetAt: string
  currentToken: TokenView | null
  tokens: TokenView[]
}
