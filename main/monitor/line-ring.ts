/** A line of console output as the monitor keeps it. */
export interface MonitorLine {
  /** 1, 2, 3 … for the life of the monitor: a gap means lines were left out of a delivery. */
  seq: number
  /** Receive time, milliseconds since the epoch. */
  at: number
  /** Decoded text without its line end; ANSI escape sequences kept. */
  text: string
}

/**
 * The most recent lines, bounded by count and by total characters, so a board that floods the
 * console cannot grow memory. Oldest lines fall out first.
 */
export class LineRing {
  private buffer: (MonitorLine | undefined)[]
  private head = 0
  private count = 0
  private chars = 0

  constructor(
    readonly maxLines: number,
    readonly maxChars: number,
  ) {
    if (!(maxLines >= 1)) throw new RangeError('maxLines must be at least 1')
    this.buffer = new Array<MonitorLine | undefined>(maxLines)
  }

  get size(): number {
    return this.count
  }

  /** Characters held, a proxy for memory (about two bytes each). */
  get totalChars(): number {
    return this.chars
  }

  push(line: MonitorLine): void {
    if (this.count === this.maxLines) this.dropOldest()
    this.buffer[(this.head + this.count) % this.maxLines] = line
    this.count++
    this.chars += line.text.length
    while (this.chars > this.maxChars && this.count > 1) this.dropOldest()
  }

  /** Oldest first. */
  toArray(): MonitorLine[] {
    const out: MonitorLine[] = new Array(this.count)
    for (let i = 0; i < this.count; i++) out[i] = this.buffer[(this.head + i) % this.maxLines]!
    return out
  }

  clear(): void {
    this.buffer.fill(undefined)
    this.head = 0
    this.count = 0
    this.chars = 0
  }

  private dropOldest(): void {
    const line = this.buffer[this.head]!
    this.buffer[this.head] = undefined
    this.head = (this.head + 1) % this.maxLines
    this.count--
    this.chars -= line.text.length
  }
}
