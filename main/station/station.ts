import { existsSync } from 'node:fs'
import type { BoardCatalog } from '../boards/catalog'
import type { BeforeMode } from '../flash/flash-board'
import type { FlashEvent } from '../flash/flash-events'
import { identifyBoard, type BoardIdentity } from '../identify/identify-board'
import { leasePort, portHolder, type PortLease } from '../leases/port-lease'
import { slotOf } from '../serial/list-ports'
import { matchesIdentity, type PortIdentity } from '../serial/port-identity'
import type { PortView } from '../serial/port-types'
import {
  runBoardSession,
  type BoardAccess,
  type BoardSessionResult,
  type SessionGoal,
} from '../session/board-session'
import { FieldFlashError } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { Lot } from './lot'
import type { BoardStatus, StationEvent, StationRow, StationTotals } from './station-types'

export type {
  BoardPhase,
  BoardStatus,
  StationEvent,
  StationRow,
  StationTotals,
} from './station-types'

// A factory station: many ports at once, each board taken from plug-in to its goal by itself.
// Every board is read back first (identify: its MAC for the lot, and whether it already carries a
// token of this registry), gets the next device of the lot, and runs one board session holding its
// port throughout. One board failing never disturbs the others; its port takes the next board
// once the failed one was unplugged. Stopping takes no new board and lets the ones in flight end;
// aborting ends them too, each in a clear, recorded state.

export interface StationRequest {
  /** The library firmware every board gets (its id). */
  firmware: string
  lot: Lot
  /** `auto`: every serial port that appears; or these ports only. */
  ports: 'auto' | string[]
  until: SessionGoal
  approver?: string | null
  register?: boolean
  /** End once this many boards have ended (done, failed or skipped). */
  count?: number
  baud?: number
  before?: Exclude<BeforeMode, 'no_reset'>
  /** Provision a board that already carries a current or consumed token of this registry. */
  reprovision?: boolean
  verifyTimeoutMs?: number
}

export interface StationDependencies {
  /** The serial ports there are now (polled for plug-ins with `ports: 'auto'`). */
  listPorts: () => Promise<PortView[]>
  access?: BoardAccess
  /** How often ports are looked for (default 500 ms). */
  pollMs?: number
  /** Where a port is plugged in (default: as listed, else its /dev/serial/by-path name, else the path). */
  slotOf?: (path: string) => Promise<string>
  now?: () => number
}

export class Station {
  private stopping = false
  private readonly abortAll = new AbortController()
  private readonly running = new Map<string, Promise<void>>()
  /** The USB identity of each running board (by the port it started on), to know it again. */
  private readonly identities = new Map<string, PortIdentity>()
  /** The ports as last listed (with where each is plugged in). */
  private listed: PortView[] = []
  /** The ports named with `ports` that were seen, or said to be missing. */
  private readonly portsSeen = new Set<string>()
  /** Ports that have had a board since they were last seen absent: they wait for a new one. */
  private readonly waitingForUnplug = new Set<string>()
  private ended = 0
  private readonly totals = { done: 0, failed: 0, skipped: 0 }
  private readonly started: number
  private wake: (() => void) | null = null

  constructor(
    private readonly services: { store: FieldFlashStore; catalog: BoardCatalog },
    private readonly request: StationRequest,
    private readonly deps: StationDependencies,
    private readonly emit: (event: StationEvent) => void,
    private readonly onRow: (row: StationRow) => Promise<void> | void = () => undefined,
  ) {
    this.started = this.now()
  }

  /** Takes boards until stopped (or `count` boards ended), then waits for those in flight. */
  async run(): Promise<StationTotals> {
    while (!this.stopping) {
      await this.takeNewBoards()
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollMs ?? 500)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    while (this.running.size > 0) await Promise.all(this.running.values())
    const totals = this.totalsNow()
    this.emit({ type: 'totals', totals })
    return totals
  }

  /** No new boards; the ones in flight go on to their end. */
  stop(): void {
    this.stopping = true
    this.wake?.()
  }

  /** No new boards, and the ones in flight are cancelled (each ends recorded as cancelled). */
  abort(): void {
    this.stop()
    this.abortAll.abort()
  }

  private now(): number {
    return (this.deps.now ?? Date.now)()
  }

  private totalsNow(): StationTotals {
    const seconds = (this.now() - this.started) / 1000
    return {
      ...this.totals,
      perHour: seconds > 0 ? Math.round((this.totals.done * 3600) / seconds) : 0,
      seconds: Math.round(seconds * 10) / 10,
    }
  }

  private async presentPorts(): Promise<string[]> {
    if (this.request.ports !== 'auto') {
      const present = this.request.ports.filter((path) => existsSync(path))
      for (const path of this.request.ports) {
        if (present.includes(path)) this.portsSeen.add(path)
        else if (!this.portsSeen.has(path)) {
          // Said once: a port named that is not there may be a typo, or a board not plugged in yet.
          this.portsSeen.add(path)
          this.emit({
            type: 'notice',
            message: `${path} is not there: the station waits for a board to be plugged in on it.`,
          })
        }
      }
      return present
    }
    this.listed = await this.deps.listPorts().catch(() => [] as PortView[])
    return this.listed.map((p) => p.path)
  }

  /**
   * Whether the port at `path` is a board already taken: one that came back under a new name
   * after its reset (its session follows it there), or a port another job of this app holds.
   */
  private taken(path: string): boolean {
    if (portHolder(path) !== null) return true
    const port = this.listed.find((p) => p.path === path)
    return port !== undefined && [...this.identities.values()].some((i) => matchesIdentity(port, i))
  }

  private identityOf(path: string): PortIdentity | null {
    const port = this.listed.find((p) => p.path === path)
    if (!port?.vid || !port.pid || !port.serialNumber) return null
    return { vid: port.vid, pid: port.pid, serialNumber: port.serialNumber, path }
  }

  private async takeNewBoards(): Promise<void> {
    const present = new Set(await this.presentPorts())
    // A port seen absent has had its board unplugged: the next board plugged in there starts.
    for (const path of this.waitingForUnplug)
      if (!present.has(path)) this.waitingForUnplug.delete(path)
    for (const path of present) {
      if (this.stopping) return
      if (this.running.has(path) || this.waitingForUnplug.has(path) || this.taken(path)) continue
      if (
        this.request.count !== undefined &&
        this.ended + this.running.size >= this.request.count
      ) {
        return
      }
      const identity = this.identityOf(path)
      if (identity) this.identities.set(path, identity)
      const job = this.board(path)
        .catch(() => path)
        .then((endedOn) => {
          this.running.delete(path)
          this.identities.delete(path)
          // The board stays plugged in where it ended (perhaps under a new name): it waits there.
          this.waitingForUnplug.add(path)
          this.waitingForUnplug.add(endedOn)
          this.ended++
          if (this.request.count !== undefined && this.ended >= this.request.count) this.stop()
          this.emit({ type: 'totals', totals: this.totalsNow() })
        })
      this.running.set(path, job)
    }
  }

  /** One board on `path`, from identification to its goal; never throws. Resolves to where it ended. */
  private async board(path: string): Promise<string> {
    const where = { path }
    await this.takeBoard(path, where)
    return where.path
  }

  private async takeBoard(path: string, where: { path: string }): Promise<void> {
    const t0 = this.now()
    const marks = { identify: t0, write: t0, verify: t0, end: t0 }
    const slot = await (this.deps.slotOf ?? ((p: string) => slotOf(p, this.listed)))(path)
    const status: BoardStatus = {
      port: path,
      slot,
      phase: 'identifying',
      uid: null,
      mac: null,
      chip: null,
      percent: null,
      bytesPerSecond: null,
      code: null,
      reached: null,
      errorCode: null,
      message: null,
      seconds: 0,
    }
    const show = (change: Partial<BoardStatus>): void => {
      Object.assign(status, change, { seconds: Math.round((this.now() - t0) / 100) / 10 })
      this.emit({ type: 'board', board: { ...status } })
    }
    let fingerprint = ''
    const end = async (phase: 'done' | 'failed' | 'skipped', change: Partial<BoardStatus>) => {
      marks.end = this.now()
      show({ ...change, phase })
      this.totals[phase]++
      const span = (from: number, to: number): number =>
        Math.max(0, Math.round((to - from) / 100) / 10)
      await this.onRow({
        endedAt: new Date(marks.end).toISOString(),
        port: path,
        slot,
        device: status.uid ?? '',
        mac: status.mac ?? '',
        chip: status.chip ?? '',
        fingerprint,
        code: status.code ?? '',
        outcome: phase,
        reached: status.reached ?? 'nothing',
        errorCode: status.errorCode ?? '',
        identifySeconds: span(marks.identify, marks.write),
        writeSeconds: span(marks.write, marks.verify),
        verifySeconds:
          phase === 'done' && this.request.until !== 'flashed' ? span(marks.verify, marks.end) : 0,
        totalSeconds: span(t0, marks.end),
      })
    }

    let lease: PortLease
    try {
      lease = leasePort(path, 'fieldflash station')
    } catch (error) {
      const failure = error as FieldFlashError
      return end('failed', { errorCode: failure.code, message: failure.message })
    }
    try {
      show({})
      const identity = await identifyBoard(
        this.services,
        {
          port: { path },
          baud: this.request.baud,
          before: this.request.before,
          lease,
          // Provisioning follows: no reset into the firmware in between. A board to be
          // skipped goes back to running its firmware.
          stayInDownloadMode: ({ device }) => !this.skipped(device),
        },
        () => undefined,
        this.abortAll.signal,
        this.deps.access?.flashDependencies,
      )
      marks.write = marks.verify = this.now()
      if (!identity.ok) {
        return end('failed', { errorCode: identity.code, message: identity.message })
      }
      show({ mac: identity.mac, chip: identity.chip })
      if (this.skipped(identity.device)) {
        const carried = identity.device!.token
        return end('skipped', {
          uid: identity.device!.uid,
          errorCode: 'already_provisioned',
          message: `It already carries ${identity.device!.uid}'s ${carried} token; unplug it (or run the station with --reprovision).`,
        })
      }
      let uid = await this.request.lot.next({ mac: identity.mac })
      if (uid === null) {
        this.stop()
        return end('skipped', { errorCode: 'lot_used_up', message: 'The lot has no device left.' })
      }
      let session = await this.write(uid, lease, show, marks)
      // Another station working the same lot took this device a moment before this one could:
      // the board takes the lot's next device instead (nothing was written).
      for (let attempt = 1; attempt < MAX_LOT_ATTEMPTS && isTakenElsewhere(session); attempt++) {
        const next = await this.request.lot.next({ mac: identity.mac })
        if (next === null) break
        uid = next
        session = await this.write(uid, lease, show, marks)
      }
      if (marks.verify === marks.write) marks.verify = this.now()
      const written = session.written
      if (written?.ok && 'token' in written) {
        fingerprint = written.token.fingerprint
        show({ code: written.token.expectedCode })
      }
      if (session.ok) return end('done', { reached: session.reached, percent: 100 })
      return end('failed', {
        reached: session.reached,
        errorCode: session.failure?.code ?? 'internal',
        message: session.failure?.message ?? null,
      })
    } catch (error) {
      // A bug, not a board's failure: the board ends failed and the station goes on.
      return end('failed', { errorCode: 'internal', message: (error as Error).message })
    } finally {
      where.path = lease.path
      lease.release()
    }
  }

  /** One board session writing `uid` to the board this station holds the port of. */
  private write(
    uid: string,
    lease: PortLease,
    show: (change: Partial<BoardStatus>) => void,
    marks: { verify: number },
  ): Promise<BoardSessionResult> {
    show({ phase: 'writing', uid, percent: 0 })
    return runBoardSession(
      { ...this.services, access: this.deps.access },
      {
        uid,
        port: { path: lease.path },
        write: { kind: 'provision', firmware: this.request.firmware },
        until: this.request.until,
        approver: this.request.approver,
        register: this.request.register,
        baud: this.request.baud,
        before: this.request.before,
        verifyTimeoutMs: this.request.verifyTimeoutMs,
        holder: 'fieldflash station',
        portLease: lease,
      },
      (event) => {
        if (event.type === 'flash') this.onFlash(event.event, show)
        else if (event.type === 'step' && event.step === 'verifying') {
          marks.verify = this.now()
          show({ phase: 'verifying', percent: null, bytesPerSecond: null })
        }
      },
      this.abortAll.signal,
    )
  }

  /** A board that already carries a current or consumed token of this registry is skipped. */
  private skipped(device: BoardIdentity['device']): boolean {
    const carried = device?.known ? device.token : null
    return (carried === 'current' || carried === 'consumed') && !this.request.reprovision
  }

  private onFlash(event: FlashEvent, show: (change: Partial<BoardStatus>) => void): void {
    if (event.type === 'progress') {
      show({ percent: Math.round(event.percent), bytesPerSecond: Math.round(event.bytesPerSecond) })
    }
  }
}

/** How many devices of the lot a board tries when other stations take them first. */
const MAX_LOT_ATTEMPTS = 5

/** The session was refused its device before anything was written: another job holds it. */
function isTakenElsewhere(session: BoardSessionResult): boolean {
  return !session.ok && session.reached === 'nothing' && session.failure?.code === 'device_busy'
}
