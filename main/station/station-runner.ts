import type { BoardCatalog } from '../boards/catalog'
import { findFirmware } from '../firmware-library/firmware-library'
import type { PortView } from '../serial/port-types'
import type { BoardAccess } from '../session/board-session'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { requireApprover } from '../verification/operations'
import { openLot } from './lot'
import { writeResults } from './results-file'
import { Station } from './station'
import type {
  BoardStatus,
  StationEvent,
  StationRow,
  StationSettings,
  StationSnapshot,
} from './station-types'

/**
 * The app's station: one at a time, its settings locked while it runs (the Flash Download Tool's
 * LockSettings), its boards and results kept for the screen and for export. Events go out as the
 * CLI's do.
 */
export class StationRunner {
  private station: Station | null = null
  private settings: StationSettings | null = null
  private readonly boards = new Map<string, BoardStatus>()
  private rows: StationRow[] = []
  private totals: StationSnapshot['totals'] = {
    done: 0,
    failed: 0,
    skipped: 0,
    perHour: 0,
    seconds: 0,
  }
  private stopping = false

  constructor(
    private readonly services: { store: FieldFlashStore; catalog: BoardCatalog },
    private readonly deps: { listPorts: () => Promise<PortView[]>; access?: BoardAccess },
    private readonly emit: (event: StationEvent | { type: 'ended' }) => void,
  ) {}

  snapshot(): StationSnapshot {
    return {
      running: this.station !== null,
      stopping: this.stopping,
      settings: this.settings,
      boards: [...this.boards.values()],
      totals: this.totals,
      rows: this.rows,
    }
  }

  /** Starts a station with `settings`, refused while one runs or when the settings are wrong. */
  async start(settings: StationSettings): Promise<StationSnapshot> {
    if (this.station) {
      throw new FieldFlashError('invalid_state', 'A station is already running; stop it first.')
    }
    const { store, catalog } = this.services
    const approver = settings.until === 'approved' ? requireApprover(settings.approver) : null
    const matches = await findFirmware(store, settings.firmwareId)
    if (matches.length !== 1) {
      throw invalidInput('firmwareId', 'must be one firmware of the library')
    }
    const firmware = matches[0]!
    const lot = await openLot(store, catalog, settings.lot, firmware.boardId)
    if (settings.ports !== 'auto' && settings.ports.length === 0) {
      throw invalidInput('ports', 'lists no port')
    }
    this.settings = { ...settings, approver }
    this.boards.clear()
    this.rows = []
    this.stopping = false
    const station = new Station(
      this.services,
      {
        firmware: firmware.id,
        lot,
        ports: settings.ports,
        until: settings.until,
        approver,
        count: settings.count ?? undefined,
      },
      { listPorts: this.deps.listPorts, access: this.deps.access },
      (event) => {
        if (event.type === 'board') this.boards.set(event.board.port, event.board)
        else if (event.type === 'totals') this.totals = event.totals
        this.emit(event)
      },
      (row) => {
        this.rows.push(row)
      },
    )
    this.station = station
    void station.run().finally(() => {
      this.station = null
      this.stopping = false
      this.emit({ type: 'ended' })
    })
    return this.snapshot()
  }

  /** Takes no new boards (and with `abort`, cancels those in flight). */
  stop(abort: boolean): StationSnapshot {
    if (this.station) {
      this.stopping = true
      if (abort) this.station.abort()
      else this.station.stop()
    }
    return this.snapshot()
  }

  /** Writes the results so far as CSV where `choose` (main's save dialog) says; null: cancelled. */
  async exportToChosenFile(
    choose: (defaultName: string) => Promise<string | null>,
    now: Date,
  ): Promise<{ path: string; rows: number } | null> {
    const path = await choose(`station-results-${now.toISOString().slice(0, 10)}.csv`)
    if (path === null) return null
    await writeResults(path, this.rows)
    return { path, rows: this.rows.length }
  }

  dispose(): void {
    this.station?.abort()
  }
}
