import { Argument, type Command } from 'commander'
import { revokeRegistration } from '../registration/registrations'
import {
  offlineRegistrationRefusal,
  registerOnPort,
  type RegistrationOutcome,
} from '../verification/register-board'
import { readAuditLog, type AuditEntry } from '../audit/audit-log'
import { assertDeviceUid } from '../shared/device-uid'
import { systemPortLister } from '../serial/port-identity'
import { openSerialMonitor, type MonitorLine, type MonitorUpdate } from '../monitor/serial-monitor'
import { parseBootstrapBanner } from '../verification/bootstrap-banner'
import { FieldFlashError, invalidInput } from '../shared/errors'
import { runBoardSession, type BoardSessionResult } from '../session/board-session'
import { parseBootstrapError } from '../verification/bootstrap-error'
import { approveOperation, rejectOperation } from '../verification/operations'
import {
  verifyOnPort,
  type RegisteredBoard,
  type VerifyOutcome,
} from '../verification/verification-session'
import type { CliKit } from './cli-kit'
import { consoleBaudOption, secondsOption } from './options'
import { boundedOutput, emit, EXIT, withCtrlC } from './output'

/** `verify`'s exit code when the board did not prove itself (stale, mismatch, another board, …). */
export const EXIT_NOT_VERIFIED = 3

/** monitor, verify, operation and audit commands. */
export function registerVerificationCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit

  program
    .command('monitor')
    .description("stream a board's serial console (Ctrl+C to stop)")
    .requiredOption('--port <path>', 'serial port, for example /dev/ttyUSB0 or COM3')
    .addOption(consoleBaudOption())
    .addOption(
      secondsOption(
        '--duration <s>',
        'stop after this many seconds (for scripts and tests)',
        'duration',
      ),
    )
    .addHelpText(
      'after',
      '\nWith --json: one JSON object per line; bootstrap banners are marked. The console reads no data\nfrom the data directory.',
    )
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const json = kit.json()
        const baudRate: number = o.baud
        const duration: number | null = o.duration ?? null
        const monitor = await openSerialMonitor({
          path: o.port,
          baudRate,
          reconnect: { list: systemPortLister },
        })
        if (!json) {
          io.err(`Monitoring ${monitor.path} at ${baudRate} baud. Press Ctrl+C to stop.\n`)
        }
        // A slow reader (a pipe) must not make this process grow: lines beyond 1 MiB of unread
        // output are dropped and counted, and the count is printed when the reader catches up.
        const output = boundedOutput(io, (count) =>
          json
            ? JSON.stringify({ type: 'dropped', count }) + '\n'
            : `… ${count} lines dropped: the output was not read fast enough …\n`,
        )
        monitor.subscribe((update) => printUpdate(update, json, output.write))
        const stop = (): void => void monitor.close()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        const timer = duration === null ? null : setTimeout(stop, duration * 1000)
        try {
          const end = await monitor.ended
          if (output.dropped() > 0) {
            io.err(
              `fieldflash: ${output.dropped()} lines were dropped because the output was read too slowly.\n`,
            )
          }
          if (end.reason === 'lost' && end.error) throw end.error
        } finally {
          if (timer) clearTimeout(timer)
          process.removeListener('SIGINT', stop)
          process.removeListener('SIGTERM', stop)
        }
      }),
    )

  program
    .command('verify')
    .description(
      'wait for the bootstrap banner, check it against the device and record the operation; exit 0 verified, 3 not verified',
    )
    .requiredOption('--port <path>', 'serial port of the board')
    .option('--device <uid>', 'the device this board should be')
    .addOption(
      secondsOption('--timeout <s>', 'seconds to wait for the banner', 'timeout').default(30),
    )
    .addOption(consoleBaudOption())
    .option('--approve', 'approve the operation when the board is verified (uses up its token)')
    .option('--approver <name>', 'your name, recorded with the approval (or FIELDFLASH_APPROVER)')
    .option(
      '--no-register',
      'approve only; register the board over the cable later ("fieldflash registration refresh")',
    )
    .action(
      action(async (cmd) => {
        const ctx = context(cmd)
        const o = cmd.opts()
        const json = kit.json()
        const baudRate: number = o.baud
        const timeout: number = o.timeout
        if (o.device !== undefined) assertDeviceUid(o.device, 'device')
        if (o.approver !== undefined && !o.approve) {
          throw invalidInput('approver', 'only goes with --approve')
        }
        const approver = o.approve ? approverOf(o.approver, kit.env) : undefined
        const store = await ctx.store()
        if (!json) {
          io.err(`Waiting up to ${timeout} s for the bootstrap banner on ${o.port}…\n`)
        }
        const catalog = await ctx.catalog()
        // Ctrl+C ends the wait cleanly: the port is released and nothing is approved.
        const outcome: VerifyOutcome = await withCtrlC(async (signal) =>
          o.device === undefined
            ? verifyOnPort({
                store,
                path: o.port,
                baudRate,
                timeoutMs: timeout * 1000,
                approve: o.approve === true,
                approver,
                register: o.register !== false,
                catalog,
                signal,
              })
            : // The device is named: its board session holds the port throughout and follows a
              // board that re-enumerates (native USB).
              verified(
                await runBoardSession(
                  { store, catalog, access: kit.access },
                  {
                    uid: o.device,
                    port: { path: o.port },
                    write: null,
                    until: o.approve ? 'approved' : 'verified',
                    approver,
                    register: o.register !== false,
                    consoleBaud: baudRate,
                    verifyTimeoutMs: timeout * 1000,
                    holder: 'fieldflash verify',
                  },
                  () => undefined,
                  signal,
                ),
              ),
        )
        const report = verifyReport(outcome)
        emit(io, json, report, () => formatVerify(outcome))
        // Approved but not registered: the approval stands, the registration is to be completed
        // (unless the board cannot be registered offline at all: then the approval is all there is).
        if (outcome.kind === 'banner' && registrationPending(outcome.registration)) {
          return EXIT.failure
        }
        return report.ok ? 0 : EXIT_NOT_VERIFIED
      }),
    )

  const registration = program
    .command('registration')
    .description('registration tokens: what an approved board receives over the cable')
  registration
    .command('refresh')
    .description(
      "register the device's approved board over the cable, or give a registered one a new registration token (the old one is retired)",
    )
    .requiredOption('--port <path>', 'serial port of the board')
    .requiredOption('--device <uid>', 'the device the board is')
    .addOption(
      secondsOption(
        '--timeout <s>',
        'seconds to wait for the board, then for its answer',
        'timeout',
      ).default(30),
    )
    .addOption(consoleBaudOption())
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        assertDeviceUid(o.device, 'device')
        const ctx = context(cmd)
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        const outcome = await withCtrlC((signal) =>
          registerOnPort({
            store,
            catalog,
            path: o.port,
            uid: o.device,
            baudRate: o.baud,
            timeoutMs: o.timeout * 1000,
            signal,
          }),
        )
        emit(io, kit.json(), outcome, () =>
          outcome.ok
            ? `${o.device} is registered: registration token ${outcome.registration.fingerprint} (${outcome.op === 'refresh' ? 'refreshed' : 'new'}), valid until ${outcome.registration.expiresAt}.`
            : `fieldflash: ${o.device} was not registered: ${outcome.message}`,
        )
        return outcome.ok ? 0 : EXIT.failure
      }),
    )
  registration
    .command('revoke')
    .addArgument(new Argument('<uid>', 'the device UID'))
    .description(
      "revoke the device's registration token in the registry; the next export carries the revocation",
    )
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const view = await revokeRegistration(await context(cmd).store(), uid)
        emit(
          io,
          kit.json(),
          { uid, ...view },
          () =>
            `Registration token ${view.fingerprint} of ${uid} is revoked. To give the board a new one: fieldflash registration refresh --port <port> --device ${uid}`,
        )
      }),
    )

  const operation = program
    .command('operation')
    .description('provisioning operations recorded by "fieldflash verify"')
  operation
    .command('approve')
    .argument('<uid>', 'the device UID')
    .argument('<operation-id>', 'the operation id "verify" printed')
    .description('approve a recorded operation (only when its banner is still verified)')
    .option('--approver <name>', 'your name, recorded with the approval (or FIELDFLASH_APPROVER)')
    .option(
      '--port <path>',
      'the board is still connected here: register it over the cable once approved',
    )
    .action(
      action(async (cmd, uid: string, id: string) => {
        assertDeviceUid(uid, 'uid')
        const o = cmd.opts()
        const ctx = context(cmd)
        const store = await ctx.store()
        const catalog = await ctx.catalog()
        const result = await approveOperation(store, {
          uid,
          operationId: id,
          approver: approverOf(o.approver, kit.env),
        })
        const unsupported = await offlineRegistrationRefusal(store, catalog, uid)
        const registration =
          o.port === undefined || unsupported
            ? null
            : await withCtrlC((signal) =>
                registerOnPort({ store, catalog, path: o.port, uid, signal }),
              )
        emit(io, kit.json(), { uid, ...result, registration }, () =>
          [
            `Operation ${id} of ${uid} approved by ${result.operation.approver}; token ${result.token.fingerprint} is now consumed.`,
            unsupported
              ? `Not registered: ${unsupported}`
              : registration === null
                ? `To register the board over the cable: fieldflash registration refresh --port <port> --device ${uid}`
                : registration.ok
                  ? `Registered over the cable: registration token ${registration.registration.fingerprint}, valid until ${registration.registration.expiresAt}.`
                  : `Not registered: ${registration.message} Next: fieldflash registration refresh --port ${o.port} --device ${uid}`,
          ].join('\n'),
        )
        return registration?.ok === false ? EXIT.failure : undefined
      }),
    )
  operation
    .command('reject')
    .argument('<uid>', 'the device UID')
    .argument('<operation-id>', 'the operation id "verify" printed')
    .description('reject a recorded operation (the token is left as it is)')
    .option('--approver <name>', 'your name, recorded with the rejection')
    .option('--reason <text>', 'why, for the record')
    .action(
      action(async (cmd, uid: string, id: string) => {
        assertDeviceUid(uid, 'uid')
        const o = cmd.opts()
        const rejected = await rejectOperation(await context(cmd).store(), {
          uid,
          operationId: id,
          approver: o.approver,
          reason: o.reason,
        })
        emit(
          io,
          kit.json(),
          { uid, operation: rejected },
          () =>
            `Operation ${id} of ${uid} rejected. If the token may have been copied, revoke it: fieldflash token revoke ${uid}`,
        )
      }),
    )

  program
    .command('audit')
    .description('the audit log: every change of devices, tokens and operations (no secrets)')
    .option('--device <uid>', "only this device's entries")
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        if (o.device !== undefined) assertDeviceUid(o.device, 'device')
        const entries = await readAuditLog(await context(cmd).store(), { uid: o.device })
        emit(io, kit.json(), { entries }, () =>
          entries.length === 0 ? 'No audit entries yet.' : entries.map(formatEntry).join('\n'),
        )
      }),
    )
}

/** Runs a registration; Ctrl+C ends it cleanly (recorded as cancelled, the port released). */
/** Who approves: --approver, else FIELDFLASH_APPROVER; an approval without a name is refused. */
export function approverOf(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const name = option ?? env.FIELDFLASH_APPROVER
  if (name === undefined || name.trim() === '') {
    throw invalidInput(
      'approver',
      'is required to approve (or set FIELDFLASH_APPROVER): an approval records who made it',
    )
  }
  return name
}

// --- monitor output -------------------------------------------------------------------------

function printUpdate(update: MonitorUpdate, json: boolean, out: (text: string) => void): void {
  switch (update.kind) {
    case 'lines': {
      let text = ''
      if (update.skipped > 0) {
        text += json
          ? JSON.stringify({ type: 'skipped', count: update.skipped }) + '\n'
          : `… ${update.skipped} lines skipped …\n`
      }
      for (const line of update.lines) text += json ? jsonLine(line) : humanLine(line)
      out(text)
      return
    }
    case 'state':
      out(
        json
          ? JSON.stringify({ type: 'state', state: update.state, path: update.path }) + '\n'
          : update.state === 'reconnecting'
            ? `--- board gone from ${update.path}; waiting for it to come back …\n`
            : update.state === 'open'
              ? `--- connected again on ${update.path}\n`
              : '',
      )
      return
    case 'error':
      if (json)
        out(JSON.stringify({ type: 'error', code: update.code, message: update.message }) + '\n')
      return
    case 'reset':
      out(json ? JSON.stringify({ type: 'reset' }) + '\n' : '--- board reset\n')
      return
    case 'cleared':
      return
  }
}

function jsonLine(line: MonitorLine): string {
  const record: Record<string, unknown> = {
    type: 'line',
    seq: line.seq,
    at: new Date(line.at).toISOString(),
    text: line.text,
  }
  const banner = line.text.includes('FFBOOT') ? parseBootstrapBanner(line.text) : null
  if (banner?.kind === 'banner') record.banner = banner.banner
  else if (banner?.kind === 'malformed') record.bannerProblem = banner.reason
  const error = line.text.includes('FFERR') ? parseBootstrapError(line.text) : null
  if (error) record.bootstrapError = error
  return JSON.stringify(record) + '\n'
}

function humanLine(line: MonitorLine): string {
  const d = new Date(line.at)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
  let text = `${time}  ${line.text}\n`
  const banner = line.text.includes('FFBOOT') ? parseBootstrapBanner(line.text) : null
  if (banner?.kind === 'banner') {
    const b = banner.banner
    text += `              ↳ bootstrap banner: device ${b.uid}, token ${b.fingerprint}, code ${b.code}, MAC ${b.mac} (check it with "fieldflash verify")\n`
  } else if (banner?.kind === 'malformed') {
    text += `              ↳ broken bootstrap banner (${banner.reason}): check the baud rate\n`
  }
  const error = line.text.includes('FFERR') ? parseBootstrapError(line.text) : null
  if (error) text += `              ↳ firmware error ${error.reason}: ${error.message}\n`
  return text
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

// --- verify output --------------------------------------------------------------------------

/** The machine-readable result of `verify`. */
export function verifyReport(outcome: VerifyOutcome): Record<string, unknown> & { ok: boolean } {
  switch (outcome.kind) {
    case 'timeout':
      return { ok: false, outcome: 'timeout', port: outcome.port, message: outcome.message }
    case 'board_error':
      return {
        ok: false,
        outcome: 'board_error',
        port: outcome.port,
        uid: outcome.error.uid,
        reason: outcome.error.reason,
        message: outcome.error.message,
      }
    case 'banner': {
      const v = outcome.verdict
      return {
        ok: v.verified,
        outcome: v.classification,
        port: outcome.port,
        uid: v.uid,
        fingerprint: v.fingerprint,
        seenCode: v.seenCode,
        expectedCode: v.expectedCode,
        mac: v.mac,
        recordedMac: v.recordedMac,
        tokenState: v.token?.state ?? null,
        headline: v.headline,
        message: v.message,
        nextStep: v.nextStep,
        operationId: outcome.operation?.id ?? null,
        operationState: outcome.operation?.state ?? null,
        approved: outcome.approval !== null,
        approver: outcome.approval?.operation.approver ?? null,
        approvedAt: outcome.approval?.approvedAt ?? null,
        registered: outcome.registration?.ok ?? false,
        registration: outcome.registration?.ok ? outcome.registration.registration : null,
        registrationError: outcome.registration?.ok === false ? outcome.registration : null,
      }
    }
    case 'registered': {
      const { board } = outcome
      return {
        ok: board.holds,
        outcome: 'registered',
        port: outcome.port,
        uid: board.uid,
        registrationFingerprint: board.fingerprint,
        expiresAt: board.expiresAt,
        genuine: board.genuine,
        registrationState: board.registration?.state ?? null,
        message: registeredBoardMessage(board),
      }
    }
  }
}

/** The board's story, with the command that registers it again when it needs to be. */
function registeredBoardMessage(board: RegisteredBoard): string {
  const again =
    board.registration && board.genuine && !board.holds
      ? ` (fieldflash registration refresh --port <port> --device ${board.uid})`
      : ''
  return board.message.replace(/\.$/, `${again}.`)
}

/** An attempt that failed and can be made again (not a board that cannot be registered offline). */
function registrationPending(registration: RegistrationOutcome | null): boolean {
  return registration?.ok === false && registration.reason !== 'unsupported'
}

export function formatVerify(outcome: VerifyOutcome): string {
  if (outcome.kind === 'timeout') return `NOT VERIFIED: ${outcome.message}`
  if (outcome.kind === 'registered') {
    const { board } = outcome
    return `${board.holds ? 'REGISTERED' : 'NOT VERIFIED'}: ${registeredBoardMessage(board)}`
  }
  if (outcome.kind === 'board_error') {
    return `NOT VERIFIED: the board on ${outcome.port} reports a firmware error (${outcome.error.reason}).\n${outcome.error.message}`
  }
  const v = outcome.verdict
  const lines = [
    `${v.verified ? 'VERIFIED' : 'NOT VERIFIED'}: ${v.uid} — ${v.headline}`,
    `  code on the board  ${v.seenCode}`,
    `  expected code      ${v.expectedCode ?? '(none: no token here)'}`,
    `  token              ${v.fingerprint}${v.token ? ` (${v.token.state})` : ''}`,
    `  board MAC          ${v.mac}${v.recordedMac ? ` (recorded: ${v.recordedMac})` : ''}`,
    v.message,
    `Next: ${v.nextStep}`,
  ]
  if (outcome.operation) {
    lines.push(`Operation ${outcome.operation.id} is ${outcome.operation.state}.`)
  }
  if (outcome.approval) {
    const who = outcome.approval.operation.approver
    lines.push(
      `Approved${who ? ` by ${who}` : ''} at ${outcome.approval.approvedAt}; token ${outcome.approval.token.fingerprint} is now consumed.`,
    )
  } else if (v.verified && outcome.operation?.state === 'pending') {
    lines.push(
      `To approve: fieldflash operation approve ${v.uid} ${outcome.operation.id} --approver <your name>`,
    )
  }
  const registration = outcome.registration
  if (registration?.ok) {
    lines.push(
      `Registered over the cable: registration token ${registration.registration.fingerprint}, valid until ${registration.registration.expiresAt}.`,
    )
  } else if (registration && !registrationPending(registration)) {
    lines.push(`Not registered: ${registration.message}`)
  } else if (registration) {
    lines.push(
      `Approved, but not registered: ${registration.message} Next: fieldflash registration refresh --port ${outcome.port} --device ${v.uid}`,
    )
  }
  return lines.join('\n')
}

function formatEntry(entry: AuditEntry): string {
  const { at, type, station, ...rest } = entry
  const details = Object.entries(rest)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ')
  // The station that made the change (entries older than station names have none).
  const by = station === undefined ? '' : `${station.padEnd(16)} `
  return `${at}  ${by}${type.padEnd(22)} ${details}`
}

/** What the console showed a board session, or the error that stopped it before it showed any. */
function verified(session: BoardSessionResult): VerifyOutcome {
  if (session.verification) return session.verification
  const failure = session.failure!
  throw new FieldFlashError(
    failure.code === 'internal' ||
      failure.code === 'not_verified' ||
      failure.code === 'not_registered'
      ? 'io_error'
      : failure.code,
    failure.message,
    failure.field,
  )
}
