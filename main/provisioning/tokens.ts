import type { AuditEvent, AuditEventInput } from '../audit/audit-events'
import { FieldFlashError } from '../shared/errors'
import { DEFAULT_TOKEN_LIFETIME_HOURS } from '../site/site-profile'
import type { FieldFlashStore } from '../store/store'
import type { DeviceRecord, StoreDocument, TokenRecord, TokenState } from '../store/store-document'
import { generateTokenString, tokenHash, verificationCode } from './token-format'
import type { MintedToken, TokenView } from './token-types'

export type { MintedToken, TokenView }

/** The state a token is in at `now`: an issued token past its lifetime reads as expired. */
export function effectiveState(token: TokenRecord, now: Date): TokenState {
  return token.state === 'issued' && Date.parse(token.expiresAt) <= now.getTime()
    ? 'expired'
    : token.state
}

/** The user-visible view of a stored token at `now`. */
export function viewToken(token: TokenRecord, now: Date): TokenView {
  const state = effectiveState(token, now)
  return {
    fingerprint: token.fingerprint,
    expectedCode: token.expectedCode,
    state,
    issuedAt: token.issuedAt,
    expiresAt: token.expiresAt,
    endedAt: state === 'expired' && token.endedAt === null ? token.expiresAt : token.endedAt,
    origin: token.origin,
  }
}

/** The device's current token (the last one minted), whatever its state. */
export function currentToken(device: DeviceRecord): TokenRecord | null {
  return device.tokens.at(-1) ?? null
}

/** Looks a device up or fails with `not_found` naming the UID. */
export function requireDevice(doc: StoreDocument, uid: string): DeviceRecord {
  const device = Object.hasOwn(doc.devices, uid) ? doc.devices[uid] : undefined
  if (!device) {
    throw new FieldFlashError(
      'not_found',
      `No device with UID ${uid}; list them with "fieldflash device list".`,
    )
  }
  return device
}

/** Replaces one device in a document, copying only the path to it. */
export function withDevice(doc: StoreDocument, device: DeviceRecord): StoreDocument {
  return { ...doc, devices: { ...doc.devices, [device.uid]: device } }
}

/**
 * Pure: mints a token for `uid`, superseding any token still issued (an expired one is recorded
 * as expired). Returns the next document, the plaintext token (which is not in the document) and
 * the audit events of the change.
 */
export function mintToken(
  doc: StoreDocument,
  uid: string,
  origin: TokenRecord['origin'],
  now: Date,
  random?: (size: number) => Uint8Array,
): { next: StoreDocument; minted: MintedToken; audit: AuditEventInput[] } {
  const device = requireDevice(doc, uid)
  const token = generateTokenString(random)
  const at = now.toISOString()
  const lifetimeHours = doc.site?.tokenLifetimeHours ?? DEFAULT_TOKEN_LIFETIME_HOURS
  let superseded: TokenView | null = null
  const ended: TokenRecord[] = []
  const previous = device.tokens.map((t) => {
    if (t.state !== 'issued') return t
    const state = effectiveState(t, now)
    const end: TokenRecord =
      state === 'expired'
        ? { ...t, state: 'expired', endedAt: t.expiresAt }
        : { ...t, state: 'superseded', endedAt: at }
    if (state !== 'expired') superseded = viewToken(end, now)
    ended.push(end)
    return end
  })
  const record: TokenRecord = {
    fingerprint: '',
    hash: tokenHash(token),
    expectedCode: verificationCode(token, uid),
    state: 'issued',
    issuedAt: at,
    expiresAt: new Date(now.getTime() + lifetimeHours * 3_600_000).toISOString(),
    endedAt: null,
    origin,
  }
  record.fingerprint = record.hash.slice(0, 8)
  const next = withDevice(doc, { ...device, tokens: [...previous, record] })
  const audit: AuditEventInput[] = [
    ...ended.map((t) => ({ ...tokenEndedEvent(uid, t, record.fingerprint), at })),
    {
      type: 'token.minted',
      uid,
      fingerprint: record.fingerprint,
      origin,
      expiresAt: record.expiresAt,
      at,
    },
  ]
  return { next, minted: { token, view: viewToken(record, now), superseded }, audit }
}

function tokenEndedEvent(uid: string, t: TokenRecord, supersededBy: string): AuditEvent {
  return t.state === 'expired'
    ? { type: 'token.expired', uid, fingerprint: t.fingerprint, expiredAt: t.expiresAt }
    : { type: 'token.superseded', uid, fingerprint: t.fingerprint, supersededBy }
}

/** The warning every token-only regeneration carries. */
export const REGENERATE_WARNING =
  'Every local device_config.h of this device is now outdated. Replace PROVISIONING_TOKEN there with the new value before rebuilding and flashing, or download the template again.'

/** "Regenerate token only": a new token without a new ZIP; the old one is superseded. */
export function regenerateToken(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): MintedToken & { warning: string } {
  const minted = store.update((doc) => {
    const { next, minted, audit } = mintToken(doc, uid, 'regenerate', now)
    return { next, result: minted, audit }
  })
  return { ...minted, warning: REGENERATE_WARNING }
}

/** Revokes the device's issued token (for example after it was exposed). */
export function revokeToken(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): TokenView {
  return store.update((doc) => {
    const device = requireDevice(doc, uid)
    const index = device.tokens.findIndex((t) => effectiveState(t, now) === 'issued')
    if (index < 0) {
      throw new FieldFlashError(
        'invalid_state',
        `Device ${uid} has no token in the issued state to revoke; a new one is minted by downloading the template or regenerating the token.`,
      )
    }
    const revoked: TokenRecord = {
      ...device.tokens[index]!,
      state: 'revoked',
      endedAt: now.toISOString(),
    }
    const tokens = device.tokens.with(index, revoked)
    return {
      next: withDevice(doc, { ...device, tokens }),
      result: viewToken(revoked, now),
      audit: [
        { type: 'token.revoked', uid, fingerprint: revoked.fingerprint, at: revoked.endedAt! },
      ],
    }
  })
}
