// A Web-Serial-like port wired to an emulated board, shaped for esptool-js 0.7.0's `Transport`
// (node_modules/esptool-js/lib/webserial.js): open/close, `readable`/`writable` web streams
// (fresh ones after every open; a new `readable` after a cancelled one, as Chromium does),
// setSignals, getInfo and the optional in-place `setBaudRate`.

import { LineNoise } from './uart'
import type { HostLink, RomLoaderEmulator } from './rom-loader-emulator'

/** USB ids of a CP2102 USB-UART bridge, the classic dev-board wiring. */
export const CP2102 = { usbVendorId: 0x10c4, usbProductId: 0xea60 } as const
/** USB ids of Espressif's USB-Serial/JTAG peripheral (esploader.js ESPRESSIF_VID / USB_JTAG_SERIAL_PID). */
export const USB_JTAG_SERIAL = { usbVendorId: 0x303a, usbProductId: 0x1001 } as const

export interface InProcessPortOptions {
  usbVendorId?: number
  usbProductId?: number
  /** Offer `setBaudRate` so esptool-js changes speed without re-opening (default true). */
  inPlaceBaudChange?: boolean
}

export interface SerialSignals {
  dataTerminalReady?: boolean
  requestToSend?: boolean
  break?: boolean
}

/** The error Chromium's Web Serial raises once the device is gone. */
function deviceLostError(message = 'The device has been lost.'): DOMException {
  return new DOMException(message, 'NetworkError')
}

/** A Web-Serial-like port for esptool-js, backed by a `RomLoaderEmulator`. */
export class InProcessSerialPort extends EventTarget {
  /** Present unless `inPlaceBaudChange: false`; esptool-js 0.7.0 prefers it to re-opening. */
  readonly setBaudRate?: (baudRate: number) => Promise<void>

  private readonly info: { usbVendorId: number; usbProductId: number }
  private readonly noise = new LineNoise(0x1234567)
  private isOpen = false
  private lost = false
  private baud = 0
  private detach: (() => void) | undefined
  private readableStream: ReadableStream<Uint8Array> | undefined
  private readableController: ReadableStreamDefaultController<Uint8Array> | undefined
  private writableStream: WritableStream<Uint8Array> | undefined
  private writableController: WritableStreamDefaultController | undefined

  constructor(
    readonly emulator: RomLoaderEmulator,
    options: InProcessPortOptions = {},
  ) {
    super()
    const defaults = emulator.resetCircuit === 'usb-jtag-serial' ? USB_JTAG_SERIAL : CP2102
    this.info = {
      usbVendorId: options.usbVendorId ?? defaults.usbVendorId,
      usbProductId: options.usbProductId ?? defaults.usbProductId,
    }
    if (options.inPlaceBaudChange ?? true) {
      this.setBaudRate = async (baudRate: number) => {
        if (!this.isOpen) throw new DOMException('The port is closed.', 'InvalidStateError')
        this.baud = baudRate
      }
    }
  }

  /** The host-side baud rate (0 while closed). */
  get baudRate(): number {
    return this.isOpen ? this.baud : 0
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (!this.isOpen || this.lost) return null
    this.readableStream ??= this.createReadable()
    return this.readableStream
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (!this.isOpen || this.lost) return null
    this.writableStream ??= this.createWritable()
    return this.writableStream
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { ...this.info }
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (this.isOpen) throw new DOMException('The port is already open.', 'InvalidStateError')
    if (this.emulator.state === 'unplugged') throw deviceLostError('Failed to open serial port.')
    if (!(options.baudRate > 0))
      throw new TypeError('Requested baud rate must be greater than zero.')
    this.isOpen = true
    this.lost = false
    this.baud = options.baudRate
    this.detach = this.emulator.attachHost(this.hostLink())
    // Opening a tty on Linux raises DTR and RTS (HUPCL); on the auto-reset circuit that is harmless.
    this.emulator.setControlLines({ dtr: true, rts: true })
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new DOMException('The port is already closed.', 'InvalidStateError')
    if (this.readableStream?.locked || this.writableStream?.locked) {
      throw new TypeError('Cannot close a port while its streams are locked.')
    }
    await this.readableStream?.cancel().catch(() => {})
    await this.writableStream?.abort().catch(() => {})
    this.readableStream = undefined
    this.writableStream = undefined
    this.detach?.()
    this.detach = undefined
    this.isOpen = false
    // Closing drops DTR and RTS again.
    if (!this.lost) this.emulator.setControlLines({ dtr: false, rts: false })
  }

  async setSignals(signals: SerialSignals): Promise<void> {
    if (!this.isOpen || this.lost)
      throw new DOMException('The port is closed.', 'InvalidStateError')
    this.emulator.setControlLines({ dtr: signals.dataTerminalReady, rts: signals.requestToSend })
  }

  async getSignals(): Promise<{
    clearToSend: boolean
    dataCarrierDetect: boolean
    dataSetReady: boolean
    ringIndicator: boolean
  }> {
    if (!this.isOpen || this.lost)
      throw new DOMException('The port is closed.', 'InvalidStateError')
    return {
      clearToSend: false,
      dataCarrierDetect: false,
      dataSetReady: false,
      ringIndicator: false,
    }
  }

  private hostLink(): HostLink {
    return {
      receive: (bytes, senderBaud) => {
        const controller = this.readableController
        if (!this.isOpen || !controller || !this.readableStream) return
        const rateMatches = this.emulator.isUsbCdc || senderBaud === this.baud
        try {
          controller.enqueue(rateMatches ? bytes.slice() : this.noise.corrupt(bytes))
        } catch {
          // stream already closed or errored
        }
      },
      deviceLost: () => this.onDeviceLost(),
    }
  }

  private onDeviceLost(): void {
    if (!this.isOpen || this.lost) return
    this.lost = true
    const error = deviceLostError()
    try {
      this.readableController?.error(error)
    } catch {
      // already closed
    }
    try {
      this.writableController?.error(error)
    } catch {
      // already closed
    }
    this.readableController = undefined
    this.writableController = undefined
    this.detach?.()
    this.detach = undefined
    this.dispatchEvent(new Event('disconnect'))
  }

  private createReadable(): ReadableStream<Uint8Array> {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.readableController = controller
      },
      cancel: () => {
        // A cancelled readable is replaced by a fresh one on the next access.
        if (this.readableStream === stream) {
          this.readableStream = undefined
          this.readableController = undefined
        }
      },
    })
    return stream
  }

  private createWritable(): WritableStream<Uint8Array> {
    const stream = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writableController = controller
      },
      write: async (chunk) => {
        if (this.lost) throw deviceLostError()
        await this.emulator.fromHost(chunk, this.baud)
      },
      close: () => {
        if (this.writableStream === stream) this.writableStream = undefined
      },
      abort: () => {
        if (this.writableStream === stream) this.writableStream = undefined
      },
    })
    return stream
  }
}
