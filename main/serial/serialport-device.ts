import { SerialPort } from 'serialport'
import { describeSerialError } from './serial-errors'

/** The Web Serial signals esptool-js sets; undefined means "leave as is". */
export interface SignalsRequest {
  dataTerminalReady?: boolean
  requestToSend?: boolean
  break?: boolean
}

/** The part of a serialport port the adapter uses; tests and the emulator may pass their own. */
export interface NodeSerialPort {
  readonly isOpen: boolean
  open(callback: (error: Error | null) => void): void
  close(callback: (error: Error | null) => void): void
  write(data: Uint8Array, callback: (error: Error | null | undefined) => void): boolean
  set(
    options: { dtr: boolean; rts: boolean; brk: boolean },
    callback: (error: Error | null) => void,
  ): void
  update(options: { baudRate: number }, callback: (error: Error | null) => void): void
  on(event: 'data', listener: (chunk: Buffer) => void): this
  on(event: 'close', listener: (error?: Error & { disconnected?: boolean }) => void): this
  on(event: 'error', listener: (error: Error) => void): this
  removeAllListeners(): this
}

export type OpenNodeSerialPort = (options: { path: string; baudRate: number }) => NodeSerialPort

const openWithSerialport: OpenNodeSerialPort = ({ path, baudRate }) =>
  new SerialPort({
    path,
    baudRate,
    autoOpen: false,
    lock: true,
    hupcl: false,
  }) as unknown as NodeSerialPort

export interface SerialportDeviceOptions {
  path: string
  usbVendorId?: number
  usbProductId?: number
  /** Told once when the port cannot drive DTR/RTS (pseudo-terminals, some adapters). */
  onWarning?: (message: string) => void
  openPort?: OpenNodeSerialPort
}

/**
 * A Web-Serial-like port over the `serialport` package, for esptool-js's `Transport`: fresh
 * streams on every open (a baud change may close and re-open), DTR and RTS tracked and always set
 * together (serialport fills unspecified lines with "asserted", which breaks reset sequences), an
 * in-place `setBaudRate`, and device loss surfaced as Web Serial does it: a `disconnect` event and
 * a `NetworkError` on the readable stream.
 */
export class SerialportDevice extends EventTarget {
  readable: ReadableStream<Uint8Array> | null = null
  writable: WritableStream<Uint8Array> | null = null
  private port: NodeSerialPort | null = null
  private dtr = false
  private rts = false
  private warnedSignals = false
  /** Set when the device vanished; later operations fail with it. */
  lostError: Error | null = null

  constructor(private readonly options: SerialportDeviceOptions) {
    super()
  }

  get path(): string {
    return this.options.path
  }

  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    return { usbVendorId: this.options.usbVendorId, usbProductId: this.options.usbProductId }
  }

  async open({ baudRate }: { baudRate: number }): Promise<void> {
    if (this.port?.isOpen) throw new DOMException('The port is already open.', 'InvalidStateError')
    const port = (this.options.openPort ?? openWithSerialport)({
      path: this.options.path,
      baudRate,
    })
    await new Promise<void>((resolve, reject) =>
      port.open((error) =>
        error ? reject(describeSerialError(this.options.path, error)) : resolve(),
      ),
    )
    this.port = port
    this.lostError = null
    let controller!: ReadableStreamDefaultController<Uint8Array>
    let closed = false
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c
      },
      cancel: () => {
        closed = true
      },
    })
    port.on('data', (chunk) => {
      if (!closed)
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    })
    port.on('error', () => {
      // Errors arrive with the failed call or as a 'close'; an unhandled 'error' would crash main.
    })
    port.on('close', (error) => {
      if (closed) return
      closed = true
      if (error?.disconnected) {
        this.lostError = describeSerialError(
          this.options.path,
          Object.assign(new Error('disconnected'), { code: 'EIO' }),
        )
        controller.error(new DOMException('The device has been lost.', 'NetworkError'))
        // Web Serial's signal that the device is gone (unplugged, or re-enumerated after a reset).
        this.dispatchEvent(new Event('disconnect'))
      } else {
        controller.close()
      }
    })
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          if (!port.isOpen)
            return reject(
              this.lostError ?? new DOMException('The port is closed.', 'InvalidStateError'),
            )
          port.write(chunk, (error) =>
            error ? reject(describeSerialError(this.options.path, error)) : resolve(),
          )
        }),
    })
  }

  async setSignals(signals: SignalsRequest): Promise<void> {
    if (signals.dataTerminalReady !== undefined) this.dtr = signals.dataTerminalReady
    if (signals.requestToSend !== undefined) this.rts = signals.requestToSend
    const port = this.port
    if (!port?.isOpen)
      throw this.lostError ?? new DOMException('The port is closed.', 'InvalidStateError')
    try {
      await new Promise<void>((resolve, reject) =>
        port.set({ dtr: this.dtr, rts: this.rts, brk: signals.break ?? false }, (error) =>
          error ? reject(error) : resolve(),
        ),
      )
    } catch (error) {
      if (!port.isOpen) throw this.lostError ?? describeSerialError(this.options.path, error)
      // Pseudo-terminals and some adapters have no modem-control lines: carry on and say so once;
      // the job says what to do about it at the step it is on.
      if (!this.warnedSignals) {
        this.warnedSignals = true
        this.options.onWarning?.(
          `${this.options.path} cannot drive DTR/RTS (${(error as Error).message}), so FieldFlash cannot reset the board by itself.`,
        )
      }
    }
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.port
    if (!port?.isOpen)
      throw this.lostError ?? new DOMException('The port is closed.', 'InvalidStateError')
    await new Promise<void>((resolve, reject) =>
      port.update({ baudRate }, (error) =>
        error ? reject(describeSerialError(this.options.path, error)) : resolve(),
      ),
    )
  }

  async close(): Promise<void> {
    const port = this.port
    this.port = null
    const readable = this.readable
    this.readable = null
    this.writable = null
    if (readable && !readable.locked) await readable.cancel().catch(() => undefined)
    if (port?.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()))
    }
    port?.removeAllListeners()
  }
}
