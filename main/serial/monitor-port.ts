import { SerialPort } from 'serialport'

/** What the monitor is told about the open port. */
export interface PortHandlers {
  data(chunk: Uint8Array): void
  /** The port closed without being asked to (unplugged, read error); `error` says why. */
  lost(error: Error): void
}

/** The modem control lines the monitor drives; both are always sent together. */
export interface ControlSignals {
  dtr: boolean
  rts: boolean
}

/** An open port, reduced to what the monitor needs. */
export interface OpenedPort {
  setSignals(signals: ControlSignals): Promise<void>
  /** Writes bytes to the board and waits until they have left. */
  write(data: Uint8Array): Promise<void>
  /** Closes the port; never throws (the port may already be gone). */
  close(): Promise<void>
}

/** Opens a port; tests substitute a fake, the app uses {@link openSerialPort}. */
export type PortOpener = (
  request: { path: string; baudRate: number },
  handlers: PortHandlers,
) => Promise<OpenedPort>

/** Opens a real serial port with the `serialport` package (native bindings). */
export const openSerialPort: PortOpener = async ({ path, baudRate }, handlers) => {
  const port = new SerialPort({ path, baudRate, autoOpen: false })
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  )
  let closing = false
  port.on('data', (chunk: Buffer) => handlers.data(chunk))
  // serialport reports an unplugged device as a 'close' with an error whose `disconnected` is set.
  port.on('close', (error?: Error | null) => {
    if (!closing) handlers.lost(error ?? Object.assign(new Error('disconnected'), { code: 'EIO' }))
  })
  port.on('error', (error: Error) => {
    if (closing) return
    closing = true
    handlers.lost(error)
    if (port.isOpen) port.close(() => undefined)
  })
  return {
    setSignals: (signals) =>
      new Promise<void>((resolve, reject) =>
        // Both lines every time: @serialport/stream fills a line left out with its default (true).
        port.set({ dtr: signals.dtr, rts: signals.rts }, (error) =>
          error ? reject(error) : resolve(),
        ),
      ),
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(data), (error) => {
          if (error) return reject(error)
          port.drain((drained) => (drained ? reject(drained) : resolve()))
        })
      }),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true
        if (!port.isOpen) return resolve()
        port.close(() => resolve())
      }),
  }
}
