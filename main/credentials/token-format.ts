import { createHash, createHmac, randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import {
  CROCKFORD_LOWER,
  CROCKFORD_UPPER,
  encodeBase32,
  encodeBase32Integer,
} from '../shared/crockford'
import { REGISTRATION_TOKEN_PREFIX, TOKEN_PREFIX } from '../shared/token-prefix'

/**
 * The shared protocol of docs/protocol.md, on the app's side: token format, fingerprint and
 * verification code. The firmware's lib/ff_bootstrap implements the same rules in C; both are
 * checked against docs/protocol-vectors.tsv.
 */

export { REGISTRATION_TOKEN_PREFIX, TOKEN_PREFIX }
const BODY_LENGTH = 52 // 256 bits in base32, last digit carries 1 bit + 4 zero pad bits
const CHECKSUM_LENGTH = 7 // 32-bit CRC in 35 bits
export const TOKEN_LENGTH = TOKEN_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH
const VERIFY_CONTEXT = 'fieldflash-verify-v1|'

export type TokenProblem = 'prefix' | 'length' | 'alphabet' | 'padding' | 'checksum'

const PROBLEM_TEXT: Record<TokenProblem, string> = {
  prefix: `must start with "${TOKEN_PREFIX}"`,
  length: `must be exactly ${TOKEN_LENGTH} characters long`,
  alphabet: `may contain only the characters ${CROCKFORD_LOWER} after the prefix (lowercase)`,
  padding: 'is not a well-formed token (its last body character is impossible); check for a typo',
  checksum: 'has a wrong checksum; check for a typo',
}

/** Mints a fresh token: 256 bits from the OS CSPRNG, prefix, base32 body, CRC-32 checksum. */
export function generateTokenString(
  random: (size: number) => Uint8Array = randomBytes,
  prefix: string = TOKEN_PREFIX,
): string {
  const body = encodeBase32(random(32))
  return prefix + body + checksumOf(prefix + body)
}

/** Mints a registration token (docs/protocol.md, "Registration over the cable"). */
export function generateRegistrationToken(
  random: (size: number) => Uint8Array = randomBytes,
): string {
  return generateTokenString(random, REGISTRATION_TOKEN_PREFIX)
}

function checksumOf(prefixAndBody: string): string {
  return encodeBase32Integer(crc32(Buffer.from(prefixAndBody, 'ascii')), CHECKSUM_LENGTH)
}

/**
 * Checks a token string; returns the first problem found, in the order of docs/protocol.md, or
 * null. With REGISTRATION_TOKEN_PREFIX it checks a registration token.
 */
export function findTokenProblem(
  token: string,
  prefix: string = TOKEN_PREFIX,
): TokenProblem | null {
  if (!token.startsWith(prefix)) return 'prefix'
  // Length in UTF-8 bytes, as the firmware counts it.
  if (Buffer.byteLength(token, 'utf8') !== TOKEN_LENGTH) return 'length'
  const rest = token.slice(prefix.length)
  for (const ch of rest) if (!CROCKFORD_LOWER.includes(ch)) return 'alphabet'
  const lastBodyDigit = CROCKFORD_LOWER.indexOf(rest[BODY_LENGTH - 1]!)
  if ((lastBodyDigit & 0b01111) !== 0) return 'padding'
  const body = rest.slice(0, BODY_LENGTH)
  if (checksumOf(prefix + body) !== rest.slice(BODY_LENGTH)) return 'checksum'
  return null
}

/** Human sentence for a token problem, naming the field; never echoes the token. */
export function describeTokenProblem(field: string, problem: TokenProblem): string {
  return `${field}: ${PROBLEM_TEXT[problem]}`
}

/** SHA-256 of the token, hex: what the store keeps instead of the token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** First 8 hex digits of the token's SHA-256: safe to show and to log. */
export function tokenFingerprint(token: string): string {
  return tokenHash(token).slice(0, 8)
}

/**
 * K_reg: what FieldFlash keeps of a provisioning token so it can register the board that carries
 * it later (docs/protocol.md). A secret like the MQTT password; the token itself is not kept.
 */
export function registrationKey(token: string, uid: string): string {
  return createHmac('sha256', Buffer.from(token, 'utf8'))
    .update(`fieldflash-register-v1|${uid}`, 'utf8')
    .digest('hex')
}

/** The code the board prints: HMAC-SHA256(token, context|uid), 40 bits, `XXXX-XXXX`. */
export function verificationCode(token: string, uid: string): string {
  const mac = createHmac('sha256', Buffer.from(token, 'utf8'))
    .update(VERIFY_CONTEXT + uid, 'utf8')
    .digest()
  const digits = encodeBase32(mac.subarray(0, 5), CROCKFORD_UPPER)
  return `${digits.slice(0, 4)}-${digits.slice(4)}`
}
