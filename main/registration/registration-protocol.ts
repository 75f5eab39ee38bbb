import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { tokenFingerprint } from '../credentials/token-format'
import { isValidDeviceUid } from '../shared/device-uid'

// The registration exchange of docs/protocol.md ("Registration over the cable"), FieldFlash's
// side: the FFREG line it sends, and the FFACK / FFNAK / FFREGD lines a board answers with. The
// firmware's lib/ff_bootstrap/ff_register.c is the board's side; both are checked against the
// same vectors (docs/protocol-vectors.tsv).

export type RegistrationOp = 'register' | 'refresh'

/** Why a board refused a registration (FFNAK reason=…). */
export const NAK_REASONS = [
  'format',
  'uid',
  'nonce',
  'unregistered',
  'tag',
  'token',
  'registered',
  'storage',
] as const
export type NakReason = (typeof NAK_REASONS)[number]

/** A line a board prints about its registration. */
export type RegistrationReply =
  | { kind: 'ack'; uid: string; nonce: string; rfp: string; exp: string; proof: string }
  | { kind: 'nak'; uid: string; nonce: string; reason: string }
  | { kind: 'status'; uid: string; nonce: string; rfp: string; exp: string; proof: string }

const NONCE = /^[0-9a-f]{16}$/
const FINGERPRINT = /^[0-9a-f]{8}$/
const EXP = /^[1-9][0-9]{0,11}$/
const PROOF = /^[0-9a-f]{32}$/
const REASON = /^[a-z0-9_]{1,32}$/
const KEY = /^[a-z][a-z0-9_]*$/

function hmac(key: Buffer | string, message: string): Buffer {
  return createHmac('sha256', typeof key === 'string' ? Buffer.from(key, 'hex') : key)
    .update(message, 'utf8')
    .digest()
}

/** K_rt: what FieldFlash keeps of a registration token to check that a board holds it. */
export function holderKey(registrationToken: string, uid: string): string {
  return hmac(Buffer.from(registrationToken, 'utf8'), `fieldflash-holder-v1|${uid}`).toString('hex')
}

/** A fresh salt for one FFREG line: 16 lowercase hex digits. */
export function newSalt(): string {
  return randomBytes(8).toString('hex')
}

/**
 * The FFREG line (without its line end) that hands `registrationToken` to the board: wrapped with
 * a keystream from K_reg, tagged so only a holder of the board's provisioning token could have
 * made it, and bound to the board's boot nonce.
 */
export function formatRegistrationLine(request: {
  op: RegistrationOp
  /** K_reg, hex. */
  registrationKey: string
  uid: string
  nonce: string
  salt: string
  /** Expiry, Unix seconds. */
  exp: number | string
  registrationToken: string
}): string {
  const { op, registrationKey: key, uid, nonce, salt, registrationToken: rt } = request
  const exp = String(request.exp)
  if (!isValidDeviceUid(uid) || !NONCE.test(nonce) || !NONCE.test(salt) || !EXP.test(exp)) {
    throw new Error('formatRegistrationLine: a value breaks the protocol')
  }
  const stream = Buffer.concat(
    [0, 1].map((i) => hmac(key, `fieldflash-wrap-v1|${nonce}|${salt}|${i}`)),
  )
  const plain = Buffer.from(rt, 'utf8')
  const wrapped = Buffer.from(plain.map((byte, i) => byte ^ stream[i]!)).toString('hex')
  const tag = hmac(key, `fieldflash-reg-v1|${op}|${uid}|${nonce}|${salt}|${exp}|${wrapped}`)
    .subarray(0, 16)
    .toString('hex')
  return `FFREG v=1 op=${op} uid=${uid} n=${nonce} s=${salt} exp=${exp} rt=${wrapped} tag=${tag}`
}

/** The proof an FFACK (or FFREGD) carries: HMAC16(K_rt, context + n + "|" + exp). */
function expectedProof(kind: 'ack' | 'status', holder: string, nonce: string, exp: string): Buffer {
  return hmac(holder, `fieldflash-${kind}-v1|${nonce}|${exp}`).subarray(0, 16)
}

/** True when an FFACK or FFREGD proves its board holds the registration token behind `holder`. */
export function proofHolds(
  reply: Extract<RegistrationReply, { kind: 'ack' | 'status' }>,
  holder: string,
): boolean {
  const expected = expectedProof(reply.kind, holder, reply.nonce, reply.exp)
  const got = Buffer.from(reply.proof, 'hex')
  return got.length === expected.length && timingSafeEqual(got, expected)
}

/** Formats an FFACK or FFREGD as a board prints it (the vector tests and the devkit use it). */
export function formatHolderLine(
  kind: 'ack' | 'status',
  registrationToken: string,
  uid: string,
  nonce: string,
  exp: number | string,
): string {
  const e = String(exp)
  const rfp = tokenFingerprint(registrationToken)
  const proof = expectedProof(kind, holderKey(registrationToken, uid), nonce, e).toString('hex')
  return kind === 'ack'
    ? `FFACK v=1 uid=${uid} n=${nonce} rfp=${rfp} exp=${e} proof=${proof}`
    : `FFREGD v=1 uid=${uid} rfp=${rfp} exp=${e} n=${nonce} proof=${proof}`
}

/**
 * Finds an FFACK, FFNAK or FFREGD line in one console line (the last marker wins, noise before it
 * is allowed, a trailing CR ignored); null when there is none or it is malformed.
 */
export function parseRegistrationReply(line: string): RegistrationReply | null {
  let at = -1
  let marker = ''
  for (const candidate of ['FFACK ', 'FFNAK ', 'FFREGD ']) {
    const found = line.lastIndexOf(candidate)
    if (found > at) {
      at = found
      marker = candidate
    }
  }
  if (at < 0) return null
  const fields = new Map<string, string>()
  for (const part of line
    .slice(at + marker.length)
    .replace(/\r$/, '')
    .split(' ')) {
    const eq = part.indexOf('=')
    if (eq <= 0 || !KEY.test(part.slice(0, eq))) continue
    if (fields.has(part.slice(0, eq))) return null
    fields.set(part.slice(0, eq), part.slice(eq + 1))
  }
  const uid = fields.get('uid') ?? ''
  const nonce = fields.get('n') ?? ''
  if (fields.get('v') !== '1' || !isValidDeviceUid(uid) || !NONCE.test(nonce)) return null
  if (marker === 'FFNAK ') {
    const reason = fields.get('reason') ?? ''
    return REASON.test(reason) ? { kind: 'nak', uid, nonce, reason } : null
  }
  const rfp = fields.get('rfp') ?? ''
  const exp = fields.get('exp') ?? ''
  const proof = fields.get('proof') ?? ''
  if (!FINGERPRINT.test(rfp) || !EXP.test(exp) || !PROOF.test(proof)) return null
  return { kind: marker === 'FFACK ' ? 'ack' : 'status', uid, nonce, rfp, exp, proof }
}
