import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError } from '../shared/errors'
import { currentToken, requireDevice, viewToken, withDevice } from '../provisioning/tokens'
import type { FieldFlashStore } from '../store/store'
import type { DeviceRecord } from '../store/store-document'
import { assertDeviceUid, generateDeviceUid } from './device-uid'
import { generateMqttPassword, mqttUsernameFor } from './mqtt-credentials'
import type { DeviceView } from './device-types'

export type { DeviceView }

/** The user-visible view of a device at `now`. */
export function viewDevice(device: DeviceRecord, now: Date = new Date()): DeviceView {
  const current = currentToken(device)
  return {
    uid: device.uid,
    boardId: device.boardId,
    createdAt: device.createdAt,
    mqttUsername: device.mqtt.username,
    mqttPasswordSetAt: device.mqtt.passwordSetAt,
    currentToken: current ? viewToken(current, now) : null,
    tokens: device.tokens.map((t) => viewToken(t, now)),
  }
}

export interface AddDeviceInput {
  /** Omit to generate one. */
  uid?: string
  boardId: string
}

/** Creates a device with a validated, unique UID and fresh per-device MQTT credentials. */
export function addDevice(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  input: AddDeviceInput,
  now: Date = new Date(),
): DeviceView {
  const board = catalog.get(input.boardId, 'board')
  return store.update((doc) => {
    let uid: string
    if (input.uid !== undefined) {
      uid = assertDeviceUid(input.uid, 'uid')
      if (Object.hasOwn(doc.devices, uid)) {
        throw new FieldFlashError(
          'already_exists',
          `uid: a device with UID ${uid} already exists; UIDs are unique`,
          'uid',
        )
      }
    } else {
      do uid = generateDeviceUid()
      while (Object.hasOwn(doc.devices, uid))
    }
    const at = now.toISOString()
    const device: DeviceRecord = {
      uid,
      boardId: board.id,
      createdAt: at,
      mqtt: { username: mqttUsernameFor(uid), password: generateMqttPassword(), passwordSetAt: at },
      tokens: [],
      flashes: [],
      operations: [],
      approvedAt: null,
    }
    return {
      next: withDevice(doc, device),
      result: viewDevice(device, now),
      audit: [{ type: 'device.created', uid, boardId: board.id, at }],
    }
  })
}

/** Every device, oldest first. */
export function listDevices(store: FieldFlashStore, now: Date = new Date()): DeviceView[] {
  return Object.values(store.read().devices).map((d) => viewDevice(d, now))
}

/** One device, or `not_found`. */
export function getDevice(store: FieldFlashStore, uid: string, now: Date = new Date()): DeviceView {
  return viewDevice(requireDevice(store.read(), uid), now)
}

/**
 * Replaces the device's MQTT password. The new one is not returned: it reaches the board only
 * inside a newly downloaded template, so the caller must tell the user to download it again.
 */
export function rotateMqttPassword(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): DeviceView {
  return store.update((doc) => {
    const device = requireDevice(doc, uid)
    const next: DeviceRecord = {
      ...device,
      mqtt: { ...device.mqtt, password: generateMqttPassword(), passwordSetAt: now.toISOString() },
    }
    return {
      next: withDevice(doc, next),
      result: viewDevice(next, now),
      audit: [{ type: 'mqtt.password_rotated', uid, at: next.mqtt.passwordSetAt }],
    }
  })
}
