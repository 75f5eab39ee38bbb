/** Crockford base32 digits, lowercase form (tokens) — no i, l, o, u, so nothing is misread. */
export const CROCKFORD_LOWER = '0123456789abcdefghjkmnpqrstvwxyz'
/** Crockford base32 digits, uppercase form (verification codes). */
export const CROCKFORD_UPPER = CROCKFORD_LOWER.toUpperCase()

/**
 * Encodes bytes as base32, taking bits MSB-first in groups of five and right-padding the last
 * group with zero bits (RFC 4648 bit order, no `=` padding).
 */
export function encodeBase32(bytes: Uint8Array, alphabet: string = CROCKFORD_LOWER): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += alphabet[(buffer >> bits) & 31]
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31]
  return out
}

/** Writes an unsigned integer as exactly `digits` base32 digits, most significant first. */
export function encodeBase32Integer(
  value: number,
  digits: number,
  alphabet = CROCKFORD_LOWER,
): string {
  let out = ''
  let rest = value
  for (let i = 0; i < digits; i++) {
    out = alphabet[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  return out
}
