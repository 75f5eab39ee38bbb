import { access } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { resetIntoFirmware } from '../serial/board-reset'
import { usePort, type PortLease } from '../leases/port-lease'
import { describeSerialError } from '../serial/serial-errors'
import { writeFileAtomically } from '../shared/atomic-file'
import { FieldFlashError, invalidInput, type ErrorCode } from '../shared/errors'
import { LineRing, type MonitorLine } from './line-ring'
import { LineSplitter } from './line-splitter'
import {
  openSerialPort,
  type ControlSignals,
  type OpenedPort,
  type PortOpener,
} from '../serial/monitor-port'
import {
  identifyPort,
  refindPort,
  systemPortLister,
  type PortIdentity,
  type PortLister,
} from '../serial/port-identity'

export type { MonitorLine } from './line-ring'

/** Speeds a technician may pick; ESP boards print at 115200 by default. */
export const DEFAULT_BAUD_RATE = 115_200
const MAX_BAUD_RATE = 12_000_000

export type MonitorState = 'open' | 'reconnecting' | 'closed'

/** What listeners receive: lines in batches, a few times a second, and everything else at once. */
export type MonitorUpdate =
  | {
      kind: 'lines'
      lines: MonitorLine[]
      /** Lines this listener did not get (its `maxLinesPerUpdate`, or the ring overflowed while paused). */
      skipped: number
    }
  | { kind: 'state'; state: MonitorState; path: string }
  /** The monitor reset the board (EN): a new boot follows. */
  | { kind: 'reset' }
  | { kind: 'cleared' }
  | { kind: 'error'; code: ErrorCode; message: string }

export type MonitorListener = (update: MonitorUpdate) => void

export interface SubscribeOptions {
  /** Keep receiving lines while the monitor is paused (the verification watcher does). */
  ignorePause?: boolean
  /** Deliver at most this many of the newest lines per update; the rest count as skipped. */
  maxLinesPerUpdate?: number
}

export interface ReconnectOptions {
  /** Who to look for; found from `list` at open when left out. */
  identity?: PortIdentity
  /** Ports of the system; `listPorts`-style, injectable for tests. */
  list?: PortLister
  intervalMs?: number
  /** Give up after this long without the device (default 15 s). */
  timeoutMs?: number
}

export interface SerialMonitorOptions {
  path: string
  baudRate?: number
  /** Lines kept for display and saving (default 10 000). */
  ringLines?: number
  /** Characters kept at most across those lines (default 4 Mi). */
  ringChars?: number
  /** How often batched lines are delivered (default 250 ms). */
  batchIntervalMs?: number
  /** Deliver at once when this many lines wait, so memory stays bounded in a flood (default 20 000). */
  maxPendingLines?: number
  /** How often the port's path is checked for presence (default 1000 ms; 0 turns it off). */
  presenceIntervalMs?: number
  /** Find a board again that re-enumerated after a reset or re-plug (native USB). Off by default. */
  reconnect?: ReconnectOptions | false
  openPort?: PortOpener
  /** The port, when the caller's job already holds it; otherwise the console takes it. */
  lease?: PortLease | null
  /** Who the console is for, in words, for a job refused the port meanwhile. */
  holder?: string
  /** Milliseconds since the epoch, for timestamps. */
  clock?: () => number
}

export interface MonitorStats {
  lines: number
  bytes: number
  updates: number
  ringLines: number
  ringChars: number
}

export interface MonitorEnd {
  /** `closed`: close() was called. `lost`: the board went away and was not found again. */
  reason: 'closed' | 'lost'
  error: FieldFlashError | null
}

/** A live serial console. Create it with {@link openSerialMonitor}. */
export interface SerialMonitor {
  /** The port's current path (it may change when a native-USB board re-enumerates). */
  readonly path: string
  readonly baudRate: number
  readonly state: MonitorState
  readonly paused: boolean
  /** Resolves once the monitor has ended for good, with why. */
  readonly ended: Promise<MonitorEnd>
  subscribe(listener: MonitorListener, options?: SubscribeOptions): () => void
  /** The recent lines still in the ring, oldest first. */
  recentLines(): MonitorLine[]
  /** Holds line delivery to display listeners; lines keep arriving into the ring. */
  pause(): void
  /** Delivers what arrived while paused (as much as the ring still holds) and goes on. */
  resume(): void
  /** Empties the ring and tells listeners to clear their view. */
  clear(): void
  /** Sets DTR and/or RTS; the other line keeps its last value. */
  setSignals(signals: Partial<ControlSignals>): Promise<void>
  /** Resets the board through EN (RTS) with IO0 (DTR) released, so it boots the firmware. */
  resetBoard(): Promise<void>
  /** Sends one line to the board (the LF is added): FieldFlash's side of a registration. */
  send(line: string): Promise<void>
  /** Writes the recent lines to `file` atomically (temp file + rename). */
  saveLog(
    file: string,
    options?: { timestamps?: boolean },
  ): Promise<{ path: string; lines: number }>
  stats(): MonitorStats
  /** Stops monitoring and releases the port. Safe to call more than once. */
  close(): Promise<void>
}

/**
 * Opens a serial console on `options.path`: splits and decodes lines, timestamps them, keeps a
 * bounded ring of recent lines and delivers them to listeners in batches. Port errors become
 * FieldFlash codes through `describeSerialError`; a board that goes away is reported within about
 * a second and its port is released.
 */
export async function openSerialMonitor(options: SerialMonitorOptions): Promise<SerialMonitor> {
  const baudRate = options.baudRate ?? DEFAULT_BAUD_RATE
  if (!Number.isInteger(baudRate) || baudRate < 300 || baudRate > MAX_BAUD_RATE) {
    throw invalidInput('baud', `must be a whole number from 300 to ${MAX_BAUD_RATE}`)
  }
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw invalidInput('port', 'is required (for example /dev/ttyUSB0 or COM3)')
  }
  // The port is this console's until it ends (or the caller's job's, passed on as `lease`).
  const use = usePort(options.path, options.holder ?? 'the serial console', options.lease)
  const monitor = new Monitor(options, baudRate, use.lease)
  try {
    await monitor.start()
  } catch (error) {
    use.done()
    throw error
  }
  void monitor.ended.then(() => use.done())
  return monitor
}

interface ListenerEntry {
  fn: MonitorListener
  ignorePause: boolean
  maxLines: number
}

class Monitor implements SerialMonitor {
  path: string
  state: MonitorState = 'closed'
  paused = false
  readonly ended: Promise<MonitorEnd>

  private port: OpenedPort | null = null
  private readonly splitter = new LineSplitter()
  private readonly ring: LineRing
  private readonly listeners = new Set<ListenerEntry>()
  private pending: MonitorLine[] = []
  private batchTimer: NodeJS.Timeout | null = null
  private presenceTimer: NodeJS.Timeout | null = null
  /** Bumped whenever presence watching stops or restarts, so an old check never acts. */
  private presenceGeneration = 0
  private seq = 0
  private bytes = 0
  private updates = 0
  private pausedAfterSeq = 0
  private signals: ControlSignals = { dtr: true, rts: true }
  private identity: PortIdentity | null = null
  private readonly halt = new AbortController()
  private finish!: (end: MonitorEnd) => void
  private readonly openPort: PortOpener
  private readonly clock: () => number

  constructor(
    private readonly options: SerialMonitorOptions,
    readonly baudRate: number,
    /** The port's lease: it follows the board to a new path. */
    private readonly lease: PortLease,
  ) {
    this.path = options.path
    this.ring = new LineRing(options.ringLines ?? 10_000, options.ringChars ?? 4 * 1024 * 1024)
    this.openPort = options.openPort ?? openSerialPort
    this.clock = options.clock ?? Date.now
    this.ended = new Promise((resolve) => (this.finish = resolve))
  }

  async start(): Promise<void> {
    this.port = await this.connect(this.path)
    this.state = 'open'
    this.watchPresence()
    const reconnect = this.options.reconnect
    if (reconnect) {
      this.identity =
        reconnect.identity ??
        (await identifyPort(this.path, reconnect.list ?? systemPortLister).catch(() => null))
    }
  }

  private async connect(path: string): Promise<OpenedPort> {
    // Each connection has its own handlers, so a late event of a port already given up is ignored.
    let port: OpenedPort | null = null
    let gone = false
    try {
      port = await this.openPort(
        { path, baudRate: this.baudRate },
        {
          data: (chunk) => {
            if (!gone) this.receive(chunk)
          },
          lost: (error) => {
            if (gone) return
            gone = true
            void this.lose(lostError(path, error))
          },
        },
      )
    } catch (error) {
      throw describeSerialError(path, error)
    }
    this.signals = { dtr: true, rts: true } // what the OS asserts when it opens a port
    const opened = port
    return {
      setSignals: (s) => opened.setSignals(s),
      write: (data) => opened.write(data),
      close: async () => {
        gone = true
        await opened.close()
      },
    }
  }

  subscribe(fn: MonitorListener, options: SubscribeOptions = {}): () => void {
    const entry: ListenerEntry = {
      fn,
      ignorePause: options.ignorePause ?? false,
      maxLines: options.maxLinesPerUpdate ?? Infinity,
    }
    this.listeners.add(entry)
    return () => this.listeners.delete(entry)
  }

  recentLines(): MonitorLine[] {
    return this.ring.toArray()
  }

  pause(): void {
    if (this.paused) return
    this.flush()
    this.paused = true
    this.pausedAfterSeq = this.seq
  }

  resume(): void {
    if (!this.paused) return
    this.flush()
    this.paused = false
    const held = this.ring.toArray().filter((line) => line.seq > this.pausedAfterSeq)
    const skipped = this.seq - this.pausedAfterSeq - held.length
    for (const entry of this.listeners) {
      if (!entry.ignorePause && (held.length > 0 || skipped > 0)) {
        this.deliver(entry, held, skipped)
      }
    }
  }

  clear(): void {
    this.flush()
    this.ring.clear()
    this.pausedAfterSeq = this.seq
    this.broadcast({ kind: 'cleared' })
  }

  async setSignals(signals: Partial<ControlSignals>): Promise<void> {
    const next = { ...this.signals, ...signals }
    const port = this.requirePort()
    try {
      await port.setSignals(next)
    } catch (error) {
      throw signalError(this.path, error)
    }
    this.signals = next
  }

  async send(line: string): Promise<void> {
    const port = this.requirePort()
    try {
      await port.write(Buffer.from(`${line}\n`, 'utf8'))
    } catch (error) {
      throw describeSerialError(this.path, error)
    }
  }

  async resetBoard(): Promise<void> {
    await resetIntoFirmware((lines) => this.setSignals(lines))
    this.flush()
    this.splitter.reset()
    this.broadcast({ kind: 'reset' })
  }

  async saveLog(
    file: string,
    options: { timestamps?: boolean } = {},
  ): Promise<{ path: string; lines: number }> {
    if (typeof file !== 'string' || file.length === 0) throw invalidInput('file', 'is required')
    const lines = this.ring.toArray()
    const stamp = options.timestamps ?? true
    const text = lines
      .map((l) => (stamp ? `${new Date(l.at).toISOString()}  ${l.text}\n` : `${l.text}\n`))
      .join('')
    await writeFileAtomically(file, text, { field: 'file' })
    return { path: file, lines: lines.length }
  }

  stats(): MonitorStats {
    return {
      lines: this.seq,
      bytes: this.bytes,
      updates: this.updates,
      ringLines: this.ring.size,
      ringChars: this.ring.totalChars,
    }
  }

  async close(): Promise<void> {
    if (this.halt.signal.aborted) return
    this.halt.abort()
    this.stopTimers()
    this.flushSplitter()
    this.flush()
    const port = this.port
    this.port = null
    await port?.close()
    this.setState('closed')
    this.finish({ reason: 'closed', error: null })
  }

  // --- receiving ----------------------------------------------------------------------------

  private receive(chunk: Uint8Array): void {
    this.bytes += chunk.length
    const at = this.clock()
    for (const text of this.splitter.push(chunk)) this.accept(text, at)
    if (this.pending.length > 0 && this.batchTimer === null) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = null
        this.flush()
      }, this.options.batchIntervalMs ?? 250)
    }
  }

  private accept(text: string, at: number): void {
    const line: MonitorLine = { seq: ++this.seq, at, text }
    this.ring.push(line)
    this.pending.push(line)
    if (this.pending.length >= (this.options.maxPendingLines ?? 20_000)) this.flush()
  }

  private flushSplitter(): void {
    const at = this.clock()
    for (const text of this.splitter.flush()) this.accept(text, at)
  }

  /** Delivers the waiting lines now. */
  private flush(): void {
    if (this.batchTimer !== null) {
      clearTimeout(this.batchTimer)
      this.batchTimer = null
    }
    if (this.pending.length === 0) return
    const lines = this.pending
    this.pending = []
    this.updates++
    for (const entry of this.listeners) {
      if (this.paused && !entry.ignorePause) continue
      this.deliver(entry, lines, 0)
    }
  }

  private deliver(entry: ListenerEntry, lines: MonitorLine[], skipped: number): void {
    const cut = lines.length > entry.maxLines ? lines.length - entry.maxLines : 0
    const update: MonitorUpdate = {
      kind: 'lines',
      lines: cut > 0 ? lines.slice(cut) : lines,
      skipped: skipped + cut,
    }
    this.call(entry, update)
  }

  private broadcast(update: MonitorUpdate): void {
    for (const entry of this.listeners) this.call(entry, update)
  }

  private call(entry: ListenerEntry, update: MonitorUpdate): void {
    try {
      entry.fn(update)
    } catch (error) {
      // One broken listener must not stop the console for the others.
      process.emitWarning(`serial monitor listener failed: ${(error as Error).message}`)
    }
  }

  private setState(state: MonitorState): void {
    this.flush()
    this.state = state
    this.broadcast({ kind: 'state', state, path: this.path })
  }

  // --- losing and finding the board ---------------------------------------------------------

  private watchPresence(): void {
    const every = this.options.presenceIntervalMs ?? 1000
    // Windows port names (COM3) are not files; there the read error reports an unplug.
    if (every <= 0 || process.platform === 'win32') return
    const path = this.path
    const generation = ++this.presenceGeneration
    const current = (): boolean =>
      generation === this.presenceGeneration && this.path === path && this.state === 'open'
    const check = (): void => {
      this.presenceTimer = setTimeout(() => {
        access(path).then(
          () => {
            if (current()) check()
          },
          (error: Error) => {
            if (current()) {
              void this.lose(lostError(path, Object.assign(error, { disconnected: true })))
            }
          },
        )
      }, every)
    }
    check()
  }

  private stopTimers(): void {
    if (this.presenceTimer !== null) clearTimeout(this.presenceTimer)
    this.presenceTimer = null
    this.presenceGeneration++
    if (this.batchTimer !== null) clearTimeout(this.batchTimer)
    this.batchTimer = null
  }

  private async lose(error: FieldFlashError): Promise<void> {
    if (this.halt.signal.aborted || this.state !== 'open') return
    this.stopTimers()
    this.flushSplitter()
    this.flush()
    const port = this.port
    this.port = null
    await port?.close() // release the handle even though the device is gone
    if (this.halt.signal.aborted) return
    this.broadcast({ kind: 'error', code: error.code, message: error.message })
    const reconnect = this.options.reconnect
    if (reconnect && this.identity && (await this.reconnect(reconnect, this.identity))) return
    if (this.halt.signal.aborted) return
    this.halt.abort()
    this.setState('closed')
    this.finish({ reason: 'lost', error })
  }

  private async reconnect(options: ReconnectOptions, identity: PortIdentity): Promise<boolean> {
    this.setState('reconnecting')
    const interval = options.intervalMs ?? 250
    const deadline = Date.now() + (options.timeoutMs ?? 15_000)
    while (!this.halt.signal.aborted && Date.now() < deadline) {
      const path = await refindPort(identity, {
        list: options.list ?? systemPortLister,
        intervalMs: interval,
        timeoutMs: deadline - Date.now(),
        signal: this.halt.signal,
      })
      if (path === null || this.halt.signal.aborted) return false
      try {
        // The board's new port is this console's (or its job's) from now on.
        this.lease.follow(path)
        const port = await this.connect(path)
        if (this.halt.signal.aborted) {
          await port.close()
          return false
        }
        this.port = port
        this.path = path
        this.identity = { ...identity, path }
        this.splitter.reset()
        this.setState('open')
        this.watchPresence()
        return true
      } catch {
        // Enumerated but not openable yet (udev still setting permissions, or the old node), or
        // held by another job of this process.
        await sleep(interval)
      }
    }
    return false
  }

  private requirePort(): OpenedPort {
    if (!this.port) {
      throw new FieldFlashError(
        'device_lost',
        `The port ${this.path} is not open any more. Re-plug the board and open the monitor again.`,
      )
    }
    return this.port
  }
}

/** An unexpected close: an unplugged board is `device_lost`, whatever text the OS used. */
function lostError(path: string, error: Error): FieldFlashError {
  const disconnected = (error as { disconnected?: boolean }).disconnected === true
  return describeSerialError(
    path,
    disconnected ? new Error('disconnected', { cause: error }) : error,
  )
}

function signalError(path: string, error: unknown): FieldFlashError {
  const text = `${(error as NodeJS.ErrnoException)?.code ?? ''} ${(error as Error)?.message ?? ''}`
  if (/ENOTTY|inappropriate ioctl|EINVAL|not supported/i.test(text)) {
    return new FieldFlashError(
      'io_error',
      `The port ${path} cannot switch the DTR/RTS lines (${(error as Error).message}). Press the board's EN/RST button instead.`,
      undefined,
      { cause: error },
    )
  }
  return describeSerialError(path, error)
}
