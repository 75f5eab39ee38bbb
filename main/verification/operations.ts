import { randomBytes } from 'node:crypto'
import type { AuditEventInput } from '../audit/audit-events'
import type { BootstrapBanner } from './bootstrap-banner'
import { viewToken, type TokenView } from '../credentials/tokens'
import { requireDevice } from '../store/require-device'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore, StoreWriter } from '../store/store'
import type { DeviceRecord, ProvisioningOperation, TokenRecord } from '../store/records'
import { classifyBanner, normalizeMac, type BannerVerdict } from './classify-banner'

export interface RecordedOperation {
  operation: ProvisioningOperation
  /** False when a pending operation of the same board and token was already on record. */
  created: boolean
  verdict: BannerVerdict
}

type BannerFields = Pick<BootstrapBanner, 'uid' | 'fingerprint' | 'code' | 'mac'>

/**
 * Classifies a banner against the registry as it is now and records the provisioning operation it
 * starts, in one transaction: UID, fingerprint, code, MAC, port, time and the classification. A
 * pending operation of the same device, token, code and MAC is reused, so a board repeating its
 * banner records one operation, and the board already approved with this token answers with its
 * approval (re-verifying it records nothing). A token found past its lifetime is marked expired on the way.
 * Returns null for a UID the registry does not know (there is nowhere to record it).
 */
export function recordOperation(
  store: FieldFlashStore,
  input: { banner: BannerFields; port: string },
  now: Date = new Date(),
): Promise<RecordedOperation | null> {
  return store.write(recordOperationTx(input, now))
}

function recordOperationTx(
  input: { banner: BannerFields; port: string },
  now: Date = new Date(),
): (tx: StoreWriter) => Promise<RecordedOperation | null> {
  return async (tx) => {
    const device = await tx.device(input.banner.uid)
    const verdict = classifyBanner(device, input.banner, now)
    if (!device) return null
    const mac = normalizeMac(input.banner.mac)
    const existing = device.operations.find(
      (op) =>
        op.state === 'pending' &&
        op.fingerprint === input.banner.fingerprint &&
        op.code === input.banner.code &&
        op.mac === mac,
    )
    if (existing) return { operation: existing, created: false, verdict }
    // The board that was approved with this token, checked again: its approval is the record;
    // a new operation could only dangle, since a consumed token is never approved twice.
    const approval = device.operations.find(
      (op) =>
        op.state === 'approved' && op.fingerprint === input.banner.fingerprint && op.mac === mac,
    )
    if (approval && verdict.classification === 'consumed') {
      return { operation: approval, created: false, verdict }
    }

    const at = now.toISOString()
    const operation: ProvisioningOperation = {
      id: newOperationId(),
      fingerprint: input.banner.fingerprint,
      code: input.banner.code,
      mac,
      port: input.port,
      firstSeenAt: at,
      classification: verdict.classification,
      state: 'pending',
      decidedAt: null,
      approver: null,
      reason: null,
    }
    const audit: AuditEventInput[] = []
    let tokens = device.tokens
    const index = tokens.findIndex((t) => t.fingerprint === operation.fingerprint)
    if (verdict.classification === 'expired' && index >= 0 && tokens[index]!.state === 'issued') {
      // Expired when noticed: the record catches up with what the clock already says.
      const expired: TokenRecord = {
        ...tokens[index]!,
        state: 'expired',
        endedAt: tokens[index]!.expiresAt,
      }
      tokens = tokens.with(index, expired)
      audit.push({
        type: 'token.expired',
        uid: device.uid,
        fingerprint: expired.fingerprint,
        expiredAt: expired.expiresAt,
        at,
      })
    }
    audit.push({
      type: 'operation.recorded',
      uid: device.uid,
      operationId: operation.id,
      fingerprint: operation.fingerprint,
      code: operation.code,
      mac: operation.mac,
      port: operation.port,
      classification: operation.classification,
      at,
    })
    await tx.saveDevice(device, {
      ...device,
      tokens,
      operations: [...device.operations, operation],
    })
    await tx.audit(audit)
    return { operation, created: true, verdict }
  }
}

export interface ApprovalResult {
  operation: ProvisioningOperation
  /** The token, now consumed. */
  token: TokenView
  approvedAt: string
}

/**
 * Approves a pending operation, only when its banner still classifies as verified against the
 * registry as it is inside this transaction: the one-time token becomes consumed, the operation
 * approved (with the approver's name, which an approval always has) and the device approved. A token revoked,
 * superseded or consumed by any process meanwhile is refused; so is approving twice.
 */
export async function approveOperation(
  store: FieldFlashStore,
  input: { uid: string; operationId: string; approver?: string | null },
  now: Date = new Date(),
): Promise<ApprovalResult> {
  return store.write(approveOperationTx(input, now))
}

function approveOperationTx(
  input: { uid: string; operationId: string; approver?: string | null },
  now: Date = new Date(),
): (tx: StoreWriter) => Promise<ApprovalResult> {
  const approver = requireApprover(input.approver)
  return async (tx) => {
    const device = await requireDevice(tx, input.uid)
    const index = findOperation(device, input.operationId)
    const operation = device.operations[index]!
    refuseDecided(operation, 'approve')
    const verdict = classifyBanner(device, { ...operation, uid: device.uid }, now)
    if (!verdict.verified) {
      throw new FieldFlashError(
        'invalid_state',
        `Operation ${operation.id} cannot be approved: ${verdict.message} ${verdict.nextStep}`,
      )
    }
    const at = now.toISOString()
    const tokenIndex = device.tokens.findIndex((t) => t.fingerprint === operation.fingerprint)
    const consumed: TokenRecord = { ...device.tokens[tokenIndex]!, state: 'consumed', endedAt: at }
    const approved: ProvisioningOperation = {
      ...operation,
      state: 'approved',
      decidedAt: at,
      approver,
    }
    await tx.saveDevice(device, {
      ...device,
      tokens: device.tokens.with(tokenIndex, consumed),
      operations: device.operations.with(index, approved),
      approvedAt: at,
    })
    const ids = {
      uid: device.uid,
      operationId: operation.id,
      fingerprint: operation.fingerprint,
      at,
    }
    await tx.audit([
      { type: 'operation.approved', ...ids, approver },
      { type: 'token.consumed', ...ids },
      { type: 'device.approved', ...ids },
    ])
    return { operation: approved, token: viewToken(consumed, now), approvedAt: at }
  }
}

/** Rejects a pending operation (for example: the codes differ, or it is the wrong board). */
export async function rejectOperation(
  store: FieldFlashStore,
  input: { uid: string; operationId: string; approver?: string | null; reason?: string | null },
  now: Date = new Date(),
): Promise<ProvisioningOperation> {
  const approver = validateApprover(input.approver)
  const reason = normalizeReason(input.reason)
  return store.write(async (tx) => {
    const device = await requireDevice(tx, input.uid)
    const index = findOperation(device, input.operationId)
    const operation = device.operations[index]!
    refuseDecided(operation, 'reject')
    const at = now.toISOString()
    const rejected: ProvisioningOperation = {
      ...operation,
      state: 'rejected',
      decidedAt: at,
      approver,
      reason,
    }
    await tx.saveDevice(device, { ...device, operations: device.operations.with(index, rejected) })
    await tx.audit([
      {
        type: 'operation.rejected',
        uid: device.uid,
        operationId: operation.id,
        fingerprint: operation.fingerprint,
        approver,
        reason,
        at,
      },
    ])
    return rejected
  })
}

/** The device's operations, oldest first. */
export async function listOperations(
  store: FieldFlashStore,
  uid: string,
): Promise<ProvisioningOperation[]> {
  return (await store.read((tx) => requireDevice(tx, uid))).operations
}
function newOperationId(): string {
  return `op-${randomBytes(6).toString('hex')}`
}

function findOperation(device: DeviceRecord, operationId: string): number {
  const index = device.operations.findIndex((op) => op.id === operationId)
  if (index < 0) {
    throw new FieldFlashError(
      'not_found',
      `Device ${device.uid} has no operation ${operationId}; run "fieldflash verify" with the board connected to start one.`,
    )
  }
  return index
}

function refuseDecided(operation: ProvisioningOperation, action: 'approve' | 'reject'): void {
  if (operation.state === 'pending') return
  const by = operation.approver ? ` by ${operation.approver}` : ''
  throw new FieldFlashError(
    'invalid_state',
    operation.state === 'approved'
      ? `Operation ${operation.id} was already approved on ${operation.decidedAt}${by}; it cannot be ${action === 'approve' ? 'approved again' : 'rejected any more'}.`
      : `Operation ${operation.id} was rejected on ${operation.decidedAt}${by}; reboot the board to start a new operation.`,
  )
}

const NAME_RULE = 'must be 1–80 characters without control characters'

/** An approver's name, required: an approval always says who made it. */
export function requireApprover(value: string | null | undefined): string {
  const name = validateApprover(value)
  if (name === null) {
    throw invalidInput('approver', `is required: an approval records who made it (${NAME_RULE})`)
  }
  return name
}

/** Validates an approver's name: trimmed, 1–80 characters, no control characters; null when not given. */
export function validateApprover(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null
  const name = typeof value === 'string' ? value.trim() : ''
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 80 || /[\x00-\x1f\x7f]/.test(name)) {
    throw invalidInput('approver', NAME_RULE)
  }
  return name
}

function normalizeReason(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null
  const reason = typeof value === 'string' ? value.trim() : ''
  // eslint-disable-next-line no-control-regex
  if (reason.length === 0 || reason.length > 500 || /[\x00-\x1f\x7f]/.test(reason)) {
    throw invalidInput('reason', 'must be 1–500 characters without control characters')
  }
  return reason
}
