// Test-only: a bare host end of the wire that sends request frames and collects response frames,
// for protocol-level tests that do not need esptool-js.

import { buildRequest, parseResponse, type ResponsePacket } from '../../devkit/emulator/protocol'
import type { HostLink, RomLoaderEmulator } from '../../devkit/emulator/rom-loader-emulator'
import { SlipDecoder, slipEncode } from '../../devkit/emulator/slip'

export class FakeHost implements HostLink {
  readonly frames: Uint8Array[] = []
  readonly rawBytes: number[] = []
  lost = false
  private readonly decoder = new SlipDecoder((frame) => this.frames.push(frame))

  constructor(
    private readonly emulator: RomLoaderEmulator,
    readonly baud = 115200,
  ) {
    emulator.attachHost(this)
  }

  receive(bytes: Uint8Array): void {
    this.rawBytes.push(...bytes)
    this.decoder.push(bytes)
  }

  deviceLost(): void {
    this.lost = true
  }

  /** Sends one request frame. */
  send(op: number, data: Uint8Array = new Uint8Array(0), checksum = 0): Promise<void> {
    return this.emulator.fromHost(slipEncode(buildRequest(op, data, checksum)), this.baud)
  }

  /** Sends raw bytes (already framed, or deliberately not). */
  sendRaw(bytes: Uint8Array): Promise<void> {
    return this.emulator.fromHost(bytes, this.baud)
  }

  /**
   * Waits until `count` frames have arrived in total, then returns them all. No deadline of its
   * own: the test's timeout ends a wait for a frame that never comes.
   */
  async waitForFrames(count: number): Promise<Uint8Array[]> {
    while (this.frames.length < count) await new Promise((resolve) => setTimeout(resolve, 2))
    return this.frames.slice()
  }

  /** Sends a request and returns its first response (skipping frames already collected). */
  async request(op: number, data?: Uint8Array, checksum?: number): Promise<ResponsePacket> {
    const before = this.frames.length
    await this.send(op, data, checksum)
    const frames = await this.waitForFrames(before + 1)
    const response = parseResponse(frames[before] ?? new Uint8Array(0))
    if (!response) throw new Error('the first frame back was not a response')
    return response
  }

  /** Drops everything collected so far. */
  clear(): void {
    this.frames.length = 0
    this.rawBytes.length = 0
  }
}

/**
 * Lets pending timers and I/O run for `ms`: only before checking that nothing more arrived (a
 * loaded machine can then miss a late frame, never fail a correct emulator).
 */
export const settle = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))
