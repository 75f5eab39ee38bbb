import type { TokenRecord } from '../store/records'

/**
 * Every state change of the site, devices, tokens and provisioning operations, as the audit log
 * records it. Only identifiers, fingerprints, codes and times: never a token or an MQTT password.
 */
export type AuditEvent =
  | { type: 'site.saved'; changed: string[] }
  | { type: 'device.created'; uid: string; boardId: string }
  | {
      type: 'device.flashed'
      uid: string
      port: string
      chip: string
      mac: string
      firmwareSha256: string
    }
  | { type: 'device.approved'; uid: string; operationId: string; fingerprint: string }
  | { type: 'mqtt.password_rotated'; uid: string }
  | {
      type: 'token.minted'
      uid: string
      fingerprint: string
      origin: TokenRecord['origin']
      expiresAt: string
    }
  | { type: 'token.superseded'; uid: string; fingerprint: string; supersededBy: string }
  | { type: 'token.revoked'; uid: string; fingerprint: string }
  | { type: 'token.expired'; uid: string; fingerprint: string; expiredAt: string }
  | { type: 'token.consumed'; uid: string; fingerprint: string; operationId: string }
  | {
      /** A file carrying a superseded token (template ZIP, config partition) was removed from where FieldFlash wrote it. */
      type: 'file.removed'
      uid: string
      fingerprint: string
      path: string
    }
  | {
      type: 'firmware.imported'
      sha256: string
      boardId: string
      name: string
      version: string | null
      configPartition: string
    }
  | { type: 'firmware.removed'; sha256: string; boardId: string; name: string }
  | {
      /** An earlier FieldFlash's data file was imported into the registry. */
      type: 'store.imported'
      from: string
      devices: number
      tokens: number
      operations: number
      flashes: number
      auditEntries: number
    }
  | {
      type: 'operation.recorded'
      uid: string
      operationId: string
      fingerprint: string
      code: string
      mac: string
      port: string
      classification: string
    }
  | {
      type: 'operation.approved'
      uid: string
      operationId: string
      fingerprint: string
      approver: string | null
    }
  | {
      type: 'operation.rejected'
      uid: string
      operationId: string
      fingerprint: string
      approver: string | null
      reason: string | null
    }
  | {
      /** A registration token was minted for a board and sent to it over the cable. */
      type: 'registration.issued'
      uid: string
      fingerprint: string
      origin: 'register' | 'refresh'
      expiresAt: string
    }
  | { type: 'registration.acknowledged'; uid: string; fingerprint: string; mac: string | null }
  | { type: 'registration.superseded'; uid: string; fingerprint: string; supersededBy: string }
  | { type: 'registration.failed'; uid: string; fingerprint: string; reason: string }
  | { type: 'registration.revoked'; uid: string; fingerprint: string }

export type AuditEventType = AuditEvent['type']

/** An event as a change hands it to the store: `at` defaults to the time of the write. */
export type AuditEventInput = AuditEvent & { at?: string }

/** One line of the audit log. */
/**
 * An event as the log keeps it: when, and which station made the change (its data directory's
 * station name; entries written before stations were named have none).
 */
export type AuditEntry = AuditEvent & { at: string; station?: string }
