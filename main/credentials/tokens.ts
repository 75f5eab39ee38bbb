import type { AuditEvent, AuditEventInput } from '../audit/audit-events'
import { FieldFlashError } from '../shared/errors'
import { DEFAULT_TOKEN_LIFETIME_HOURS } from '../site/site-profile'
import type { FieldFlashStore, StoreReader } from '../store/store'
import type { DeviceRecord, TokenRecord, TokenState } from '../store/records'
import { requireDevice } from '../store/require-device'
import { removeOutdatedFiles } from './outdated-files'
import { generateTokenString, registrationKey, tokenHash, verificationCode } from './token-format'
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

/** How long a token minted now lives, per the site profile. */
export async function tokenLifetimeHours(tx: StoreReader): Promise<number> {
  return (await tx.site())?.tokenLifetimeHours ?? DEFAULT_TOKEN_LIFETIME_HOURS
}

/**
 * Pure: mints a token for `device`, superseding any token still issued (an expired one is
 * recorded as expired). Returns the next record, the plaintext token (which is not in the record)
 * and the audit events of the change. `token` is a plaintext minted beforehand (a template renders
 * it before the commit); a fresh one by default.
 */
export function mintToken(
  device: DeviceRecord,
  lifetimeHours: number,
  origin: TokenRecord['origin'],
  now: Date,
  token: string = generateTokenString(),
): { next: DeviceRecord; minted: MintedToken; audit: AuditEventInput[] } {
  const uid = device.uid
  const at = now.toISOString()
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
  const hash = tokenHash(token)
  const record: TokenRecord = {
    fingerprint: hash.slice(0, 8),
    hash,
    expectedCode: verificationCode(token, uid),
    state: 'issued',
    issuedAt: at,
    expiresAt: new Date(now.getTime() + lifetimeHours * 3_600_000).toISOString(),
    endedAt: null,
    origin,
    // What registers the board that will carry this token, once it is approved (docs/protocol.md).
    registrationKey: registrationKey(token, uid),
  }
  const next: DeviceRecord = { ...device, tokens: [...previous, record] }
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
): Promise<MintedToken & { warning: string; removedFiles: string[] }> {
  return store.write(async (tx) => {
    const device = await requireDevice(tx, uid)
    const lifetime = await tokenLifetimeHours(tx)
    const { next, minted, audit } = mintToken(device, lifetime, 'regenerate', now)
    await tx.saveDevice(device, next)
    await tx.audit(audit)
    const removedFiles = await removeOutdatedFiles(tx, uid, minted.view.fingerprint)
    return { ...minted, warning: REGENERATE_WARNING, removedFiles }
  })
}

/** Revokes the device's issued token (for example after it was exposed). */
export function revokeToken(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): Promise<TokenView> {
  return store.write(async (tx) => {
    const device = await requireDevice(tx, uid)
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
    await tx.saveDevice(device, { ...device, tokens: device.tokens.with(index, revoked) })
    await tx.audit([
      { type: 'token.revoked', uid, fingerprint: revoked.fingerprint, at: revoked.endedAt! },
    ])
    return viewToken(revoked, now)
  })
}
