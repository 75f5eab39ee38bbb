/** Longest line kept whole, in UTF-16 code units; a longer run without a line end is cut here. */
export const MAX_LINE_LENGTH = 16_384

/**
 * Splits a serial byte stream into text lines. CR, LF and CRLF each end one line, even when the
 * CR and the LF arrive in different chunks; bytes are decoded as UTF-8 with U+FFFD for invalid
 * sequences, and a character split across chunks decodes whole. ANSI escape sequences are kept.
 * A run longer than `maxLineLength` without a line end is emitted in pieces so memory stays
 * bounded when a board prints garbage at the wrong baud rate.
 */
export class LineSplitter {
  private decoder = new TextDecoder('utf-8', { fatal: false })
  private partial = ''
  /** The last chunk ended with CR: an LF at the start of the next one belongs to it. */
  private afterCr = false

  constructor(private readonly maxLineLength = MAX_LINE_LENGTH) {}

  /** Feeds bytes; returns the lines they completed, without their line ends. */
  push(chunk: Uint8Array): string[] {
    return this.split(this.decoder.decode(chunk, { stream: true }))
  }

  /** Ends the stream: returns the last unterminated line, if any. */
  flush(): string[] {
    const lines = this.split(this.decoder.decode())
    if (this.partial !== '') lines.push(this.partial)
    this.reset()
    return lines
  }

  /** Forgets any partial line and decoder state (after a reset or a reconnect). */
  reset(): void {
    this.decoder = new TextDecoder('utf-8', { fatal: false })
    this.partial = ''
    this.afterCr = false
  }

  private split(text: string): string[] {
    const lines: string[] = []
    let start = 0
    if (this.afterCr && text.length > 0) {
      if (text.charCodeAt(0) === 0x0a) start = 1
      this.afterCr = false
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 0x0a && c !== 0x0d) continue
      lines.push(this.partial + text.slice(start, i))
      this.partial = ''
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++
        } else {
          this.afterCr = true
        }
      }
      start = i + 1
    }
    if (start < text.length) this.partial += text.slice(start)
    while (this.partial.length > this.maxLineLength) {
      let cut = this.maxLineLength
      // Never cut a surrogate pair in half.
      const code = this.partial.charCodeAt(cut - 1)
      if (code >= 0xd800 && code <= 0xdbff) cut--
      lines.push(this.partial.slice(0, cut))
      this.partial = this.partial.slice(cut)
    }
    return lines
  }
}
