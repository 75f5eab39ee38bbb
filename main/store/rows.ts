import { z } from 'zod'
import { FieldFlashError } from '../shared/errors'
import type { CredentialFileRow } from './store'
import type {
  DeviceLeaseRecord,
  DeviceRecord,
  SiteProfile,
  FirmwareRow,
  FlashRecord,
  ProvisioningOperation,
  RegistrationRecord,
  RegistrationState,
  TokenRecord,
  TokenState,
} from './records'

// Rows are checked as they are read back: the schema's constraints stop bad writes, and this
// catches a file edited by hand or damaged on disk. Either is reported as damage, naming the
// record, never as the user's bad input.

type Row = Record<string, unknown>

const TOKEN_STATES = new Set<TokenState>(['issued', 'superseded', 'consumed', 'revoked', 'expired'])
const OPERATION_STATES = new Set(['pending', 'approved', 'rejected'])
const TOKEN_ORIGINS = new Set(['template', 'regenerate', 'config-partition', 'provision'])
const REGISTRATION_STATES = new Set<RegistrationState>([
  'pending',
  'active',
  'failed',
  'superseded',
  'revoked',
])

// The JSON documents kept in columns, each with its shape: a damaged one names the field at fault.
// Shapes, not every rule: a record older versions wrote must still read.
const whole = z.number().int().nonnegative()
const FLASHED_PARTS = z.array(z.object({ offset: whole, size: whole, md5: z.string() }))
const FIRMWARE_PARTITIONS = z.array(
  z.object({
    label: z.string(),
    type: z.union([z.string(), whole]),
    subtype: z.union([z.string(), whole]),
    offset: whole,
    size: whole,
  }),
)
const FIRMWARE_PARTS = z.array(
  z.object({
    name: z.string(),
    role: z.string(),
    offset: whole,
    size: whole,
    sha256: z.string(),
    md5: z.string(),
  }),
)
const AUDIT_BODY = z.record(z.string(), z.unknown())

/** A JSON column parsed and checked against its schema; anything else is damage. */
function jsonColumn<T>(
  row: Row,
  column: string,
  schema: z.ZodType<T>,
  path: string,
  what: string,
): T {
  let value: unknown
  try {
    value = JSON.parse(text(row, column, path, what))
  } catch {
    throw damaged(path, `${what}: ${column} is not valid JSON`)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const at = [column, ...issue.path].join('.')
    throw damaged(path, `${what}: ${at} ${issue.message.toLowerCase()}`)
  }
  return parsed.data
}

/** The error for a row that breaks a rule. */
export function damaged(path: string, what: string): FieldFlashError {
  return new FieldFlashError(
    'store_corrupt',
    `The data file ${path} holds a damaged record (${what}). Nothing was changed: run "fieldflash doctor", then restore the file from a backup or repair that record.`,
  )
}

function text(row: Row, column: string, path: string, what: string): string {
  const value = row[column]
  if (typeof value !== 'string') throw damaged(path, `${what}: ${column} is not text`)
  return value
}

function optionalText(row: Row, column: string, path: string, what: string): string | null {
  const value = row[column]
  if (value === null || value === undefined) return null
  if (typeof value !== 'string') throw damaged(path, `${what}: ${column} is not text`)
  return value
}

function integer(row: Row, column: string, path: string, what: string): number {
  const value = row[column]
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw damaged(path, `${what}: ${column} is not a whole number`)
  return value
}

export function rowToSite(row: Row, path: string): SiteProfile {
  const what = 'site profile'
  return {
    platformKey: text(row, 'platform_key', path, what),
    apiHost: text(row, 'api_host', path, what),
    mqttHost: text(row, 'mqtt_host', path, what),
    mqttPort: integer(row, 'mqtt_port', path, what),
    otaBaseUrl: text(row, 'ota_base_url', path, what),
    tokenLifetimeHours: integer(row, 'token_lifetime_hours', path, what),
    registrationLifetimeDays: integer(row, 'registration_lifetime_days', path, what),
    wifi:
      row.wifi_ssid === null || row.wifi_ssid === undefined
        ? null
        : {
            ssid: text(row, 'wifi_ssid', path, what),
            password: text(row, 'wifi_password', path, what),
          },
  }
}

/** Maps a token row; `prefix` selects joined columns (`t_`). */
export function rowToToken(row: Row, path: string, uid: string, prefix = ''): TokenRecord {
  const what = `a token of device ${uid}`
  const state = text(row, `${prefix}state`, path, what) as TokenState
  if (!TOKEN_STATES.has(state)) throw damaged(path, `${what}: unknown state`)
  const origin = text(row, `${prefix}origin`, path, what)
  if (!TOKEN_ORIGINS.has(origin)) throw damaged(path, `${what}: unknown origin`)
  return {
    fingerprint: text(row, `${prefix}fingerprint`, path, what),
    hash: text(row, `${prefix}hash`, path, what),
    expectedCode: text(row, `${prefix}expected_code`, path, what),
    state,
    issuedAt: text(row, `${prefix}issued_at`, path, what),
    expiresAt: text(row, `${prefix}expires_at`, path, what),
    endedAt: optionalText(row, `${prefix}ended_at`, path, what),
    origin: origin as TokenRecord['origin'],
    registrationKey: optionalText(row, `${prefix}registration_key`, path, what),
  }
}

/** Maps a registration row; `prefix` selects joined columns (`r_`). */
function rowToRegistration(row: Row, path: string, uid: string, prefix = ''): RegistrationRecord {
  const what = `a registration of device ${uid}`
  const column = (name: string): string => `${prefix}${name}`
  const state = text(row, column('state'), path, what) as RegistrationState
  if (!REGISTRATION_STATES.has(state)) throw damaged(path, `${what}: unknown state`)
  const origin = text(row, column('origin'), path, what)
  if (origin !== 'register' && origin !== 'refresh') throw damaged(path, `${what}: unknown origin`)
  return {
    fingerprint: text(row, column('fingerprint'), path, what),
    hash: text(row, column('hash'), path, what),
    holderKey: text(row, column('holder_key'), path, what),
    provisioningFingerprint: text(row, column('provisioning_fingerprint'), path, what),
    origin,
    state,
    issuedAt: text(row, column('issued_at'), path, what),
    expiresAt: text(row, column('expires_at'), path, what),
    ackedAt: optionalText(row, column('acked_at'), path, what),
    endedAt: optionalText(row, column('ended_at'), path, what),
    mac: optionalText(row, column('mac'), path, what),
    reason: optionalText(row, column('reason'), path, what),
  }
}

function rowToFlash(row: Row, path: string, uid: string): FlashRecord {
  const what = `a flash of device ${uid}`
  return {
    at: text(row, 'at', path, what),
    port: text(row, 'port', path, what),
    chip: text(row, 'chip', path, what),
    mac: text(row, 'mac', path, what),
    flashSize: text(row, 'flash_size', path, what),
    firmwareName: text(row, 'firmware_name', path, what),
    firmwareSha256: text(row, 'firmware_sha256', path, what),
    parts: jsonColumn(row, 'parts', FLASHED_PARTS, path, what),
  }
}

function rowToOperation(row: Row, path: string, uid: string): ProvisioningOperation {
  const what = `an operation of device ${uid}`
  const state = text(row, 'state', path, what)
  if (!OPERATION_STATES.has(state)) throw damaged(path, `${what}: unknown state`)
  return {
    id: text(row, 'id', path, what),
    fingerprint: text(row, 'fingerprint', path, what),
    code: text(row, 'code', path, what),
    mac: text(row, 'mac', path, what),
    port: text(row, 'port', path, what),
    firstSeenAt: text(row, 'first_seen_at', path, what),
    classification: text(row, 'classification', path, what),
    state: state as ProvisioningOperation['state'],
    decidedAt: optionalText(row, 'decided_at', path, what),
    approver: optionalText(row, 'approver', path, what),
    reason: optionalText(row, 'reason', path, what),
  }
}

/** A device's rows as each engine reads them: the device's own and its children's, in order. */
export interface DeviceRowSet {
  device: Row
  tokens: Row[]
  flashes: Row[]
  operations: Row[]
  registrations: Row[]
}

/** The queries that read a device's rows (children oldest first), `?` for the UID: both engines use them. */
export const DEVICE_QUERIES = {
  device: 'SELECT * FROM devices WHERE uid = ?',
  tokens: 'SELECT * FROM tokens WHERE device_uid = ? ORDER BY id',
  flashes: 'SELECT * FROM flashes WHERE device_uid = ? ORDER BY id',
  operations: 'SELECT * FROM operations WHERE device_uid = ? ORDER BY seq',
  registrations: 'SELECT * FROM registrations WHERE device_uid = ? ORDER BY id',
} as const

/** A whole device record from its rows; a row that breaks a rule is reported as damage. */
export function rowsToDevice(rows: DeviceRowSet, path: string): DeviceRecord {
  const row = rows.device
  const uid = text(row, 'uid', path, 'a device')
  const what = `device ${uid}`
  return {
    uid,
    boardId: text(row, 'board_id', path, what),
    createdAt: text(row, 'created_at', path, what),
    mqtt: {
      username: text(row, 'mqtt_username', path, what),
      password: text(row, 'mqtt_password', path, what),
      passwordSetAt: text(row, 'mqtt_password_set_at', path, what),
    },
    tokens: rows.tokens.map((r) => rowToToken(r, path, uid)),
    flashes: rows.flashes.map((r) => rowToFlash(r, path, uid)),
    operations: rows.operations.map((r) => rowToOperation(r, path, uid)),
    approvedAt: optionalText(row, 'approved_at', path, what),
    registrations: rows.registrations.map((r) => rowToRegistration(r, path, uid)),
  }
}

/** A token row with the device it belongs to. */
export function rowToOwnedToken(row: Row, path: string): { uid: string; token: TokenRecord } {
  const uid = text(row, 'device_uid', path, 'a token')
  return { uid, token: rowToToken(row, path, uid) }
}

/** One row of a device list page: the device, its current token and a few counts. */
export interface DeviceListItem {
  /** The paging cursor: creation order. */
  seq: number
  uid: string
  boardId: string
  createdAt: string
  mqttUsername: string
  mqttPasswordSetAt: string
  approvedAt: string | null
  currentToken: TokenRecord | null
  flashCount: number
  lastFlashAt: string | null
  /** The classification of the newest pending operation of the current token, if any. */
  pendingClassification: string | null
  /** The newest registration that became active (it may be revoked since), if any. */
  registration: RegistrationRecord | null
}

export type DeviceListRow = Row

export function rowToDeviceListItem(row: Row, path: string): DeviceListItem {
  const uid = text(row, 'uid', path, 'a device')
  const what = `device ${uid}`
  return {
    seq: integer(row, 'seq', path, what),
    uid,
    boardId: text(row, 'board_id', path, what),
    createdAt: text(row, 'created_at', path, what),
    mqttUsername: text(row, 'mqtt_username', path, what),
    mqttPasswordSetAt: text(row, 'mqtt_password_set_at', path, what),
    approvedAt: optionalText(row, 'approved_at', path, what),
    currentToken: row.t_hash === null ? null : rowToToken(row, path, uid, 't_'),
    flashCount: integer(row, 'flash_count', path, what),
    lastFlashAt: optionalText(row, 'last_flash_at', path, what),
    pendingClassification: optionalText(row, 'pending_classification', path, what),
    registration: row.r_hash === null ? null : rowToRegistration(row, path, uid, 'r_'),
  }
}

/** An audit entry as stored: its sequence number, time, type and the event's fields. */
export type StoredAuditEntry = { seq: number; at: string; type: string } & Record<string, unknown>

export type AuditRow = Row

export function rowToAuditEntry(row: Row, path: string): StoredAuditEntry {
  const seq = integer(row, 'seq', path, 'an audit entry')
  const what = `audit entry ${seq}`
  const body = jsonColumn(row, 'body', AUDIT_BODY, path, what)
  return {
    ...body,
    seq,
    at: text(row, 'at', path, what),
    type: text(row, 'type', path, what),
  }
}

/** A library firmware row; its JSON columns are checked for shape. */
export function rowToFirmware(row: Row, path: string): FirmwareRow {
  const sha256 = text(row, 'sha256', path, 'a library firmware')
  const what = `library firmware ${sha256.slice(0, 12)}`
  const label = text(row, 'config_label', path, what)
  if (label !== 'ffcfg' && label !== 'nvs') throw damaged(path, `${what}: unknown config partition`)
  return {
    sha256,
    boardId: text(row, 'board_id', path, what),
    name: text(row, 'name', path, what),
    version: optionalText(row, 'version', path, what),
    chip: text(row, 'chip', path, what),
    kind: text(row, 'kind', path, what),
    flashSize: integer(row, 'flash_size', path, what),
    config: {
      label,
      offset: integer(row, 'config_offset', path, what),
      size: integer(row, 'config_size', path, what),
    },
    partitions: jsonColumn(row, 'partitions', FIRMWARE_PARTITIONS, path, what),
    parts: jsonColumn(row, 'parts', FIRMWARE_PARTS, path, what),
    importedAt: text(row, 'imported_at', path, what),
  }
}

/** A credential file's row (see credential-files). */
export function rowToCredentialFile(row: Row): CredentialFileRow {
  return {
    id: row.id as number,
    finalPath: row.final_path as string,
    uid: row.device_uid as string,
    fingerprint: row.fingerprint as string,
    state: row.state as CredentialFileRow['state'],
    tempPath: row.temp_path as string | null,
    sha256: row.sha256 as string | null,
    pid: row.pid as number,
    updatedAt: row.updated_at as string,
  }
}

/** A device lease's row (see leases/device-lease). */
export function rowToDeviceLease(row: Row): DeviceLeaseRecord {
  return {
    uid: row.uid as string,
    id: row.id as string,
    holder: row.holder as string,
    port: row.port as string,
    host: row.host as string,
    pid: row.pid as number,
    since: row.since as string,
    heartbeatAt: row.heartbeat_at as string,
  }
}
