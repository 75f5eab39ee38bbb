import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError } from '../shared/errors'
import { currentToken, effectiveState, viewToken } from '../credentials/tokens'
import { requireDevice } from '../store/require-device'
import type { DeviceListItem, FieldFlashStore, StoreWriter } from '../store/store'
import type { DeviceRecord, TokenRecord } from '../store/records'
import { assertDeviceUid, generateDeviceUid } from '../shared/device-uid'
import { generateMqttPassword, mqttUsernameFor } from './mqtt-credentials'
import {
  latestRegistration,
  registrationStatus,
  viewRegistration,
  type RegistrationStatus,
} from '../registration/registrations'
import { readAuditLog } from '../audit/audit-log'
import type {
  DeviceDetails,
  DeviceListPage,
  DeviceStatus,
  DeviceSummary,
  DeviceView,
} from './device-types'

export type { DeviceListPage, DeviceStatus, DeviceSummary, DeviceView }

/** The one rule for a device's status, used by the list and the detail view alike. */
export function deviceStatus(
  facts: {
    approvedAt: string | null
    current: TokenRecord | null
    flashCount: number
    /** Classification of the newest pending operation of the current token. */
    pendingClassification: string | null
    registration: RegistrationStatus
  },
  now: Date,
): DeviceStatus {
  if (facts.registration === 'registered' || facts.registration === 'expiring') return 'registered'
  if (facts.approvedAt !== null) return 'approved'
  if (facts.current && effectiveState(facts.current, now) === 'revoked') return 'revoked'
  if (facts.pendingClassification === 'verified') return 'verified'
  return facts.flashCount > 0 ? 'flashed' : 'new'
}

/** The user-visible view of a device at `now`. */
/** A device and its history, newest first, as its page shows it. */
export async function deviceDetails(
  store: FieldFlashStore,
  uid: string,
  now: Date,
): Promise<DeviceDetails> {
  const record = await store.read((tx) => requireDevice(tx, uid))
  return {
    device: viewDevice(record, now),
    approvedAt: record.approvedAt,
    flashes: [...record.flashes].reverse(),
    operations: [...record.operations].reverse(),
    audit: (await readAuditLog(store, { uid })).reverse(),
  }
}

export function viewDevice(device: DeviceRecord, now: Date = new Date()): DeviceView {
  const current = currentToken(device)
  const latest = latestRegistration(device)
  const registration = {
    status: registrationStatus(latest, now),
    current: latest ? viewRegistration(latest, now) : null,
  }
  const pending = current
    ? device.operations.findLast(
        (op) => op.state === 'pending' && op.fingerprint === current.fingerprint,
      )
    : undefined
  return {
    uid: device.uid,
    boardId: device.boardId,
    createdAt: device.createdAt,
    status: deviceStatus(
      {
        approvedAt: device.approvedAt,
        current,
        flashCount: device.flashes.length,
        pendingClassification: pending?.classification ?? null,
        registration: registration.status,
      },
      now,
    ),
    approvedAt: device.approvedAt,
    mqttUsername: device.mqtt.username,
    mqttPasswordSetAt: device.mqtt.passwordSetAt,
    currentToken: current ? viewToken(current, now) : null,
    tokens: device.tokens.map((t) => viewToken(t, now)),
    registration,
    registrations: device.registrations.map((r) => viewRegistration(r, now)),
  }
}

function summarize(item: DeviceListItem, now: Date): DeviceSummary {
  const registration = {
    status: registrationStatus(item.registration, now),
    current: item.registration ? viewRegistration(item.registration, now) : null,
  }
  return {
    uid: item.uid,
    boardId: item.boardId,
    createdAt: item.createdAt,
    status: deviceStatus(
      {
        approvedAt: item.approvedAt,
        current: item.currentToken,
        flashCount: item.flashCount,
        pendingClassification: item.pendingClassification,
        registration: registration.status,
      },
      now,
    ),
    approvedAt: item.approvedAt,
    mqttUsername: item.mqttUsername,
    currentToken: item.currentToken ? viewToken(item.currentToken, now) : null,
    flashCount: item.flashCount,
    lastFlashAt: item.lastFlashAt,
    registration,
  }
}

export interface AddDeviceInput {
  /** Omit to generate one. */
  uid?: string
  boardId: string
}

/** Creates a device with a validated, unique UID and fresh per-device MQTT credentials. */
export async function addDevice(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  input: AddDeviceInput,
  now: Date = new Date(),
): Promise<DeviceView> {
  return store.write(creatingDevice(catalog, input, now))
}

/** The transaction that creates a device (input checked before any lock is asked for). */
function creatingDevice(
  catalog: BoardCatalog,
  input: AddDeviceInput,
  now: Date,
): (tx: StoreWriter) => Promise<DeviceView> {
  const board = catalog.get(input.boardId, 'board')
  const wanted = input.uid === undefined ? undefined : assertDeviceUid(input.uid, 'uid')
  return async (tx) => {
    let uid: string
    if (wanted !== undefined) {
      uid = wanted
      if (await tx.hasDevice(uid)) throw duplicateUid(uid)
    } else {
      do uid = generateDeviceUid()
      while (await tx.hasDevice(uid))
    }
    const device = newDeviceRecord(uid, board.id, now)
    await tx.insertDevice(device)
    await tx.audit([{ type: 'device.created', uid, boardId: board.id, at: device.createdAt }])
    return viewDevice(device, now)
  }
}

/** A device as it is created: fresh MQTT credentials, no token yet. */
export function newDeviceRecord(uid: string, boardId: string, now: Date): DeviceRecord {
  const at = now.toISOString()
  return {
    uid,
    boardId,
    createdAt: at,
    mqtt: { username: mqttUsernameFor(uid), password: generateMqttPassword(), passwordSetAt: at },
    tokens: [],
    flashes: [],
    operations: [],
    approvedAt: null,
    registrations: [],
  }
}

/** Checks a UID a new device would take: the Device ID rule, and no device has it yet. */
export async function checkNewDeviceUid(store: FieldFlashStore, uid: unknown): Promise<void> {
  const valid = assertDeviceUid(uid, 'uid')
  if (await store.read((tx) => tx.hasDevice(valid))) throw duplicateUid(valid)
}

export function duplicateUid(uid: string): FieldFlashError {
  return new FieldFlashError(
    'already_exists',
    `uid: a device with UID ${uid} already exists; UIDs are unique`,
    'uid',
  )
}

/** The largest page the list hands out at once. */
export const MAX_PAGE = 1000

export interface DeviceListRequest {
  /** The previous page's `next`. */
  after?: number
  limit?: number
  /** Part of the UID, case-insensitive. */
  search?: string
  boardId?: string
  newestFirst?: boolean
}

/** A page of devices, oldest first unless asked otherwise, never the whole registry at once. */
export async function listDevices(
  store: FieldFlashStore,
  page: DeviceListRequest = {},
  now: Date = new Date(),
): Promise<DeviceListPage> {
  const limit = Math.min(Math.max(1, Math.trunc(page.limit ?? 100)), MAX_PAGE)
  return store.read(async (tx) => {
    const items = await tx.listDevices({ ...page, limit: limit + 1 })
    const more = items.length > limit
    const shown = more ? items.slice(0, limit) : items
    return {
      devices: shown.map((item) => summarize(item, now)),
      next: more ? shown.at(-1)!.seq : null,
      total: await tx.deviceCount(),
    }
  })
}

/** Every device, page by page, oldest first: for exports and the CLI, never all in memory. */
export async function* allDevices(
  store: FieldFlashStore,
  now: Date = new Date(),
  pageSize = 500,
): AsyncGenerator<DeviceSummary> {
  let after: number | undefined
  for (;;) {
    const page = await listDevices(store, { after, limit: pageSize }, now)
    yield* page.devices
    if (page.next === null) return
    after = page.next
  }
}

/** One device, or `not_found`. */
export async function getDevice(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): Promise<DeviceView> {
  return viewDevice(await store.read((tx) => requireDevice(tx, uid)), now)
}

/**
 * Replaces the device's MQTT password. The new one is not returned: it reaches the board only
 * inside a newly downloaded template, so the caller must tell the user to download it again.
 */
export function rotateMqttPassword(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): Promise<DeviceView> {
  return store.write(async (tx) => {
    const device = await requireDevice(tx, uid)
    const next: DeviceRecord = {
      ...device,
      mqtt: { ...device.mqtt, password: generateMqttPassword(), passwordSetAt: now.toISOString() },
    }
    await tx.saveDevice(device, next)
    await tx.audit([{ type: 'mqtt.password_rotated', uid, at: next.mqtt.passwordSetAt }])
    return viewDevice(next, now)
  })
}
