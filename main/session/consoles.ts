import type { BoardCatalog } from '../boards/catalog'
import {
  openSerialMonitor,
  type SerialMonitor,
  type SerialMonitorOptions,
} from '../monitor/serial-monitor'
import {
  identifyPort,
  recallPort,
  reenumeratesOnReset,
  refindPort,
  systemPortLister,
  type PortLister,
} from '../serial/port-identity'
import { FieldFlashError } from '../shared/errors'
import { requireDevice } from '../store/require-device'
import type { FieldFlashStore } from '../store/store'
import {
  offlineRegistrationRefusal,
  registerOnMonitor,
  registerOnPort,
  type RegistrationOutcome,
  type SeenBoard,
} from '../verification/register-board'
import { watchBootstrap, type BootstrapEvent } from '../verification/verification-session'
import type { MonitorEvent, OpenMonitorRequest, Verification } from './console-types'

// The app's serial consoles: at most one per port (a newer one for the same port replaces the
// older), each judging banners by the same rules as `fieldflash verify`, and each able to
// register the board it shows over the same cable. Main owns them; the renderer knows only their
// session ids.

interface ConsoleSession {
  monitor: SerialMonitor
  /** What each device's board last showed of itself here (banner or status line). */
  seen: Map<string, SeenBoard>
}

export interface ConsolesOptions {
  store: FieldFlashStore
  catalog: BoardCatalog
  emit: (event: MonitorEvent) => void
  /** How consoles open ports (the real serial port by default). */
  monitorOptions?: Partial<SerialMonitorOptions>
  /** The system's serial ports, to follow a board that re-enumerates (serialport's by default). */
  listPorts?: PortLister
  /** Where an unexpected error's cause goes (redacted by the caller). */
  logUnexpected: (operation: string, error: unknown) => void
  now: () => Date
}

export class Consoles {
  private readonly sessions = new Map<string, ConsoleSession>()
  /** Opening a console waits for the previous open on the same port. */
  private readonly opening = new Map<string, Promise<unknown>>()

  constructor(private readonly options: ConsolesOptions) {}

  /** Opens a console on a port (replacing one already there), judging banners for `uid`. */
  open(request: OpenMonitorRequest): Promise<{ sessionId: string; path: string }> {
    const { portPath } = request
    const previous = this.opening.get(portPath) ?? Promise.resolve()
    const next = previous.catch(() => undefined).then(() => this.openNow(request))
    this.opening.set(portPath, next)
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.opening.get(portPath) === next) this.opening.delete(portPath)
      })
    return next
  }

  async close(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId)
    if (!session) return
    this.sessions.delete(sessionId)
    await session.monitor.close()
  }

  /** Closes the consoles on `portPath`, telling the renderer (a flash or a session needs it). */
  async release(portPath: string): Promise<void> {
    for (const [id, session] of this.sessions) {
      if (session.monitor.path !== portPath) continue
      await this.close(id)
      this.options.emit({ sessionId: id, type: 'state', state: 'closed', path: portPath })
    }
  }

  async reset(sessionId: string): Promise<void> {
    await this.require(sessionId, 'reset').monitor.resetBoard()
  }

  /**
   * Registers the device's approved board over the console it is on, starting at once from what
   * the board last showed there. A board the catalog says cannot be registered offline gets an
   * `unsupported` outcome, not a failed attempt.
   */
  async register(uid: string, sessionId: string): Promise<RegistrationOutcome> {
    const { store, catalog, now } = this.options
    const unsupported = await offlineRegistrationRefusal(store, catalog, uid)
    if (unsupported)
      return { ok: false, reason: 'unsupported', message: unsupported, fingerprint: null }
    const session = this.require(sessionId, 'register the board')
    return registerOnMonitor({
      store,
      catalog,
      uid,
      monitor: session.monitor,
      seen: session.seen.get(uid) ?? null,
      now,
    })
  }

  /** Registers the device's approved board on a port (its consoles here closed first). */
  async registerOnPort(uid: string, portPath: string): Promise<RegistrationOutcome> {
    const { store, catalog, now } = this.options
    const unsupported = await offlineRegistrationRefusal(store, catalog, uid)
    if (unsupported)
      return { ok: false, reason: 'unsupported', message: unsupported, fingerprint: null }
    await this.release(portPath)
    return registerOnPort({
      store,
      catalog,
      uid,
      path: portPath,
      monitor: this.options.monitorOptions,
      now,
    })
  }

  /**
   * Where the board last written on `portPath` is now: a native-USB board comes back under
   * another name after the reset that ends its flash. Other ports are where they were.
   */
  private async whereNow(portPath: string, list: PortLister): Promise<string> {
    const identity = recallPort(portPath)
    if (!reenumeratesOnReset(identity)) return portPath
    const found = await refindPort(identity, { list, timeoutMs: 5_000 })
    return found ?? portPath
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)))
  }

  private require(sessionId: string, then: string): ConsoleSession {
    const session = this.sessions.get(sessionId)
    if (!session) {
      throw new FieldFlashError(
        'not_found',
        `The console is not open any more; open it again, then ${then}.`,
      )
    }
    return session
  }

  private async openNow({
    sessionId,
    portPath,
    baud,
    uid,
  }: OpenMonitorRequest): Promise<{ sessionId: string; path: string }> {
    const { store, catalog, emit } = this.options
    if (this.sessions.has(sessionId)) {
      throw new FieldFlashError('already_exists', `sessionId: console ${sessionId} is already open`)
    }
    const device = uid === undefined ? undefined : await store.read((tx) => requireDevice(tx, uid))
    await this.release(portPath)
    const baudRate = baud ?? (device ? catalog.get(device.boardId).baud.monitor : undefined)
    const list = this.options.listPorts ?? systemPortLister
    const path = await this.whereNow(portPath, list)
    const identity = recallPort(portPath) ?? (await identifyPort(path, list).catch(() => null))
    const monitor = await openSerialMonitor({
      ...this.options.monitorOptions,
      path,
      baudRate,
      holder: uid ? `the console of ${uid}` : 'the serial console',
      // A native-USB board re-enumerates at each reset: followed to its new port name. Any other
      // port that goes away is an unplugged board, said at once.
      reconnect: reenumeratesOnReset(identity) ? { identity, list } : false,
    })
    const session: ConsoleSession = { monitor, seen: new Map() }
    this.sessions.set(sessionId, session)
    monitor.subscribe(
      (update) => {
        if (update.kind === 'lines') {
          emit({ sessionId, type: 'lines', lines: update.lines, skipped: update.skipped })
        } else if (update.kind === 'state') {
          emit({ sessionId, type: 'state', state: update.state, path: update.path })
        } else if (update.kind === 'error') {
          emit({ sessionId, type: 'error', code: update.code, message: update.message })
        }
      },
      { ignorePause: true },
    )
    // The same judge as `fieldflash verify`: one rule for banners, boots and records.
    watchBootstrap(monitor, { store, expectedUid: uid, now: this.options.now }, (event) =>
      this.judged(sessionId, session, event),
    )
    void monitor.ended.then(() => {
      if (this.sessions.get(sessionId) === session) this.sessions.delete(sessionId)
    })
    return { sessionId, path: monitor.path }
  }

  /** A console event as the renderer gets it; what the board showed is kept for registering. */
  private judged(sessionId: string, session: ConsoleSession, event: BootstrapEvent): void {
    const { emit } = this.options
    switch (event.kind) {
      case 'banner': {
        const { banner } = event
        session.seen.set(banner.uid, {
          nonce: banner.nonce ?? null,
          mac: banner.mac,
          fingerprint: banner.fingerprint,
        })
        if (event.recordError) {
          const { code, message } = event.recordError
          emit({ sessionId, type: 'error', code, message })
        }
        const verification: Verification = {
          verdict: event.verdict,
          operationId: event.operation?.id ?? null,
          operationState: event.operation?.state ?? null,
        }
        emit({ sessionId, type: 'verification', verification })
        break
      }
      case 'registered': {
        const { board } = event
        session.seen.set(board.uid, {
          nonce: board.nonce,
          mac: session.seen.get(board.uid)?.mac ?? null,
        })
        emit({
          sessionId,
          type: 'registered',
          board: {
            uid: board.uid,
            fingerprint: board.fingerprint,
            expiresAt: board.expiresAt,
            holds: board.holds,
            registrationState: board.registration?.state ?? null,
            message: board.message,
          },
        })
        break
      }
      case 'malformed':
        emit({ sessionId, type: 'malformed', reason: event.reason })
        break
      case 'board_error':
        emit({ sessionId, type: 'bootstrap_error', error: event.error })
        break
      case 'record_limited':
        emit({ sessionId, type: 'notice', message: event.message })
        break
      case 'failure': {
        this.options.logUnexpected('monitor', event.error)
        const known = event.error instanceof FieldFlashError
        emit({
          sessionId,
          type: 'error',
          code: known ? (event.error as FieldFlashError).code : 'internal',
          message: known
            ? (event.error as FieldFlashError).message
            : 'The console could not judge a line; see the log.',
        })
        break
      }
    }
  }
}
