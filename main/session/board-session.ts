import type { BoardCatalog } from '../boards/catalog'
import type { BeforeMode, FlashDependencies } from '../flash/flash-board'
import type { FlashEvent, FlashResult } from '../flash/flash-events'
import { flashFirmware, type PreparedFirmware } from '../flash/flash-firmware'
import { leaseDevice, type DeviceLease } from '../leases/device-lease'
import { leasePort, type PortLease } from '../leases/port-lease'
import type { SerialMonitorOptions } from '../monitor/serial-monitor'
import type { PortView } from '../serial/port-types'
import {
  identifyPort,
  reenumeratesOnReset,
  refindPort,
  rememberPort,
  systemPortLister,
  type PortIdentity,
  type PortLister,
} from '../serial/port-identity'
import { provisionBoard, type ProvisionResult } from '../provision/provision-board'
import { FieldFlashError, type ErrorCode } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { requireApprover } from '../verification/operations'
import {
  verifyOnPort,
  type BootstrapEvent,
  type VerifyOutcome,
} from '../verification/verification-session'

// One owner for one board, from the port being taken to its release: write it (provision, or
// flash a build), let it boot, watch its console, judge its banner, approve it when asked, and
// register it. The port and (for a write) the device are leased for the whole sequence, so no
// other job of this process touches the port in between and no other job anywhere writes the
// device's credentials to another board. The app's flash and provision steps, the CLI's
// `provision` (with --verify and --approve), `verify --device` and the station run on it.

/** How far a session takes the board. */
export type SessionGoal = 'flashed' | 'verified' | 'approved'

/** What goes on the board. */
export type SessionWrite =
  /** The board's base firmware from the library plus a fresh config partition. */
  | { kind: 'provision'; firmware?: string }
  /** A build (of the device's template), as `fieldflash flash --device` takes it. */
  | {
      kind: 'flash'
      firmwarePath: string
      erase?: boolean
      offset?: number
      acceptTokenMismatch?: boolean
      /** The firmware as the caller already loaded and checked it for this job. */
      prepared?: PreparedFirmware
    }

export interface BoardSessionRequest {
  uid: string
  port: { path: string; vid?: string | null; pid?: string | null }
  /** What goes on the board; null to only watch it (`fieldflash verify --device`). */
  write: SessionWrite | null
  until: SessionGoal
  /** The console's baud rate (default: the monitor's 115200). */
  consoleBaud?: number
  /** Who approves (required when `until` is `approved`). */
  approver?: string | null
  /** After approving, register the board over the cable (default true). */
  register?: boolean
  baud?: number
  before?: BeforeMode
  /** How long to wait for the board's banner once it is written (default 30 s). */
  verifyTimeoutMs?: number
  /** What runs the session, in words, for a job refused the port or the device meanwhile. */
  holder: string
  /** The port, when the caller already holds it for longer (the station, across identify). */
  portLease?: PortLease | null
}

/** How a board session reaches the board (real serial ports by default; the tests' bench). */
export interface BoardAccess {
  flashDependencies?: FlashDependencies
  monitorOptions?: Omit<SerialMonitorOptions, 'path' | 'baudRate' | 'lease' | 'holder'>
  /** The system's serial ports, to find a board again under a new name (default: serialport's). */
  listPorts?: () => Promise<PortView[]>
}

/** How long a board that re-enumerated after its reset may take to come back (as esptool waits). */
const REENUMERATION_TIMEOUT_MS = 15_000

export type SessionStep = 'writing' | 'verifying'

export type BoardSessionEvent =
  | { type: 'step'; step: SessionStep; message: string }
  | { type: 'flash'; event: FlashEvent }
  | { type: 'console'; event: BootstrapEvent }

export interface BoardSessionResult {
  ok: boolean
  uid: string
  /** Where the board ended: a native-USB board may have come back under another name. */
  port: string
  /** The furthest the board got. */
  reached: 'nothing' | 'flashed' | 'verified' | 'approved' | 'registered'
  /** The write step's result (null when the session was refused before it). */
  written: ProvisionResult | FlashResult | null
  /** What the console showed and what was made of it (null when not asked or not reached). */
  verification: VerifyOutcome | null
  /** Set when `ok` is false. */
  failure: {
    code: ErrorCode | 'internal' | 'not_verified' | 'not_registered'
    message: string
    /** The input at fault, when it is one (a device that does not exist, say). */
    field?: string
    badInput?: boolean
  } | null
}

/**
 * Runs one board from blank to `until`. Never throws for a board's failure (no port, a busy one,
 * a device another job holds, a flash that fails, a banner that does not verify): the result
 * says how far it got and why it stopped; both leases end with it, however it ends.
 */
export async function runBoardSession(
  services: { store: FieldFlashStore; catalog: BoardCatalog; access?: BoardAccess },
  request: BoardSessionRequest,
  emit: (event: BoardSessionEvent) => void,
  signal?: AbortSignal,
): Promise<BoardSessionResult> {
  const { store, catalog } = services
  const path = request.port.path
  let portLease: PortLease | null = null
  let deviceLease: DeviceLease | null = null
  const result = (
    reached: BoardSessionResult['reached'],
    written: BoardSessionResult['written'],
    verification: VerifyOutcome | null,
    failure: BoardSessionResult['failure'],
  ): BoardSessionResult => ({
    ok: failure === null,
    uid: request.uid,
    port: portLease?.path ?? path,
    reached,
    written,
    verification,
    failure,
  })

  try {
    // Refused before anything is opened: a wrong approver, a busy port, a device another job has.
    if (request.until === 'approved') requireApprover(request.approver)
    portLease = request.portLease ?? leasePort(path, `${request.holder} (${request.uid})`)
    // Only a write needs the device: watching a board and approving it is decided by the
    // registry, once per token, whichever process sees a banner first.
    if (request.write) {
      deviceLease = await leaseDevice(store, {
        uid: request.uid,
        port: path,
        holder: request.holder,
      })
    }
  } catch (error) {
    if (portLease !== request.portLease) portLease?.release()
    if (!(error instanceof FieldFlashError)) throw error
    return result('nothing', null, null, failureOf(error))
  }
  const list = services.access?.listPorts ?? systemPortLister
  // Who the board is on the USB bus, to follow it when it re-enumerates under another name at its
  // reset, as native-USB boards do (a bridge's port that goes away is an unplugged board).
  const found = await identifyPort(path, list).catch(() => null)
  const identity = reenumeratesOnReset(found) ? found : null
  if (identity) rememberPort(identity)
  try {
    let written: ProvisionResult | FlashResult | null = null
    if (request.write && deviceLease) {
      const leases = { portLease, deviceLease, holder: request.holder }
      emit({
        type: 'step',
        step: 'writing',
        message: `Writing ${request.uid} to the board on ${path}…`,
      })
      written = await writeStep(services, request, request.write, leases, emit, signal)
      if (!written.ok) {
        return result('nothing', written, null, { code: written.code, message: written.message })
      }
      if (request.until === 'flashed') return result('flashed', written, null, null)
    }
    // How far a board got that then did not verify: written, or (only watched) nothing.
    const base = written ? 'flashed' : 'nothing'

    const lease = portLease
    const verify = (): Promise<VerifyOutcome> =>
      verifyOnPort({
        store,
        catalog,
        path: lease.path,
        baudRate: request.consoleBaud,
        expectedUid: request.uid,
        timeoutMs: request.verifyTimeoutMs,
        approve: request.until === 'approved',
        approver: request.approver,
        register: request.register,
        signal,
        onEvent: (event) => emit({ type: 'console', event }),
        monitor: {
          ...services.access?.monitorOptions,
          lease,
          holder: `${request.holder} (${request.uid})`,
          // The board may re-enumerate again while its console is watched (a reset, a crash).
          reconnect: identity ? { identity, list, timeoutMs: REENUMERATION_TIMEOUT_MS } : false,
        },
      })
    let verification: VerifyOutcome
    try {
      await followBoard(lease, identity, list, emit, signal)
      emit({
        type: 'step',
        step: 'verifying',
        message: `Waiting for ${request.uid}'s banner on ${lease.path}…`,
      })
      verification = await verify().catch(async (error: unknown) => {
        // Gone as its console opened: it re-enumerated just after the write let go of it.
        if (!identity || !isPortGone(error)) throw error
        await followBoard(lease, { ...identity, path: lease.path }, list, emit, signal, true)
        return verify()
      })
    } catch (error) {
      if (!(error instanceof FieldFlashError)) throw error
      return result(base, written, null, failureOf(error))
    }
    return judged(verification, base, (reached, failure) =>
      result(reached, written, verification, failure),
    )
  } finally {
    await deviceLease?.release()
    if (portLease !== request.portLease) portLease.release()
  }
}

/**
 * Where the board is now, found by its USB identity: at its lease's path, or (a native-USB board
 * after its reset) under the name it re-enumerated with; the lease follows it there. `gone`: the
 * lease's path failed to open, so only another one will do.
 */
async function followBoard(
  lease: PortLease,
  identity: PortIdentity | null,
  list: PortLister,
  emit: (event: BoardSessionEvent) => void,
  signal: AbortSignal | undefined,
  gone = false,
): Promise<void> {
  if (!identity) return
  const from = lease.path
  const found = await refindPort(
    { ...identity, path: gone ? '' : from },
    { list, timeoutMs: REENUMERATION_TIMEOUT_MS, signal },
  )
  if (signal?.aborted) {
    throw new FieldFlashError('cancelled', `Cancelled while waiting for the board on ${from}.`)
  }
  if (found === null) {
    throw new FieldFlashError(
      'device_lost',
      `The board on ${from} went away after its reset and did not come back within ${REENUMERATION_TIMEOUT_MS / 1000} s. Check the cable, plug it in again, then verify it.`,
    )
  }
  lease.follow(found)
  if (found !== from) {
    emit({
      type: 'step',
      step: 'verifying',
      message: `The board came back as ${found} after its reset (it was ${from}).`,
    })
  }
}

/** A port that could not be opened because it is not there (any more). */
function isPortGone(error: unknown): boolean {
  return (
    error instanceof FieldFlashError &&
    (error.code === 'port_not_found' || error.code === 'device_lost')
  )
}

/** The write step: the base firmware and a fresh config partition, or a build. */
function writeStep(
  services: { store: FieldFlashStore; catalog: BoardCatalog; access?: BoardAccess },
  request: BoardSessionRequest,
  write: SessionWrite,
  leases: { portLease: PortLease; deviceLease: DeviceLease; holder: string },
  emit: (event: BoardSessionEvent) => void,
  signal: AbortSignal | undefined,
): Promise<ProvisionResult | FlashResult> {
  const { store, catalog } = services
  const onFlash = (event: FlashEvent): void => emit({ type: 'flash', event })
  const common = { port: request.port, baud: request.baud, before: request.before, ...leases }
  return write.kind === 'provision'
    ? provisionBoard(
        { store, catalog },
        { ...common, uid: request.uid, firmware: write.firmware },
        onFlash,
        signal,
        services.access?.flashDependencies,
      )
    : flashFirmware(
        { store, catalog },
        {
          ...common,
          firmwarePath: write.firmwarePath,
          deviceUid: request.uid,
          erase: write.erase,
          offset: write.offset,
          acceptTokenMismatch: write.acceptTokenMismatch,
          prepared: write.prepared,
        },
        onFlash,
        signal,
        services.access?.flashDependencies,
      )
}

function failureOf(error: FieldFlashError): NonNullable<BoardSessionResult['failure']> {
  return {
    code: error.code,
    message: error.message,
    field: error.field,
    badInput: error.badInput,
  }
}

/** How far the console took the board, and what stopped it. */
function judged(
  outcome: VerifyOutcome,
  base: 'nothing' | 'flashed',
  make: (
    reached: BoardSessionResult['reached'],
    failure: BoardSessionResult['failure'],
  ) => BoardSessionResult,
): BoardSessionResult {
  if (outcome.kind !== 'banner') {
    const message =
      outcome.kind === 'timeout'
        ? outcome.message
        : outcome.kind === 'board_error'
          ? outcome.error.message
          : outcome.board.message
    return make(base, { code: 'not_verified', message })
  }
  const { verdict, approval, registration } = outcome
  if (!verdict.verified && !approval) {
    return make(base, {
      code: 'not_verified',
      message: `${verdict.message} ${verdict.nextStep}`,
    })
  }
  if (!approval) return make('verified', null)
  if (registration === null) return make('approved', null)
  if (registration.ok) return make('registered', null)
  // A board that cannot be registered offline (an ESP8266) ends approved, as far as it can go.
  if (registration.reason === 'unsupported') return make('approved', null)
  return make('approved', { code: 'not_registered', message: registration.message })
}
