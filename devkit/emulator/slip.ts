// SLIP framing as used by the ESP serial ROM loader, its flasher stub and esptool(-js):
// a frame starts and ends with 0xC0; inside it 0xC0 is sent as 0xDB 0xDC and 0xDB as 0xDB 0xDD.
// Source: esptool docs, docs/en/advanced-topics/serial-protocol.rst ("Low Level Protocol").

export const SLIP_END = 0xc0
export const SLIP_ESC = 0xdb
export const SLIP_ESC_END = 0xdc
export const SLIP_ESC_ESC = 0xdd

/** Wraps one packet in a SLIP frame, escaping 0xC0 and 0xDB in the payload. */
export function slipEncode(payload: Uint8Array): Uint8Array {
  let escapes = 0
  for (const byte of payload) if (byte === SLIP_END || byte === SLIP_ESC) escapes++
  const frame = new Uint8Array(payload.length + escapes + 2)
  let at = 0
  frame[at++] = SLIP_END
  for (const byte of payload) {
    if (byte === SLIP_END) {
      frame[at++] = SLIP_ESC
      frame[at++] = SLIP_ESC_END
    } else if (byte === SLIP_ESC) {
      frame[at++] = SLIP_ESC
      frame[at++] = SLIP_ESC_ESC
    } else {
      frame[at++] = byte
    }
  }
  frame[at] = SLIP_END
  return frame
}

/** Why the decoder dropped bytes: noise between frames, or a frame with a bad escape. */
export type SlipDropReason = 'noise-outside-frame' | 'invalid-escape'

/**
 * Reassembles SLIP frames from a byte stream that arrives in arbitrary pieces.
 * Bytes outside a frame are dropped (the ROM ignores line noise between packets);
 * two 0xC0 in a row are an empty frame boundary, not an empty packet.
 */
export class SlipDecoder {
  private buffer = new Uint8Array(256)
  private length = 0
  private inFrame = false
  private escaping = false

  constructor(
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly onDrop: (reason: SlipDropReason, byteCount: number) => void = () => {},
  ) {}

  /** Feeds received bytes; calls `onFrame` once per complete frame, in order. */
  push(bytes: Uint8Array): void {
    let noise = 0
    for (const byte of bytes) {
      if (!this.inFrame) {
        if (byte === SLIP_END) {
          this.inFrame = true
          this.length = 0
          this.escaping = false
        } else {
          noise++
        }
        continue
      }
      if (this.escaping) {
        this.escaping = false
        if (byte === SLIP_ESC_END) this.append(SLIP_END)
        else if (byte === SLIP_ESC_ESC) this.append(SLIP_ESC)
        else {
          this.onDrop('invalid-escape', this.length + 2)
          this.inFrame = false
          this.length = 0
        }
        continue
      }
      if (byte === SLIP_ESC) {
        this.escaping = true
      } else if (byte === SLIP_END) {
        if (this.length === 0) continue // 0xC0 0xC0: end of one frame, start of the next
        const frame = this.buffer.slice(0, this.length)
        this.inFrame = false
        this.length = 0
        this.onFrame(frame)
      } else {
        this.append(byte)
      }
    }
    if (noise > 0) this.onDrop('noise-outside-frame', noise)
  }

  /** Forgets a half-received frame (the receiver was reset). */
  reset(): void {
    this.inFrame = false
    this.escaping = false
    this.length = 0
  }

  private append(byte: number): void {
    if (this.length === this.buffer.length) {
      const bigger = new Uint8Array(this.buffer.length * 2)
      bigger.set(this.buffer)
      this.buffer = bigger
    }
    this.buffer[this.length++] = byte
  }
}
