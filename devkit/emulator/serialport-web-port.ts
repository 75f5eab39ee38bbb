// Test-only: a minimal Web-Serial-like wrapper around the `serialport` package, so esptool-js 0.7.0
// can run over a real pty. Not the app's adapter (main/serial/serialport-device.ts): a second,
// independent one, so the pty emulator is proven end to end without the code it tests. DTR and RTS are forwarded together because @serialport/stream's
// set() fills unspecified lines with defaults (STYLE.md, known traps).

import { SerialPort } from 'serialport'

function lostError(): DOMException {
  return new DOMException('The device has been lost.', 'NetworkError')
}

/** A Web-Serial-like port over a path opened with `serialport`. */
export class SerialportWebPort extends EventTarget {
  private port: SerialPort | undefined
  private lost = false
  private lines = { dtr: false, rts: false }
  private readableStream: ReadableStream<Uint8Array> | undefined
  private readableController: ReadableStreamDefaultController<Uint8Array> | undefined
  private writableStream: WritableStream<Uint8Array> | undefined

  constructor(readonly path: string) {
    super()
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (!this.port?.isOpen || this.lost) return null
    if (!this.readableStream) {
      const stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
        start: (controller) => {
          this.readableController = controller
        },
        cancel: () => {
          if (this.readableStream === stream) {
            this.readableStream = undefined
            this.readableController = undefined
          }
        },
      })
      this.readableStream = stream
    }
    return this.readableStream
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (!this.port?.isOpen || this.lost) return null
    this.writableStream ??= new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          const port = this.port
          if (!port || this.lost) return reject(lostError())
          port.write(Buffer.from(chunk), (error) =>
            error ? reject(error) : port.drain(() => resolve()),
          )
        }),
    })
    return this.writableStream
  }

  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    return {}
  }

  async open(options: { baudRate: number }): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: options.baudRate, autoOpen: false })
    await new Promise<void>((resolve, reject) =>
      port.open((error) => (error ? reject(error) : resolve())),
    )
    this.port = port
    this.lost = false
    port.on('data', (chunk: Buffer) => {
      try {
        this.readableController?.enqueue(new Uint8Array(chunk))
      } catch {
        // stream closed
      }
    })
    port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      if (!error?.disconnected) return
      this.lost = true
      try {
        this.readableController?.error(lostError())
      } catch {
        // already errored
      }
      this.dispatchEvent(new Event('disconnect'))
    })
    port.on('error', () => {})
  }

  async close(): Promise<void> {
    const port = this.port
    this.port = undefined
    await this.readableStream?.cancel().catch(() => {})
    this.readableStream = undefined
    this.readableController = undefined
    this.writableStream = undefined
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }

  async setSignals(signals: {
    dataTerminalReady?: boolean
    requestToSend?: boolean
  }): Promise<void> {
    this.lines = {
      dtr: signals.dataTerminalReady ?? this.lines.dtr,
      rts: signals.requestToSend ?? this.lines.rts,
    }
    const port = this.port
    if (!port) throw new DOMException('The port is closed.', 'InvalidStateError')
    await new Promise<void>((resolve, reject) =>
      port.set({ dtr: this.lines.dtr, rts: this.lines.rts }, (error) =>
        error ? reject(error) : resolve(),
      ),
    )
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.port
    if (!port) throw new DOMException('The port is closed.', 'InvalidStateError')
    await new Promise<void>((resolve, reject) =>
      port.update({ baudRate }, (error) => (error ? reject(error) : resolve())),
    )
  }
}
