import { describe, expect, it } from 'vitest'
import { SlipDecoder, slipEncode } from '../../devkit/emulator/slip'

function decodeAll(chunks: Uint8Array[]): { frames: number[][]; drops: string[] } {
  const frames: number[][] = []
  const drops: string[] = []
  const decoder = new SlipDecoder(
    (frame) => frames.push([...frame]),
    (reason) => drops.push(reason),
  )
  for (const chunk of chunks) decoder.push(chunk)
  return { frames, drops }
}

describe('slipEncode', () => {
  it('escapes 0xC0 as DB DC and 0xDB as DB DD between two 0xC0 delimiters', () => {
    expect([...slipEncode(Uint8Array.from([0x01, 0xc0, 0xdb, 0x02]))]).toEqual([
      0xc0, 0x01, 0xdb, 0xdc, 0xdb, 0xdd, 0x02, 0xc0,
    ])
  })
})

describe('SlipDecoder', () => {
  it('returns every payload byte for byte, whatever it contains', () => {
    const payload = Uint8Array.from({ length: 512 }, (_, i) => (i * 37) & 0xff)
    expect(decodeAll([slipEncode(payload)]).frames).toEqual([[...payload]])
  })

  it('reassembles frames split at any byte, including inside an escape', () => {
    const frame = slipEncode(Uint8Array.from([0xc0, 0xdb, 0x10]))
    for (let cut = 1; cut < frame.length; cut++) {
      expect(decodeAll([frame.subarray(0, cut), frame.subarray(cut)]).frames).toEqual([
        [0xc0, 0xdb, 0x10],
      ])
    }
  })

  it('treats back-to-back delimiters as one boundary and drops noise outside frames', () => {
    const bytes = Uint8Array.from([0x55, 0xc0, 0x01, 0xc0, 0xc0, 0x02, 0xc0, 0x66])
    expect(decodeAll([bytes])).toEqual({ frames: [[0x01], [0x02]], drops: ['noise-outside-frame'] })
  })

  it('drops a frame with an invalid escape and recovers on the next one', () => {
    const bytes = Uint8Array.from([0xc0, 0x01, 0xdb, 0x00, 0x02, 0xc0, 0xc0, 0x03, 0xc0])
    const { frames, drops } = decodeAll([bytes])
    expect(frames).toEqual([[0x03]])
    expect(drops[0]).toBe('invalid-escape')
  })
})
