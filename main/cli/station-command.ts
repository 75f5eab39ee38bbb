import { Option, type Command } from 'commander'
import { findFirmware } from '../firmware-library/firmware-library'
import { listPorts } from '../serial/list-ports'
import type { SessionGoal } from '../session/board-session'
import { invalidInput } from '../shared/errors'
import { openLot } from '../station/lot'
import { resultsFile } from '../station/results-file'
import {
  Station,
  type BoardStatus,
  type StationEvent,
  type StationTotals,
} from '../station/station'
import type { CliKit } from './cli-kit'
import { flashBaudOption, secondsOption } from './options'
import { EXIT } from './output'
import { approverOf } from './verification-commands'

/** `station`: many boards at once, each port on its own. */
export function registerStationCommand(program: Command, kit: CliKit): void {
  const { action, context } = kit
  program
    .command('station')
    .description(
      'a factory station: every board plugged in (on any port, or the ones listed) is read back, given the next device of the lot, provisioned with the firmware and taken to --until, each port on its own; Ctrl+C stops taking boards (twice: aborts those in flight)',
    )
    .requiredOption('--firmware <id>', 'library firmware id (from "fieldflash firmware list")')
    .requiredOption(
      '--lot <file|pattern>',
      'a device list (one UID per line, or a CSV with a uid column; devices not in the registry are created) or a UID pattern with {seq}, {seq:05} or {mac}, e.g. line3-{seq:05}',
    )
    .option(
      '--ports <auto|list>',
      'auto (every port that appears) or a comma-separated list',
      'auto',
    )
    .addOption(
      new Option('--until <goal>', 'how far each board goes (approved needs an approver)').choices([
        'flashed',
        'verified',
        'approved',
      ]),
    )
    .option('--approver <name>', 'who approves the boards (or FIELDFLASH_APPROVER)')
    .option('--no-register', 'approve only; register the boards over the cable later')
    .option('--results <file.csv>', 'append one CSV line per board as it ends')
    .option('--count <n>', 'end after this many boards', (value) => {
      if (!/^[1-9]\d{0,6}$/.test(value))
        throw invalidInput('count', 'must be a whole number from 1')
      return Number(value)
    })
    .option(
      '--reprovision',
      'also provision boards that already carry a current token of this registry',
    )
    .addOption(flashBaudOption())
    .addOption(
      new Option(
        '--before <mode>',
        'how each board enters its ROM loader (the station resets every board)',
      )
        .choices(['default_reset', 'usb_reset'])
        .default('default_reset'),
    )
    .addOption(
      secondsOption('--timeout <s>', "seconds to wait for each board's banner", 'timeout').default(
        30,
      ),
    )
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const ctx = context(cmd)
        const store = await ctx.store()
        const catalog = await ctx.catalog()
        const until: SessionGoal =
          o.until ?? (o.approver || kit.env.FIELDFLASH_APPROVER ? 'approved' : 'verified')
        const approver = until === 'approved' ? approverOf(o.approver, kit.env) : undefined
        const matches = await findFirmware(store, o.firmware)
        if (matches.length !== 1) {
          throw invalidInput(
            'firmware',
            matches.length === 0
              ? `${o.firmware} is no firmware of the library; see "fieldflash firmware list"`
              : `${o.firmware} matches several library firmware; give more digits`,
          )
        }
        const firmware = matches[0]!
        const lot = await openLot(store, catalog, o.lot, firmware.boardId)
        const ports: 'auto' | string[] =
          o.ports === 'auto'
            ? 'auto'
            : String(o.ports)
                .split(',')
                .map((p) => p.trim())
                .filter(Boolean)
        if (ports !== 'auto' && ports.length === 0) throw invalidInput('ports', 'lists no port')

        const view = stationView(kit)
        let failed = 0
        const station = new Station(
          { store, catalog },
          {
            firmware: firmware.id,
            lot,
            ports,
            until,
            approver,
            register: o.register !== false,
            count: o.count,
            baud: o.baud,
            before: o.before,
            reprovision: Boolean(o.reprovision),
            verifyTimeoutMs: o.timeout * 1000,
          },
          { listPorts: kit.access?.listPorts ?? (() => listPorts(catalog)), access: kit.access },
          (event) => {
            if (event.type === 'board' && event.board.phase === 'failed') failed++
            view.event(event)
          },
          o.results ? resultsFile(o.results) : undefined,
        )
        view.start(
          `Station: ${firmware.name} (${firmware.id}) to ${until}, ${lot.description}, ports ${ports === 'auto' ? 'auto' : ports.join(', ')}.`,
        )
        let interrupts = 0
        const onSigint = (): void => {
          interrupts++
          if (interrupts === 1) {
            view.note('Stopping: no new boards; those in flight finish. Ctrl+C again aborts them.')
            station.stop()
          } else {
            view.note('Aborting the boards in flight.')
            station.abort()
          }
        }
        process.on('SIGINT', onSigint)
        try {
          const totals = await station.run()
          view.done(totals)
        } finally {
          process.off('SIGINT', onSigint)
        }
        return failed > 0 ? EXIT.failure : EXIT.ok
      }),
    )
}

/** A live table on a terminal; one JSON line per event with --json or without one. */
function stationView(kit: CliKit): {
  start: (header: string) => void
  event: (event: StationEvent) => void
  note: (message: string) => void
  done: (totals: StationTotals) => void
} {
  const { io } = kit
  const live = Boolean(process.stdout.isTTY) && !kit.json()
  const boards = new Map<string, BoardStatus>()
  let totals: StationTotals = { done: 0, failed: 0, skipped: 0, perHour: 0, seconds: 0 }
  let drawn = 0
  let timer: NodeJS.Timeout | null = null
  const draw = (): void => {
    timer = null
    const rows = [...boards.values()].map(formatRow)
    const lines = [
      `${'PORT'.padEnd(28)} ${'DEVICE'.padEnd(20)} ${'STAGE'.padEnd(11)} ${'%'.padStart(4)} ${'SPEED'.padStart(9)} ${'CODE'.padEnd(10)} ${'OUTCOME'.padEnd(24)} ${'TIME'.padStart(6)}`,
      ...rows,
      `done ${totals.done}, failed ${totals.failed}, skipped ${totals.skipped}, ${totals.perHour} boards/hour`,
    ]
    io.out(`${drawn > 0 ? `\x1b[${drawn}F` : ''}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n`)
    drawn = lines.length
  }
  const schedule = (): void => {
    if (live && timer === null) timer = setTimeout(draw, 200)
  }
  return {
    start(header) {
      if (kit.json()) io.out(JSON.stringify({ type: 'station', message: header }) + '\n')
      else io.err(`${header}\n`)
    },
    event(event) {
      if (!live) {
        // Progress is many events a second per board: JSON lines carry the stage changes and ends.
        if (
          event.type === 'board' &&
          event.board.phase === 'writing' &&
          event.board.percent !== 0
        ) {
          return
        }
        io.out(JSON.stringify(event) + '\n')
        return
      }
      if (event.type === 'board') boards.set(event.board.port, event.board)
      else if (event.type === 'totals') totals = event.totals
      else io.err(`${event.message}\n`)
      schedule()
    },
    note(message) {
      if (kit.json()) io.out(JSON.stringify({ type: 'notice', message }) + '\n')
      else io.err(`${message}\n`)
    },
    done(final) {
      totals = final
      if (timer) clearTimeout(timer)
      if (live) draw()
      if (!kit.json()) {
        io.err(
          `Station ended: ${final.done} done, ${final.failed} failed, ${final.skipped} skipped in ${final.seconds} s (${final.perHour} boards/hour).\n`,
        )
      }
    },
  }
}

function formatRow(b: BoardStatus): string {
  const speed = b.bytesPerSecond ? `${Math.round(b.bytesPerSecond / 1024)} KiB/s` : ''
  const outcome =
    b.phase === 'done'
      ? `ok (${b.reached})`
      : b.phase === 'failed' || b.phase === 'skipped'
        ? `${b.phase}: ${b.errorCode}`
        : ''
  return `${b.port.slice(-28).padEnd(28)} ${(b.uid ?? '').padEnd(20)} ${b.phase.padEnd(11)} ${b.percent === null ? '    ' : String(b.percent).padStart(4)} ${speed.padStart(9)} ${(b.code ?? '').padEnd(10)} ${outcome.slice(0, 24).padEnd(24)} ${b.seconds.toFixed(1).padStart(6)}`
}
