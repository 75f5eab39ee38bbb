// No Node imports here: the renderer sees some of these types through the IPC contract.
/** The registry's records as the domain sees them. Never a plaintext provisioning token. */

export interface DeviceRecord {
  uid: string
  boardId: string
  createdAt: string
  mqtt: {
    username: string
    /** Stable per device; lives only in the owner-only database and in downloaded templates. */
    password: string
    passwordSetAt: string
  }
  /** Oldest first; at most one is `issued` at a time. */
  tokens: TokenRecord[]
  /** Successful flashes, oldest first. The MAC recorded here exposes a token reused on another board. */
  flashes: FlashRecord[]
  /** Provisioning operations seen on the serial console, oldest first. */
  operations: ProvisioningOperation[]
  /** Set once a technician approved a verified operation; the device is then provisioned. */
  approvedAt: string | null
  /** Registration tokens handed to the board over the cable, oldest first. */
  registrations: RegistrationRecord[]
}

export type RegistrationState = 'pending' | 'active' | 'failed' | 'superseded' | 'revoked'

/**
 * A registration token FieldFlash issued to a device's board (docs/protocol.md, "Registration over
 * the cable"): pending until the board acknowledges it, then active until refreshed (superseded)
 * or revoked; failed when the board refused it or was lost. Never the token itself.
 */
export interface RegistrationRecord {
  fingerprint: string
  /** SHA-256 of the registration token, hex. */
  hash: string
  /** K_rt, hex: checks that a board holds the token. A secret: never shown, logged or exported. */
  holderKey: string
  /** The provisioning token the board was registered under. */
  provisioningFingerprint: string
  origin: 'register' | 'refresh'
  state: RegistrationState
  issuedAt: string
  expiresAt: string
  /** When the board acknowledged it. */
  ackedAt: string | null
  /** When it left pending or active. */
  endedAt: string | null
  /** The board (station MAC) that acknowledged it. */
  mac: string | null
  /** Why it failed (the board's FFNAK reason, timeout, lost) or was revoked. */
  reason: string | null
}

export interface FlashRecord {
  at: string
  port: string
  chip: string
  mac: string
  flashSize: string
  firmwareName: string
  /** SHA-256 of the firmware input, hex. */
  firmwareSha256: string
  parts: { offset: number; size: number; md5: string }[]
}

/**
 * One boot of a board that printed a bootstrap banner: recorded when first seen, then approved
 * (which consumes the token) or rejected by the technician.
 */
export interface ProvisioningOperation {
  id: string
  fingerprint: string
  code: string
  mac: string
  port: string
  firstSeenAt: string
  /** The classification when it was recorded (see main/verification). */
  classification: string
  state: 'pending' | 'approved' | 'rejected'
  decidedAt: string | null
  /** Who approved or rejected it, when they gave their name. */
  approver: string | null
  /** Why it was rejected, when the technician said. */
  reason?: string | null
}

export type TokenOrigin = 'template' | 'regenerate' | 'config-partition' | 'provision'

export type TokenState = 'issued' | 'superseded' | 'consumed' | 'revoked' | 'expired'

export interface TokenRecord {
  fingerprint: string
  /** SHA-256 of the token, hex. */
  hash: string
  expectedCode: string
  state: TokenState
  issuedAt: string
  expiresAt: string
  /** When the token left the `issued` state. */
  endedAt: string | null
  /**
   * Why the token was minted: a template download, a token-only regeneration, a config partition
   * written to a file, or a provisioning (config partition flashed).
   */
  origin: TokenOrigin
  /**
   * K_reg, hex: registers the board carrying the token (docs/protocol.md). A secret like the MQTT
   * password; null for a token an earlier FieldFlash minted, whose board cannot be registered.
   */
  registrationKey?: string | null
}

/** A base firmware of the library (see main/firmware-library). */
export interface FirmwareRow {
  sha256: string
  boardId: string
  name: string
  version: string | null
  chip: string
  kind: string
  flashSize: number
  config: { label: 'ffcfg' | 'nvs'; offset: number; size: number }
  partitions: {
    label: string
    type: string | number
    subtype: string | number
    offset: number
    size: number
  }[]
  parts: { name: string; role: string; offset: number; size: number; sha256: string; md5: string }[]
  importedAt: string
}

/**
 * A registration token lives a year by default (the schema's default too). Offline, the cable is
 * its only refresh, and sites are typically visited for maintenance about once a year; a board
 * that is online refreshes itself long before (the Spotflow SDK refreshes at half its lifetime).
 * Shorter where boards are visited more often.
 */
export const DEFAULT_REGISTRATION_LIFETIME_DAYS = 365

/** Where the devices of one site connect: entered once, rendered into every device_config.h. */
export interface SiteProfile {
  platformKey: string
  apiHost: string
  mqttHost: string
  mqttPort: number
  otaBaseUrl: string
  /** How long a minted provisioning token stays valid. */
  tokenLifetimeHours: number
  /** How long a registration token handed to a board stays valid. */
  registrationLifetimeDays: number
  /**
   * The site's Wi-Fi, written into config partitions, or null. The password is a secret: kept
   * like the MQTT passwords, never logged or shown again.
   */
  wifi: { ssid: string; password: string } | null
}

/** A device's board being written by a job (main/leases/device-lease.ts). */
export interface DeviceLeaseRecord {
  uid: string
  /** The holder's own id: only it releases the lease. */
  id: string
  /** What the job is, in words ("fieldflash provision", "the FieldFlash app"). */
  holder: string
  port: string
  host: string
  pid: number
  since: string
  heartbeatAt: string
}

/** Where the registry is and whether it answers, as Settings shows it (main/store). */
export interface RegistryState {
  engine: 'sqlite' | 'postgres'
  /** The database file, or the server (its password hidden). */
  location: string
  /** This data directory's station name (the audit log names it). */
  station: string
  /** Whether the registry answered just now. */
  reachable: boolean
  /** Whether the connection is encrypted (PostgreSQL only; null for the local file). */
  tls: boolean | null
  /** What keeps this station from working fully, in words (unreachable, no registry key), or null. */
  problem: string | null
}
