import { ESPError, Transport } from 'esptool-js'

// esptool-js's Transport with its SLIP packet reader made linear. The library grows each packet
// one byte at a time, a new array per byte: a 4 KiB packet (every block readFlash returns) costs
// megabytes of copying, milliseconds of main thread per packet, tens when several boards are read
// at once (found in a CPU profile of the station). Same packets, same errors, same buffering.

const SLIP_END = 0xc0
const SLIP_ESC = 0xdb
const SLIP_ESC_END = 0xdc
const SLIP_ESC_ESC = 0xdd

/** The parts of Transport that its reader uses and TypeScript calls private. */
interface TransportInternals {
  buffer: Uint8Array
  detectPanicHandler(input: Uint8Array): void
}

export class LinearTransport extends Transport {
  /** The first well-formed SLIP packet, unescaped (esptool-js's `read`, in linear time). */
  override async read(timeout: number): Promise<Uint8Array> {
    const internals = this as unknown as TransportInternals
    let packet: PacketBytes | null = null
    let escaping = false
    for (;;) {
      const started = Date.now()
      let bytes: Uint8Array = new Uint8Array(0)
      // Wait for data, then take all that is there at once.
      while (Date.now() - started < timeout) {
        if (internals.buffer.length > 0) {
          bytes = internals.buffer
          internals.buffer = new Uint8Array(0)
          break
        }
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      if (bytes.length === 0) {
        throw new ESPError(
          packet === null
            ? 'Serial data stream stopped: Possible serial noise or corruption.'
            : 'No serial data received.',
        )
      }
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i]!
        if (packet === null) {
          if (byte !== SLIP_END) {
            internals.detectPanicHandler(concat(bytes, internals.buffer))
            throw new ESPError(
              `Invalid head of packet (0x${byte.toString(16)}): Possible serial noise or corruption.`,
            )
          }
          packet = new PacketBytes()
        } else if (escaping) {
          escaping = false
          if (byte === SLIP_ESC_END) packet.push(SLIP_END)
          else if (byte === SLIP_ESC_ESC) packet.push(SLIP_ESC)
          else {
            internals.detectPanicHandler(concat(bytes, internals.buffer))
            throw new ESPError(`Invalid SLIP escape (0xdb, 0x${byte.toString(16)})`)
          }
        } else if (byte === SLIP_ESC) {
          escaping = true
        } else if (byte === SLIP_END) {
          // What came after the packet goes back in front of the buffer.
          if (i + 1 < bytes.length)
            internals.buffer = concat(bytes.subarray(i + 1), internals.buffer)
          return packet.bytes()
        } else {
          packet.push(byte)
        }
      }
    }
  }
}

/** A packet's bytes in a buffer that doubles as it fills. */
class PacketBytes {
  private data = new Uint8Array(256)
  private length = 0
  push(byte: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint8Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.length++] = byte
  }
  bytes(): Uint8Array {
    return this.data.slice(0, this.length)
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
