import { redactTokens } from '../shared/redact'
import { deviceChanges } from './device-changes'
import type {
  DeviceLeaseRecord,
  DeviceRecord,
  FirmwareRow,
  FlashRecord,
  ProvisioningOperation,
  RegistrationRecord,
  SiteProfile,
  TokenRecord,
} from './records'
import type { AuditInput } from './store'

// The registry's statements, written once for both engines: `?` placeholders (PostgreSQL's
// store numbers them), SQL both SQLite and PostgreSQL accept. Secrets go through `seal`, which
// keeps them as they are on SQLite (an owner-only file) and seals them for their row on
// PostgreSQL (pg-store.ts).

export interface Statement {
  sql: string
  params: unknown[]
}

/** Turns a secret into what its column holds: `place` names the table, column and row. */
export type Seal = (value: string, table: string, column: string, rowKey: string | null) => string

const statement = (sql: string, ...params: unknown[]): Statement => ({ sql, params })

/** `?` → `$1`, `$2`, … in order, for PostgreSQL. */
export function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

export function saveSite(p: SiteProfile, seal: Seal): Statement {
  return statement(
    `INSERT INTO site (id, platform_key, api_host, mqtt_host, mqtt_port, ota_base_url,
       token_lifetime_hours, registration_lifetime_days, wifi_ssid, wifi_password)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET platform_key = excluded.platform_key,
       api_host = excluded.api_host, mqtt_host = excluded.mqtt_host,
       mqtt_port = excluded.mqtt_port, ota_base_url = excluded.ota_base_url,
       token_lifetime_hours = excluded.token_lifetime_hours,
       registration_lifetime_days = excluded.registration_lifetime_days,
       wifi_ssid = excluded.wifi_ssid, wifi_password = excluded.wifi_password`,
    p.platformKey,
    p.apiHost,
    p.mqttHost,
    p.mqttPort,
    p.otaBaseUrl,
    p.tokenLifetimeHours,
    p.registrationLifetimeDays,
    p.wifi?.ssid ?? null,
    p.wifi ? seal(p.wifi.password, 'site', 'wifi_password', null) : null,
  )
}

/**
 * The statements that take a device from `before` (as read in this transaction; null for a new
 * device) to `after`, children in array order (see device-changes.ts).
 */
export function saveDevice(
  before: DeviceRecord | null,
  after: DeviceRecord,
  seal: Seal,
): Statement[] {
  const changes = deviceChanges(before, after)
  const uid = after.uid
  const password = (): string => seal(after.mqtt.password, 'devices', 'mqtt_password', uid)
  const out: Statement[] = []
  if (changes.own && !before) {
    out.push(
      statement(
        `INSERT INTO devices (uid, board_id, created_at, mqtt_username, mqtt_password,
           mqtt_password_set_at, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        uid,
        after.boardId,
        after.createdAt,
        after.mqtt.username,
        password(),
        after.mqtt.passwordSetAt,
        after.approvedAt,
      ),
    )
  } else if (changes.own) {
    // The password is written (sealed afresh) only when it changed.
    const mqtt = before!.mqtt !== after.mqtt
    out.push(
      statement(
        `UPDATE devices SET board_id = ?, approved_at = ?${
          mqtt ? ', mqtt_username = ?, mqtt_password = ?, mqtt_password_set_at = ?' : ''
        } WHERE uid = ?`,
        after.boardId,
        after.approvedAt,
        ...(mqtt ? [after.mqtt.username, password(), after.mqtt.passwordSetAt] : []),
        uid,
      ),
    )
  }
  for (const token of changes.tokens) out.push(upsertToken(uid, token, seal))
  for (const operation of changes.operations) out.push(upsertOperation(uid, operation))
  for (const flash of changes.flashes) out.push(insertFlash(uid, flash))
  for (const registration of changes.registrations) {
    out.push(upsertRegistration(uid, registration, seal))
  }
  return out
}

function upsertToken(uid: string, t: TokenRecord, seal: Seal): Statement {
  return statement(
    `INSERT INTO tokens (device_uid, hash, fingerprint, expected_code, state, issued_at,
       expires_at, ended_at, origin, registration_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (hash) DO UPDATE SET state = excluded.state, ended_at = excluded.ended_at,
       expires_at = excluded.expires_at
     WHERE tokens.device_uid = excluded.device_uid`,
    uid,
    t.hash,
    t.fingerprint,
    t.expectedCode,
    t.state,
    t.issuedAt,
    t.expiresAt,
    t.endedAt,
    t.origin,
    t.registrationKey ? seal(t.registrationKey, 'tokens', 'registration_key', t.hash) : null,
  )
}

function upsertOperation(uid: string, op: ProvisioningOperation): Statement {
  return statement(
    `INSERT INTO operations (id, device_uid, fingerprint, code, mac, port, first_seen_at,
       classification, state, decided_at, approver, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at,
       approver = excluded.approver, reason = excluded.reason,
       classification = excluded.classification
     WHERE operations.device_uid = excluded.device_uid`,
    op.id,
    uid,
    op.fingerprint,
    op.code,
    op.mac,
    op.port,
    op.firstSeenAt,
    op.classification,
    op.state,
    op.decidedAt,
    op.approver,
    op.reason ?? null,
  )
}

function insertFlash(uid: string, f: FlashRecord): Statement {
  return statement(
    `INSERT INTO flashes (device_uid, at, port, chip, mac, flash_size, firmware_name,
       firmware_sha256, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    uid,
    f.at,
    f.port,
    f.chip,
    f.mac,
    f.flashSize,
    f.firmwareName,
    f.firmwareSha256,
    JSON.stringify(f.parts),
  )
}

function upsertRegistration(uid: string, r: RegistrationRecord, seal: Seal): Statement {
  return statement(
    `INSERT INTO registrations (device_uid, hash, fingerprint, holder_key,
       provisioning_fingerprint, origin, state, issued_at, expires_at, acked_at, ended_at, mac,
       reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (hash) DO UPDATE SET state = excluded.state, acked_at = excluded.acked_at,
       ended_at = excluded.ended_at, mac = excluded.mac, reason = excluded.reason
     WHERE registrations.device_uid = excluded.device_uid`,
    uid,
    r.hash,
    r.fingerprint,
    seal(r.holderKey, 'registrations', 'holder_key', r.hash),
    r.provisioningFingerprint,
    r.origin,
    r.state,
    r.issuedAt,
    r.expiresAt,
    r.ackedAt,
    r.endedAt,
    r.mac,
    r.reason,
  )
}

export function putFirmware(f: FirmwareRow): Statement {
  return statement(
    `INSERT INTO firmware (sha256, board_id, name, version, chip, kind, flash_size, config_label,
       config_offset, config_size, partitions, parts, imported_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sha256, board_id) DO UPDATE SET name = excluded.name,
       version = excluded.version, config_label = excluded.config_label,
       config_offset = excluded.config_offset, config_size = excluded.config_size`,
    f.sha256,
    f.boardId,
    f.name,
    f.version,
    f.chip,
    f.kind,
    f.flashSize,
    f.config.label,
    f.config.offset,
    f.config.size,
    JSON.stringify(f.partitions),
    JSON.stringify(f.parts),
    f.importedAt,
  )
}

export function putDeviceLease(l: DeviceLeaseRecord): Statement {
  return statement(
    `INSERT INTO device_leases (uid, id, holder, port, host, pid, since, heartbeat_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (uid) DO UPDATE SET id = excluded.id, holder = excluded.holder,
       port = excluded.port, host = excluded.host, pid = excluded.pid,
       since = excluded.since, heartbeat_at = excluded.heartbeat_at`,
    l.uid,
    l.id,
    l.holder,
    l.port,
    l.host,
    l.pid,
    l.since,
    l.heartbeatAt,
  )
}

export function setMeta(key: string, value: string): Statement {
  return statement(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    key,
    value,
  )
}

/**
 * A page of the device list with each device's current token, counts and newest registration.
 * `caseless` is the engine's case-insensitive LIKE (SQLite's LIKE is; PostgreSQL's ILIKE).
 */
export function listDevicesQuery(
  page: { after?: number; limit: number; search?: string; boardId?: string; newestFirst?: boolean },
  caseless: 'LIKE' | 'ILIKE',
): Statement {
  const newest = page.newestFirst ?? false
  const pattern = page.search ? `%${page.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null
  return statement(
    `SELECT d.*, t.hash AS t_hash, t.fingerprint AS t_fingerprint,
       t.expected_code AS t_expected_code, t.state AS t_state, t.issued_at AS t_issued_at,
       t.expires_at AS t_expires_at, t.ended_at AS t_ended_at, t.origin AS t_origin,
       (SELECT count(*) FROM flashes f WHERE f.device_uid = d.uid) AS flash_count,
       (SELECT max(f.at) FROM flashes f WHERE f.device_uid = d.uid) AS last_flash_at,
       (SELECT o.classification FROM operations o
          WHERE o.device_uid = d.uid AND o.fingerprint = t.fingerprint AND o.state = 'pending'
          ORDER BY o.seq DESC LIMIT 1) AS pending_classification,
       r.hash AS r_hash, r.fingerprint AS r_fingerprint, r.holder_key AS r_holder_key,
       r.provisioning_fingerprint AS r_provisioning_fingerprint, r.origin AS r_origin,
       r.state AS r_state, r.issued_at AS r_issued_at, r.expires_at AS r_expires_at,
       r.acked_at AS r_acked_at, r.ended_at AS r_ended_at, r.mac AS r_mac, r.reason AS r_reason
     FROM devices d
     LEFT JOIN tokens t ON t.id = (SELECT max(id) FROM tokens WHERE device_uid = d.uid)
     LEFT JOIN registrations r ON r.id = (SELECT max(id) FROM registrations
       WHERE device_uid = d.uid AND state IN ('active', 'revoked'))
     WHERE d.seq ${newest ? '<' : '>'} ?
       ${pattern === null ? '' : `AND d.uid ${caseless} ? ESCAPE '\\'`}
       ${page.boardId === undefined ? '' : 'AND d.board_id = ?'}
     ORDER BY d.seq ${newest ? 'DESC' : 'ASC'} LIMIT ?`,
    // Two spellings, so the engine walks the primary key in the asked order and stops at the limit.
    page.after ?? (newest ? Number.MAX_SAFE_INTEGER : 0),
    ...(pattern === null ? [] : [pattern]),
    ...(page.boardId === undefined ? [] : [page.boardId]),
    page.limit,
  )
}

/**
 * Appends one event to the audit log, naming `station` (unless the event names one itself), its
 * time `at` unless it has its own, and every secret in it redacted: `secrets` (the device's MQTT
 * password, in plaintext) and anything shaped like a token.
 */
export function appendAudit(
  event: AuditInput,
  station: string,
  secrets: readonly string[],
  at: string,
): Statement {
  const { at: own, ...fields } = event
  return statement(
    'INSERT INTO audit (at, type, uid, body) VALUES (?, ?, ?, ?)',
    own ?? at,
    event.type,
    typeof event.uid === 'string' ? event.uid : null,
    JSON.stringify(redactAudit({ station, ...fields }, secrets)),
  )
}

function redactAudit(
  value: Record<string, unknown>,
  secrets: readonly string[],
): Record<string, unknown> {
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (secrets.some((s) => s.length > 0 && v.includes(s))) return '[redacted]'
      return redactTokens(v)
    }
    if (Array.isArray(v)) return v.map(clean)
    return v
  }
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[key] = clean(v)
  return out
}
