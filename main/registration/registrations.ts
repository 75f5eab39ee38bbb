import { openedSecret } from '../store/sealed'
import { generateRegistrationToken, tokenHash } from '../credentials/token-format'
import { currentToken } from '../credentials/tokens'
import { FieldFlashError } from '../shared/errors'
import type { FieldFlashStore, StoreWriter } from '../store/store'
import type { DeviceRecord, RegistrationRecord, TokenRecord } from '../store/records'
import { requireDevice } from '../store/require-device'
import { holderKey, type RegistrationOp } from './registration-protocol'
import type { RegistrationStatus, RegistrationView } from './registration-types'

export type { RegistrationStatus, RegistrationView }

/** Within this many days of its expiry a registration reads as "expiring soon". */
export const EXPIRING_SOON_DAYS = 30

/** A registration as the user may see it at `now` (an active one past its expiry is expired). */
export function viewRegistration(r: RegistrationRecord, now: Date): RegistrationView {
  return {
    fingerprint: r.fingerprint,
    state: r.state === 'active' && Date.parse(r.expiresAt) <= now.getTime() ? 'expired' : r.state,
    origin: r.origin,
    provisioningFingerprint: r.provisioningFingerprint,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    ackedAt: r.ackedAt,
    endedAt: r.endedAt,
    mac: r.mac,
    reason: r.reason,
  }
}

/**
 * The one rule for a device's registration state: none, registered, expiring soon, expired or
 * revoked, from its newest active or revoked registration token.
 */
export function registrationStatus(
  latest: { state: string; expiresAt: string } | null,
  now: Date,
): RegistrationStatus {
  if (latest === null) return 'none'
  if (latest.state === 'revoked') return 'revoked'
  const left = Date.parse(latest.expiresAt) - now.getTime()
  if (left <= 0) return 'expired'
  return left <= EXPIRING_SOON_DAYS * 86_400_000 ? 'expiring' : 'registered'
}

/** The device's newest registration that was active (whatever it is now), or null. */
export function latestRegistration(device: DeviceRecord): RegistrationRecord | null {
  return device.registrations.findLast((r) => r.state === 'active' || r.state === 'revoked') ?? null
}

/** The token the device's board was approved with (consumed by the approval), or why there is none. */
export function requireApprovedToken(device: DeviceRecord): TokenRecord {
  const token = currentToken(device)
  if (!token || token.state !== 'consumed' || device.approvedAt === null) {
    throw new FieldFlashError(
      'invalid_state',
      `Device ${device.uid} has no approved board to register: verify the board and approve it first.`,
    )
  }
  return token
}

/** What FieldFlash hands a board: kept in memory only, for the one exchange it serves. */
export interface IssuedRegistration {
  uid: string
  op: RegistrationOp
  /** The registration token in plaintext: it goes to the board wrapped, and nowhere else. */
  token: string
  /** K_reg of the provisioning token the board carries, hex. */
  registrationKey: string
  /** The pending record (hash, fingerprint, K_rt, expiry). */
  record: RegistrationRecord
  /** Expiry as Unix seconds, as the line carries it. */
  exp: number
}

/**
 * Mints a registration token for a device whose board was approved, and records it as pending.
 * `register` for a board not yet registered under its provisioning token, `refresh` for one that
 * is (its active token will be superseded once the board acknowledges the new one).
 */
export function issueRegistration(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): Promise<IssuedRegistration> {
  return store.write(issueRegistrationTx(uid, now))
}

function issueRegistrationTx(
  uid: string,
  now: Date = new Date(),
): (tx: StoreWriter) => Promise<IssuedRegistration> {
  return async (tx) => {
    const device = await requireDevice(tx, uid)
    const site = await tx.site()
    const token = requireApprovedToken(device)
    if (!token.registrationKey) {
      throw new FieldFlashError(
        'invalid_state',
        `Device ${uid}'s token ${token.fingerprint} was minted by an earlier FieldFlash, which kept nothing to register its board with. Provision the board again, verify and approve it, then it registers.`,
      )
    }
    // A board that acknowledged a registration under this provisioning token holds one (active,
    // or revoked in the registry since): a new one replaces it. Otherwise it registers afresh.
    const held = device.registrations.some(
      (r) => r.ackedAt !== null && r.provisioningFingerprint === token.fingerprint,
    )
    const op: RegistrationOp = held ? 'refresh' : 'register'
    const plaintext = generateRegistrationToken()
    const lifetimeDays = site?.registrationLifetimeDays ?? 365
    // Whole seconds: the board stores and prints the expiry as Unix seconds.
    const exp = Math.floor(now.getTime() / 1000) + lifetimeDays * 86_400
    const hash = tokenHash(plaintext)
    const record: RegistrationRecord = {
      fingerprint: hash.slice(0, 8),
      hash,
      holderKey: holderKey(plaintext, uid),
      provisioningFingerprint: token.fingerprint,
      origin: op,
      state: 'pending',
      issuedAt: now.toISOString(),
      expiresAt: new Date(exp * 1000).toISOString(),
      ackedAt: null,
      endedAt: null,
      mac: null,
      reason: null,
    }
    await tx.saveDevice(device, { ...device, registrations: [...device.registrations, record] })
    await tx.audit([
      {
        type: 'registration.issued',
        uid,
        fingerprint: record.fingerprint,
        origin: op,
        expiresAt: record.expiresAt,
        at: record.issuedAt,
      },
    ])
    return {
      uid,
      op,
      token: plaintext,
      registrationKey: openedSecret(token.registrationKey, `${uid}'s registration key`),
      record,
      exp,
    }
  }
}

/**
 * Records the board's acknowledgment: the registration becomes active (the one it replaces
 * superseded) and the device registered. `mac` is the board's, as its banner said.
 */
export function confirmRegistration(
  store: FieldFlashStore,
  uid: string,
  fingerprint: string,
  mac: string | null,
  now: Date = new Date(),
): Promise<RegistrationView> {
  return store.write(confirmRegistrationTx(uid, fingerprint, mac, now))
}

function confirmRegistrationTx(
  uid: string,
  fingerprint: string,
  mac: string | null,
  now: Date = new Date(),
): (tx: StoreWriter) => Promise<RegistrationView> {
  return async (tx) => {
    const device = await requireDevice(tx, uid)
    const index = device.registrations.findIndex((r) => r.fingerprint === fingerprint)
    const pending = device.registrations[index]
    if (!pending) throw new Error(`confirmRegistration: no registration ${fingerprint}`)
    if (pending.state === 'active') return viewRegistration(pending, now)
    if (pending.state !== 'pending') {
      throw new FieldFlashError(
        'invalid_state',
        `Registration ${fingerprint} of ${uid} is ${pending.state}; it cannot become active any more.`,
      )
    }
    const at = now.toISOString()
    const registrations = device.registrations.map((r): RegistrationRecord => {
      if (r === pending) return { ...r, state: 'active', ackedAt: at, mac }
      if (r.state === 'active') return { ...r, state: 'superseded', endedAt: at }
      return r
    })
    // The active one goes first, so the one-active index never sees two.
    const ordered = [
      ...registrations.filter((r) => r.state !== 'active'),
      ...registrations.filter((r) => r.state === 'active'),
    ]
    await tx.saveDevice(device, { ...device, registrations: ordered })
    const superseded = device.registrations.find((r) => r.state === 'active')
    await tx.audit([
      ...(superseded
        ? [
            {
              type: 'registration.superseded',
              uid,
              fingerprint: superseded.fingerprint,
              supersededBy: fingerprint,
              at,
            },
          ]
        : []),
      { type: 'registration.acknowledged', uid, fingerprint, mac, at },
    ])
    return viewRegistration(
      ordered.find((r) => r.fingerprint === fingerprint)!,
      now,
    )
  }
}

/** Records why a pending registration did not reach the board (refused, timeout, lost). */
export function failRegistration(
  store: FieldFlashStore,
  uid: string,
  fingerprint: string,
  reason: string,
  now: Date = new Date(),
): Promise<void> {
  return store.write(failRegistrationTx(uid, fingerprint, reason, now))
}

function failRegistrationTx(
  uid: string,
  fingerprint: string,
  reason: string,
  now: Date = new Date(),
): (tx: StoreWriter) => Promise<void> {
  return async (tx) => {
    const device = await requireDevice(tx, uid)
    const pending = device.registrations.find(
      (r) => r.fingerprint === fingerprint && r.state === 'pending',
    )
    if (!pending) return
    const at = now.toISOString()
    await tx.saveDevice(device, {
      ...device,
      registrations: device.registrations.map((r) =>
        r === pending ? { ...r, state: 'failed' as const, endedAt: at, reason } : r,
      ),
    })
    await tx.audit([{ type: 'registration.failed', uid, fingerprint, reason, at }])
  }
}

/**
 * Revokes the device's active registration token in the registry (the next export carries it);
 * the board keeps it until it is registered again, but the platform refuses it.
 */
export function revokeRegistration(
  store: FieldFlashStore,
  uid: string,
  now: Date = new Date(),
): Promise<RegistrationView> {
  return store.write(async (tx) => {
    const device = await requireDevice(tx, uid)
    const active = device.registrations.find((r) => r.state === 'active')
    if (!active) {
      throw new FieldFlashError(
        'invalid_state',
        `Device ${uid} has no active registration to revoke.`,
      )
    }
    const at = now.toISOString()
    const revoked: RegistrationRecord = { ...active, state: 'revoked', endedAt: at }
    await tx.saveDevice(device, {
      ...device,
      registrations: device.registrations.map((r) => (r === active ? revoked : r)),
    })
    await tx.audit([{ type: 'registration.revoked', uid, fingerprint: active.fingerprint, at }])
    return viewRegistration(revoked, now)
  })
}
