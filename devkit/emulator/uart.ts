// One direction of a UART wire: 8N1 framing puts 10 bits on the line per byte, so a line at
// `baud` carries baud / 10 bytes per second. Bytes are delivered in small slices at the moment
// their last bit would have arrived, so throughput and latency match the configured rate.

/** Time one byte occupies an 8N1 line, in milliseconds. */
export function byteTimeMs(baud: number): number {
  return 10_000 / baud
}

/** How long a slice of the line may last before it is delivered, in milliseconds. */
const SLICE_MS = 2

interface Slice {
  bytes: Uint8Array
  baud: number
  due: number
  done?: () => void
}

/** A paced, ordered byte pipe; `deliver` receives each slice with the baud rate it was sent at. */
export class PacedLine {
  private slices: Slice[] = []
  private busyUntil = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly deliver: (bytes: Uint8Array, baud: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Queues bytes sent at `baud`. With `paced`, they arrive over bytes × 10 / baud seconds after the
   * line is free; without, as soon as the event loop turns. Resolves once the last byte arrived.
   */
  send(bytes: Uint8Array, baud: number, paced: boolean): Promise<void> {
    if (bytes.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const start = Math.max(this.now(), this.busyUntil)
      if (!paced) {
        this.slices.push({ bytes: bytes.slice(), baud, due: start, done: resolve })
      } else {
        const perByte = byteTimeMs(baud)
        const perSlice = Math.max(1, Math.floor(SLICE_MS / perByte))
        for (let at = 0; at < bytes.length; at += perSlice) {
          const end = Math.min(bytes.length, at + perSlice)
          const last = end === bytes.length
          this.slices.push({
            bytes: bytes.slice(at, end),
            baud,
            due: start + end * perByte,
            done: last ? resolve : undefined,
          })
        }
        this.busyUntil = start + bytes.length * perByte
      }
      this.schedule()
    })
  }

  /** Drops everything not yet delivered (the sender was reset or unplugged); pending sends resolve. */
  clear(): void {
    const dropped = this.slices
    this.slices = []
    this.busyUntil = 0
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    for (const slice of dropped) slice.done?.()
  }

  /** Bytes queued but not yet delivered. */
  get pendingBytes(): number {
    return this.slices.reduce((sum, s) => sum + s.bytes.length, 0)
  }

  private schedule(): void {
    if (this.timer || this.slices.length === 0) return
    const first = this.slices[0]
    const wait = first ? Math.max(0, first.due - this.now()) : 0
    this.timer = setTimeout(() => this.pump(), wait)
  }

  private pump(): void {
    this.timer = undefined
    const now = this.now()
    while (this.slices.length > 0) {
      const slice = this.slices[0]
      if (!slice || slice.due > now + 0.25) break
      this.slices.shift()
      this.deliver(slice.bytes, slice.baud)
      slice.done?.()
    }
    this.schedule()
  }
}

/**
 * What a receiver decodes when the line runs at a rate it cannot follow: different bytes, the same
 * count. The noise never contains 0xC0, so it can never be mistaken for the start of a SLIP frame.
 */
export class LineNoise {
  private state: number

  constructor(seed = 0x2545f491) {
    this.state = seed >>> 0 || 1
  }

  corrupt(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(bytes.length)
    for (let i = 0; i < bytes.length; i++) {
      // xorshift32
      let x = this.state
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      this.state = x >>> 0
      let value = ((bytes[i] ?? 0) ^ this.state) & 0xff
      if (value === 0xc0) value = 0x00
      out[i] = value
    }
    return out
  }
}
