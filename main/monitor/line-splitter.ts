/** Longest line kept whole, in UTF-16 code units; a longer run without a line end is cut here. */
export const MAX_LINE_LENGTH = 16_384

/**
 * Splits a serial byte stream into text lines the way docs/protocol.md reads a console: LF ends a
 * line and a CR right before it is dropped (also when the CR and the LF arrive in different
 * chunks); a lone CR is ordinary text, so a banner line can never be forged by splitting at a CR
 * (a console view may still render it as a terminal does). Bytes are decoded as UTF-8 with U+FFFD
 * for invalid sequences, and a character split across chunks decodes whole. ANSI escape sequences
 * are kept. A run longer than `maxLineLength` without an LF is emitted in pieces so memory stays
 * bounded when a board prints garbage at the wrong baud rate.
 */
export class LineSplitter {
  private decoder = new TextDecoder('utf-8', { fatal: false })
  private partial = ''

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
  }

  private split(text: string): string[] {
    const lines: string[] = []
    let start = 0
    for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', start)) {
      const line = this.partial + text.slice(start, lf)
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line)
      this.partial = ''
      start = lf + 1
    }
    if (start < text.length) this.partial += text.slice(start)
    // Keep a trailing CR with the part that stays: it may be the CR of a CRLF still on its way.
    while (this.partial.length > this.maxLineLength + (this.partial.endsWith('\r') ? 1 : 0)) {
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
