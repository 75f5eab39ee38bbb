import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  TOKEN_LENGTH,
  TOKEN_PREFIX,
  describeTokenProblem,
  findTokenProblem,
  generateTokenString,
  tokenFingerprint,
  verificationCode,
} from '../../main/credentials/token-format'

describe('generateTokenString', () => {
  it('mints 64-character tokens with the ffpt_ prefix that pass their own checksum', () => {
    for (let i = 0; i < 200; i++) {
      const token = generateTokenString()
      expect(token).toHaveLength(TOKEN_LENGTH)
      expect(token.startsWith(TOKEN_PREFIX)).toBe(true)
      expect(token).toMatch(/^ffpt_[0-9a-hjkmnp-tv-z]{59}$/)
      expect(findTokenProblem(token)).toBeNull()
    }
  })

  it('never mints the same token twice', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateTokenString()))
    expect(seen.size).toBe(2000)
  })

  it('carries all 256 random bits into the body', () => {
    const ones = generateTokenString(() => new Uint8Array(32).fill(0xff))
    const zeros = generateTokenString(() => new Uint8Array(32))
    expect(ones.slice(5, 57)).toBe('z'.repeat(51) + 'g')
    expect(zeros.slice(5, 57)).toBe('0'.repeat(52))
  })
})

describe('findTokenProblem', () => {
  const token = generateTokenString()

  it('rejects a wrong prefix, length, alphabet, padding and checksum, in that order', () => {
    expect(findTokenProblem('ghp_' + token.slice(4))).toBe('prefix')
    expect(findTokenProblem(token.slice(0, -1))).toBe('length')
    expect(findTokenProblem(token.slice(0, 10) + 'U' + token.slice(11))).toBe('alphabet')
    expect(findTokenProblem(token.slice(0, 10) + 'i' + token.slice(11))).toBe('alphabet')
    const padded = token.slice(0, 56) + '1' + token.slice(57)
    expect(findTokenProblem(padded)).toBe('padding')
  })

  it('catches any single mistyped character', () => {
    const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'
    for (let position = 5; position < TOKEN_LENGTH; position++) {
      const original = token[position]!
      const replacement = alphabet[(alphabet.indexOf(original) + 1) % 32]!
      const typo = token.slice(0, position) + replacement + token.slice(position + 1)
      expect(findTokenProblem(typo), `typo at ${position}`).not.toBeNull()
    }
  })

  it('describes a problem by field and rule without echoing the token', () => {
    const message = describeTokenProblem('token', 'checksum')
    expect(message).toMatch(/^token: /)
    expect(message).not.toContain(token)
  })
})

describe('tokenFingerprint and verificationCode', () => {
  const token = 'ffpt_' + '0'.repeat(52) + '0000000'

  it('fingerprints with the first 8 hex digits of SHA-256', () => {
    expect(tokenFingerprint(token)).toBe(
      createHash('sha256').update(token).digest('hex').slice(0, 8),
    )
  })

  it('derives an XXXX-XXXX Crockford code that depends on both token and UID', () => {
    const code = verificationCode(token, 'pump-0001')
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/)
    expect(verificationCode(token, 'pump-0002')).not.toBe(code)
    expect(verificationCode(generateTokenString(), 'pump-0001')).not.toBe(code)
  })
})
