import { describe, expect, it } from 'vitest'
import { findTokensIn } from '../../main/flash/firmware-token'
import { generateTokenString } from '../../main/credentials/token-format'

describe('findTokensIn', () => {
  it('finds a token embedded in binary data, once, and ignores a mistyped copy', () => {
    const token = generateTokenString()
    const typo = token.slice(0, 20) + (token[20] === 'a' ? 'b' : 'a') + token.slice(21)
    const image = Buffer.concat([
      Buffer.from([0xe9, 0, 1, 2]),
      Buffer.from(`\0${token}\0junk${token}\0${typo}\0`, 'latin1'),
    ])
    expect(findTokensIn([image])).toEqual([token])
  })

  it('finds nothing in an image without a token', () => {
    expect(findTokensIn([new Uint8Array(4096).fill(0xff)])).toEqual([])
  })
})
