import type { Command } from 'commander'
import type { BoardCatalog } from '../boards/catalog'
import { describeProgress, type FlashEvent } from '../flash/flash-events'
import { flashFirmware, prepareFirmware, type PreparedFirmware } from '../flash/flash-firmware'
import { ACCEPT_TOKEN_MISMATCH } from '../flash/firmware-token'
import { listPorts, type PortView } from '../serial/list-ports'
import type { FirmwareTokenStatus } from '../flash/firmware-token-types'
import { assertDeviceUid } from '../shared/device-uid'
import type { ProvisionResult } from '../provision/provision-board'
import {
  runBoardSession,
  type BoardSessionResult,
  type SessionGoal,
} from '../session/board-session'
import { FieldFlashError, invalidInput } from '../shared/errors'
import { failureInCliWords, type CliKit } from './cli-kit'
import { beforeOption, flashBaudOption, offsetOption, secondsOption } from './options'
import { approverOf, EXIT_NOT_VERIFIED, formatVerify, verifyReport } from './verification-commands'
import { EXIT, emit, exitCodeFor, withCliHint, withCtrlC } from './output'

/** `ports`, `flash` and `provision`. */
export function registerFlashCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  registerProvisionCommand(program, kit)

  program
    .command('ports')
    .description('list serial ports with their USB bridge and matching boards')
    .action(
      action(async (cmd) => {
        const ports = await listPorts(await context(cmd).catalog())
        emit(io, kit.json(), ports, () =>
          ports.length === 0
            ? 'No serial ports found. Check the USB cable (charge-only cables show no port) and the bridge driver.'
            : ports.map(formatPort).join('\n'),
        )
      }),
    )

  program
    .command('flash')
    .description('flash firmware to a board in download mode, verify it and reset it')
    .requiredOption('--port <path>', 'serial port, e.g. /dev/ttyUSB0 or COM3')
    .requiredOption(
      '--firmware <path>',
      'PlatformIO build folder, flasher_args.json, manifest.json or .bin',
    )
    .option('--board <id>', 'board from "fieldflash boards" (default: the device\'s board)')
    .option('--device <uid>', 'record the flash on this device')
    .addOption(flashBaudOption())
    .option('--erase', 'erase the whole flash first')
    .addOption(beforeOption())
    .addOption(offsetOption())
    .option(
      '--accept-token-mismatch',
      "flash although the firmware does not carry the device's current token (it will not verify)",
    )
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const ctx = context(cmd)
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        let carries: FirmwareTokenStatus | null = null
        let prepared: PreparedFirmware | undefined
        if (o.device !== undefined) {
          assertDeviceUid(o.device, 'device')
          // Loaded and checked once, refused before the port is even opened (as in the app).
          prepared = await prepareFirmware(
            { store, catalog },
            {
              firmwarePath: o.firmware,
              boardId: o.board,
              deviceUid: o.device,
              offset: o.offset,
              acceptTokenMismatch: Boolean(o.acceptTokenMismatch),
            },
          ).catch((error: unknown) => {
            if (!(error instanceof FieldFlashError) || error.field !== ACCEPT_TOKEN_MISMATCH)
              throw error
            throw new FieldFlashError(
              error.code,
              `${error.message} To flash it anyway, add --accept-token-mismatch.`,
            )
          })
          carries = prepared.check?.token.status ?? null
        }
        return runFlashJob(
          kit,
          cmd,
          await findPort(catalog, o.port),
          o.port,
          (port, emit, signal) =>
            flashFirmware(
              { store, catalog },
              {
                port,
                firmwarePath: o.firmware,
                boardId: o.board,
                deviceUid: o.device,
                baud: o.baud,
                erase: Boolean(o.erase),
                before: o.before,
                offset: o.offset,
                acceptTokenMismatch: Boolean(o.acceptTokenMismatch),
                holder: 'fieldflash flash',
                prepared,
              },
              emit,
              signal,
            ),
          (result) => result,
          (result) =>
            [
              `Flashed ${result.firmwareName} to ${result.chip} (MAC ${result.mac}, ${result.flashSize} flash) at ${result.baud} baud in ${(result.durationMs / 1000).toFixed(1)} s.`,
              ...result.parts.map(
                (p) =>
                  `  ${p.name.padEnd(12)} 0x${p.offset.toString(16).padStart(6, '0')}  ${p.size} bytes  md5 ${p.md5}  verified`,
              ),
              o.device
                ? `Recorded on device ${o.device}. ${afterFlash({ port: o.port, device: o.device }, carries, result.chip)}`
                : '',
            ]
              .filter(Boolean)
              .join('\n'),
        )
      }),
    )
}

/** The step after flashing a device's board, one that can succeed with what the firmware carries. */
function afterFlash(
  o: { port: string; device: string },
  carries: FirmwareTokenStatus | null,
  chip: string,
): string {
  if (carries === 'current') return `Next: fieldflash verify --port ${o.port} --device ${o.device}`
  if (carries === 'none' && chip !== 'ESP8266') {
    // A base firmware: the token comes with the config partition, which provision writes (the
    // parts just flashed are already on the board and are skipped).
    return `It carries no token of ${o.device} yet. Next: fieldflash provision --port ${o.port} --device ${o.device}`
  }
  return `It carries no current token of ${o.device}, so verify cannot prove it; watch it with: fieldflash monitor --port ${o.port}`
}

/** `provision`: base firmware + fresh config partition, no compiler; then, if asked, verify and approve. */
function registerProvisionCommand(program: Command, kit: CliKit): void {
  const { action, context } = kit
  program
    .command('provision')
    .description(
      "provision a board with no compiler: the board's base firmware plus a config partition with fresh credentials, recorded; with --verify and --approve, on to its banner and its approval in one go",
    )
    .requiredOption('--port <path>', 'serial port, e.g. /dev/ttyUSB0 or COM3')
    .requiredOption('--device <uid>', 'the device this board becomes')
    .option(
      '--firmware <id|path>',
      'library firmware id (from "fieldflash firmware list") or a build to import first; default: the board\'s newest',
    )
    .addOption(flashBaudOption())
    .addOption(beforeOption())
    .option(
      '--verify',
      "then wait for the board's banner on the same port and check it (exit 3 if not verified)",
    )
    .option(
      '--approve',
      'then approve it when verified, and register it over the cable (implies --verify)',
    )
    .option('--approver <name>', 'your name, recorded with the approval (or FIELDFLASH_APPROVER)')
    .option('--no-register', 'approve only; register the board over the cable later')
    .addOption(
      secondsOption(
        '--timeout <s>',
        'seconds to wait for the banner after writing',
        'timeout',
      ).default(30),
    )
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        assertDeviceUid(o.device, 'device')
        if (o.approver !== undefined && !o.approve) {
          throw invalidInput('approver', 'only goes with --approve')
        }
        const until: SessionGoal = o.approve ? 'approved' : o.verify ? 'verified' : 'flashed'
        const approver = o.approve ? approverOf(o.approver, kit.env) : undefined
        const ctx = context(cmd)
        const catalog = await ctx.catalog()
        const listed = await findPort(catalog, o.port)
        const progress = progressPrinter(kit)
        const store = await ctx.store()
        const session = await withCtrlC((signal) =>
          runBoardSession(
            { store, catalog, access: kit.access },
            {
              uid: o.device,
              port: { path: o.port, vid: listed?.vid, pid: listed?.pid },
              write: { kind: 'provision', firmware: o.firmware },
              until,
              approver,
              register: o.register !== false,
              baud: o.baud,
              before: o.before,
              verifyTimeoutMs: o.timeout * 1000,
              holder: 'fieldflash provision',
            },
            (event) => {
              if (event.type === 'flash') progress.event(event.event)
              else if (event.type === 'step' && event.step === 'verifying')
                progress.note(event.message)
            },
            signal,
          ),
        ).finally(() => progress.done())
        return reportProvision(kit, cmd, { port: o.port, device: o.device }, session)
      }),
    )
}

/** The end of `provision`: what was written, what the console showed, and the exit code. */
function reportProvision(
  kit: CliKit,
  cmd: Command,
  o: { port: string; device: string },
  session: BoardSessionResult,
): number {
  const written = session.written as ProvisionResult | null
  const verification = session.verification
  if (kit.json()) {
    kit.io.out(
      JSON.stringify({
        type: 'result',
        ...(written ?? { uid: o.device, tokenChanged: false }),
        ok: session.ok,
        fingerprint: written?.token?.fingerprint ?? null,
        expectedCode: written?.token?.expectedCode ?? null,
        reached: session.reached,
        ...(session.failure ?? {}),
        verification: verification && verifyReport(verification),
      }) + '\n',
    )
  } else {
    const lines: string[] = []
    if (written?.ok) {
      lines.push(
        `Provisioned ${written.uid} on ${written.chip} (MAC ${written.mac}) with ${written.firmwareName} in ${(written.durationMs / 1000).toFixed(1)} s.`,
        ...written.parts.map(
          (p) =>
            `  ${p.name.padEnd(12)} 0x${p.offset.toString(16).padStart(6, '0')}  ${p.size} bytes  ${p.skipped ? 'already on the board, skipped' : 'written, verified'}`,
        ),
        `Token fingerprint ${written.token.fingerprint}; expected verification code ${written.token.expectedCode}.`,
      )
      if (verification) lines.push(formatVerify(verification))
      else lines.push(`Next: fieldflash verify --port ${o.port} --device ${written.uid}`)
      kit.io.out(lines.join('\n') + '\n')
    }
    if (session.failure && !(written?.ok && verification)) {
      const { message } = failureInCliWords(cmd, { ...session.failure, ...written })
      kit.io.err(`fieldflash: ${withCliHint(message, session.failure.code)}\n`)
    }
  }
  if (session.ok) return EXIT.ok
  if (session.failure?.code === 'not_verified') return EXIT_NOT_VERIFIED
  if (session.failure?.code === 'not_registered') return EXIT.failure
  return exitCodeFor(written && !written.ok ? written : session.failure!)
}

/**
 * Runs a job on the ROM loader (flash, identify) on `path`: Ctrl+C cancels it, progress goes to
 * stderr (or JSON lines), and the result ends the output as JSON or as `human`'s text; answers the
 * exit code.
 */
export async function runFlashJob<
  R extends { ok: true } | { ok: false; code: string; message: string; field?: string },
>(
  kit: CliKit,
  cmd: Command,
  listed: PortView | undefined,
  path: string,
  start: (
    port: { path: string; vid?: string | null; pid?: string | null },
    emit: (event: FlashEvent) => void,
    signal: AbortSignal,
  ) => Promise<R>,
  json: (result: R) => object,
  human: (result: Extract<R, { ok: true }>) => string,
): Promise<number> {
  const progress = progressPrinter(kit)
  const result = await withCtrlC((signal) =>
    start({ path, vid: listed?.vid, pid: listed?.pid }, progress.event, signal),
  ).finally(() => progress.done())
  if (kit.json()) kit.io.out(JSON.stringify({ type: 'result', ...json(result) }) + '\n')
  else if (result.ok) kit.io.out(human(result as Extract<R, { ok: true }>) + '\n')
  else {
    const { message } = failureInCliWords(cmd, result)
    kit.io.err(`fieldflash: ${withCliHint(message, result.code)}\n`)
  }
  return result.ok ? EXIT.ok : exitCodeFor(result)
}

/** The listed port at `path` (its USB ids pick the starting rate), or undefined. */
export async function findPort(catalog: BoardCatalog, path: string): Promise<PortView | undefined> {
  return (await listPorts(catalog).catch(() => [] as PortView[])).find((p) => p.path === path)
}

function formatPort(p: PortView): string {
  const usb = p.vid ? ` ${p.vid}:${p.pid}` : ''
  const boards = p.boardIds.length ? `  boards: ${p.boardIds.join(', ')}` : ''
  return `${p.path.padEnd(22)}${(p.bridge ?? p.manufacturer ?? 'serial port').padEnd(40)}${usb}${p.serialNumber ? ` #${p.serialNumber}` : ''}${boards}`
}

/** JSON lines with --json; a redrawn progress bar on a terminal; stage lines otherwise. */
export function progressPrinter(kit: CliKit): {
  event: (e: FlashEvent) => void
  note: (message: string) => void
  done: () => void
} {
  const tty = Boolean(process.stderr.isTTY) && !kit.json()
  let barShown = false
  const clearBar = (): void => {
    if (barShown) kit.io.err('\r\x1b[K')
    barShown = false
  }
  return {
    event(e) {
      if (kit.json()) return kit.io.out(JSON.stringify(e) + '\n')
      if (e.type === 'progress') {
        if (!tty) return
        const width = 30
        const filled = Math.round((e.percent / 100) * width)
        kit.io.err(
          `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${describeProgress(e)}\x1b[K`,
        )
        barShown = true
        return
      }
      clearBar()
      if (e.type === 'stage') kit.io.err(`${e.message}\n`)
      else if (e.level === 'warning') kit.io.err(`warning: ${e.message}\n`)
    },
    note(message) {
      if (kit.json())
        return kit.io.out(JSON.stringify({ type: 'stage', stage: 'verifying', message }) + '\n')
      clearBar()
      kit.io.err(`${message}\n`)
    },
    done: clearBar,
  }
}
