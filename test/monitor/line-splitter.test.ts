import { describe, expect, it } from 'vitest'
import { LineSplitter } from '../../main/monitor/line-splitter'
import { parseBootstrapBanner } from '../../main/verification/bootstrap-banner'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('LineSplitter', () => {
  it('ends a line on LF and on CRLF; a lone CR is text, as docs/protocol.md reads a console', () => {
    const splitter = new LineSplitter()
    expect(splitter.push(bytes('one\ntwo\rthree\r\nfour'))).toEqual(['one', 'two\rthree'])
    expect(splitter.flush()).toEqual(['four'])
  })

  it('never lets a CR inside a line make a second banner out of it', () => {
    const splitter = new LineSplitter()
    const line =
      'FFBOOT v=1 uid=pump-0001 fp=3e851a53 code=STA9-Y4D6 mac=24:0a:c4:12:34:56 fw=0.1.0\r uid=other-0001\r\n'
    const lines = splitter.push(bytes(line))
    expect(lines).toHaveLength(1)
    expect(parseBootstrapBanner(lines[0]!)).toEqual({ kind: 'malformed', reason: 'duplicate:uid' })
  })

  it('joins a line split across chunks', () => {
    const splitter = new LineSplitter()
    expect(splitter.push(bytes('FFBOOT v=1 ui'))).toEqual([])
    expect(splitter.push(bytes('d=pump-0001\r\n'))).toEqual(['FFBOOT v=1 uid=pump-0001'])
  })

  it('treats a CR at the end of one chunk and an LF at the start of the next as one line end', () => {
    const splitter = new LineSplitter()
    expect(splitter.push(bytes('first\r'))).toEqual([])
    expect(splitter.push(bytes('\nsecond\r'))).toEqual(['first'])
    expect(splitter.push(bytes('third\n'))).toEqual(['second\rthird'])
  })

  it('keeps empty lines between line ends', () => {
    const splitter = new LineSplitter()
    expect(splitter.push(bytes('a\r\n\r\nb\n\n'))).toEqual(['a', '', 'b', ''])
  })

  it('decodes a multi-byte character split across chunks, byte by byte', () => {
    const splitter = new LineSplitter()
    const all = bytes('Teplota 21 °C ✓ 🌡\n')
    const lines: string[] = []
    for (const byte of all) lines.push(...splitter.push(Uint8Array.of(byte)))
    expect(lines).toEqual(['Teplota 21 °C ✓ 🌡'])
  })

  it('replaces invalid UTF-8 (baud-rate garbage) with U+FFFD instead of failing', () => {
    const splitter = new LineSplitter()
    const lines = splitter.push(Uint8Array.from([0xff, 0xfe, 0x80, 0x3f, 0x46, 0x46, 0x0a]))
    expect(lines).toEqual(['\ufffd\ufffd\ufffd?FF'])
  })

  it('keeps ANSI colour codes for the renderer', () => {
    const splitter = new LineSplitter()
    expect(splitter.push(bytes('\x1b[0;32mI (312) wifi: ok\x1b[0m\n'))).toEqual([
      '\x1b[0;32mI (312) wifi: ok\x1b[0m',
    ])
  })

  it('cuts a run without line ends into bounded pieces, never splitting a surrogate pair', () => {
    const splitter = new LineSplitter(10)
    const lines = splitter.push(bytes('123456789🌡abcdefghij'))
    expect(lines[0]).toBe('123456789')
    expect(lines.join('') + splitter.flush().join('')).toBe('123456789🌡abcdefghij')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(10)
  })
})
