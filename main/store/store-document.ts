import type { SiteProfile } from '../site/site-profile-types'

/** What the data file holds. Never a plaintext provisioning token: only its hash and fingerprint. */
export interface StoreDocument {
  schemaVersion: 1
  site: SiteProfile | null
  devices: Record<string, DeviceRecord>
}

export interface DeviceRecord {
  uid: string
  boardId: string
  createdAt: string
  mqtt: {
    username: string
    /** Stable per device; lives only in this owner-only file and in downloaded templates. */
    password: string
    passwordSetAt: string
  }
  /** Oldest first; at most one is `issued` at a time. */
  tokens: TokenRecord[]
}

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
  /** Why the token was minted: a template download or a token-only regeneration. */
  origin: 'template' | 'regenerate'
}

export function emptyDocument(): StoreDocument {
  return { schemaVersion: 1, site: null, devices: {} }
}

/** A cheap structural check of a loaded document; details are validated where they are used. */
export function isStoreDocument(value: unknown): value is StoreDocument {
  if (typeof value !== 'object' || value === null) return false
  const doc = value as Record<string, unknown>
  return (
    doc.schemaVersion === 1 &&
    (doc.site === null || typeof doc.site === 'object') &&
    typeof doc.devices === 'object' &&
    doc.devices !== null &&
    !Array.isArray(doc.devices)
  )
}
