import { openedSecret } from '../store/sealed'
import { assertDeviceUid } from '../shared/device-uid'
import {
  openSerialMonitor,
  type SerialMonitor,
  type SerialMonitorOptions,
} from '../monitor/serial-monitor'
import type { MonitorLine } from '../monitor/line-ring'
import { parseBootstrapBanner, type BootstrapBanner } from './bootstrap-banner'
import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError, invalidInput, type ErrorCode } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { ProvisioningOperation } from '../store/records'
import { parseBootstrapError, type BootstrapError } from './bootstrap-error'
import { classifyBanner, type BannerVerdict } from './classify-banner'
import { OperationRecordLimiter, recordLimitMessage } from './record-limiter'
import { parseRegistrationReply, proofHolds } from '../registration/registration-protocol'
import { viewRegistration, type RegistrationView } from '../registration/registrations'
import {
  consoleOfMonitor,
  offlineRegistrationRefusal,
  registerBoard,
  type RegistrationOutcome,
} from './register-board'
import {
  approveOperation,
  recordOperation,
  requireApprover,
  validateApprover,
  type ApprovalResult,
} from './operations'

/** What the watcher makes of the console, line by line. */
export type BootstrapEvent =
  | {
      kind: 'banner'
      line: MonitorLine
      banner: BootstrapBanner
      verdict: BannerVerdict
      /** The operation this boot of the board started, as currently recorded; null if none. */
      operation: ProvisioningOperation | null
      /** True on the banner that recorded the operation. */
      newOperation: boolean
      /** Set when the operation could not be recorded (the data file could not be written). */
      recordError: { code: ErrorCode | 'internal'; message: string } | null
    }
  | { kind: 'malformed'; line: MonitorLine; reason: string }
  | { kind: 'board_error'; line: MonitorLine; error: BootstrapError }
  /** Recording stopped for a device flooding the console (said once per boot). */
  | { kind: 'record_limited'; line: MonitorLine; uid: string; message: string }
  /** A line could not be judged (the registry could not be read): the watch goes on. */
  | { kind: 'failure'; line: MonitorLine; error: unknown }
  /** A registered board's FFREGD status line, checked against the registry. */
  | { kind: 'registered'; line: MonitorLine; board: RegisteredBoard }

/** What a registered board says of itself, and what the registry makes of it. */
export interface RegisteredBoard {
  uid: string
  /** Fingerprint of the registration token the board holds. */
  fingerprint: string
  /** Its expiry as the board stored it. */
  expiresAt: string
  /** That registration token as the registry knows it; null when it knows no such token. */
  registration: RegistrationView | null
  /** True when the board proved it holds the token the registry knows (its proof checks). */
  genuine: boolean
  /** This boot's nonce, which a refresh over the same console is bound to. */
  nonce: string
  /** It holds up: the board proved holding a registration token this registry has active. */
  holds: boolean
  /** What to tell the technician about it. */
  message: string
}

export interface WatchOptions {
  store: FieldFlashStore
  /** The device the technician is checking, when they chose one. */
  expectedUid?: string
  /** Record provisioning operations (default true). */
  record?: boolean
  now?: () => Date
}

/** Lines the ESP ROM prints right after a reset: each one starts a new boot. */
export const BOOT_LINE = /(?:^|\s)rst:0x[0-9a-f]+|rst cause:\d|^ESP-ROM:|^ets [A-Z][a-z]{2} /

/**
 * Watches a monitor for bootstrap banners: classifies every banner against the store and records
 * a provisioning operation on the first banner of each (UID, fingerprint, MAC) per boot of the
 * board. A boot starts when the monitor opens, resets the board, finds it again after
 * re-enumeration, or sees the ROM's reset lines. Returns the unsubscribe function.
 */
export function watchBootstrap(
  monitor: SerialMonitor,
  options: WatchOptions,
  emit: (event: BootstrapEvent) => void,
): () => void {
  const now = options.now ?? (() => new Date())
  const record = options.record ?? true
  // Nothing is said once the watch ended (a line may still be in its record when it ends).
  let stopped = false
  const say = emit
  emit = (event) => {
    if (!stopped) say(event)
  }
  /** Banner key → operation id, for this boot. */
  const seen = new Map<string, string | null>()
  const limiter = new OperationRecordLimiter()
  const limitedSaid = new Set<string>()

  const newBoot = (): void => {
    seen.clear()
    limiter.newBoot()
    limitedSaid.clear()
  }

  const onBanner = async (line: MonitorLine, banner: BootstrapBanner): Promise<void> => {
    const at = now()
    const verdict = classifyBanner(
      await options.store.device(banner.uid),
      banner,
      at,
      options.expectedUid,
    )
    const key = `${banner.uid}|${banner.fingerprint}|${banner.code}|${banner.mac}`
    let newOperation = false
    let recordError: { code: ErrorCode | 'internal'; message: string } | null = null
    if (record && !seen.has(key) && !limiter.allow(banner.uid, at.getTime())) {
      if (!limitedSaid.has(banner.uid)) {
        limitedSaid.add(banner.uid)
        emit({
          kind: 'record_limited',
          line,
          uid: banner.uid,
          message: recordLimitMessage(banner.uid),
        })
      }
    } else if (record && !seen.has(key)) {
      seen.set(key, null)
      try {
        // Boards may be flashing meanwhile: the registry's lock is awaited in timers.
        const recorded = await recordOperation(options.store, { banner, port: monitor.path }, at)
        if (recorded) {
          seen.set(key, recorded.operation.id)
          newOperation = recorded.created
        }
      } catch (error) {
        recordError =
          error instanceof FieldFlashError
            ? { code: error.code, message: error.message }
            : { code: 'internal', message: (error as Error).message }
      }
    }
    const id = seen.get(key)
    const operation =
      (id && (await options.store.device(banner.uid))?.operations.find((op) => op.id === id)) ||
      null
    emit({ kind: 'banner', line, banner, verdict, operation, newOperation, recordError })
  }

  // Lines are judged one after another, in order, each waiting for its record to be written.
  let queue: Promise<void> = Promise.resolve()
  const judge = async (line: MonitorLine): Promise<void> => {
    if (BOOT_LINE.test(line.text)) newBoot()
    try {
      if (line.text.includes('FFBOOT')) {
        const parsed = parseBootstrapBanner(line.text)
        if (parsed.kind === 'banner') await onBanner(line, parsed.banner)
        else if (parsed.kind === 'malformed')
          emit({ kind: 'malformed', line, reason: parsed.reason })
      } else if (line.text.includes('FFERR')) {
        const error = parseBootstrapError(line.text)
        if (error) emit({ kind: 'board_error', line, error })
      } else if (line.text.includes('FFREGD')) {
        const board = await judgeRegisteredBoard(options.store, line.text, now())
        if (board) emit({ kind: 'registered', line, board })
      }
    } catch (error) {
      emit({ kind: 'failure', line, error })
    }
  }
  const unsubscribe = monitor.subscribe(
    (update) => {
      if (update.kind === 'reset' || (update.kind === 'state' && update.state === 'open')) {
        queue = queue.then(newBoot)
        return
      }
      if (update.kind !== 'lines') return
      const lines = update.lines
      queue = queue.then(async () => {
        for (const line of lines) if (!stopped) await judge(line)
      })
    },
    { ignorePause: true },
  )
  return () => {
    stopped = true
    unsubscribe()
  }
}

/** Checks an FFREGD line against the registry: which registration token, and is the proof good. */
export async function judgeRegisteredBoard(
  store: FieldFlashStore,
  text: string,
  now: Date,
): Promise<RegisteredBoard | null> {
  const reply = parseRegistrationReply(text)
  if (reply?.kind !== 'status') return null
  const record =
    (await store.device(reply.uid))?.registrations.find((r) => r.fingerprint === reply.rfp) ?? null
  const board = {
    uid: reply.uid,
    fingerprint: reply.rfp,
    expiresAt: new Date(Number(reply.exp) * 1000).toISOString(),
    registration: record ? viewRegistration(record, now) : null,
    genuine:
      record !== null &&
      proofHolds(reply, openedSecret(record.holderKey, `${reply.uid}'s registration`)),
    nonce: reply.nonce,
  }
  const holds = board.genuine && board.registration?.state === 'active'
  return { ...board, holds, message: describeRegisteredBoard(board) }
}

function describeRegisteredBoard(board: Omit<RegisteredBoard, 'holds' | 'message'>): string {
  const r = board.registration
  if (!r) {
    return `The board says it is ${board.uid}, registered with token ${board.fingerprint}, which this registry never issued (another installation or data folder).`
  }
  if (!board.genuine) {
    return `The board says it holds registration token ${board.fingerprint} of ${board.uid}, but its proof does not check: it does not hold that token.`
  }
  if (r.state === 'active') {
    return `The board is ${board.uid}, registered with token ${board.fingerprint} until ${board.expiresAt}.`
  }
  return `The board is ${board.uid}, but its registration token ${board.fingerprint} is ${r.state} in the registry: register it again over the cable.`
}

export interface VerifyOnPortRequest {
  store: FieldFlashStore
  path: string
  baudRate?: number
  /** The device the board should be. */
  expectedUid?: string
  /** How long to wait for a banner (default 30 s). */
  timeoutMs?: number
  /** Approve the operation when the board is verified. */
  approve?: boolean
  approver?: string | null
  /**
   * After approving, register the board over the same console (default true): it receives its
   * registration token, and the device becomes registered.
   */
  register?: boolean
  /** The board catalog: a board it says cannot be registered offline is approved only. */
  catalog?: BoardCatalog
  /** How long the registration may take (default 15 s). */
  registerTimeoutMs?: number
  signal?: AbortSignal
  onEvent?: (event: BootstrapEvent) => void
  now?: () => Date
  /** Passed on to the monitor (a port opener for tests, reconnect options). */
  monitor?: Omit<SerialMonitorOptions, 'path' | 'baudRate'>
}

export type VerifyOutcome =
  | {
      kind: 'banner'
      port: string
      banner: BootstrapBanner
      verdict: BannerVerdict
      operation: ProvisioningOperation | null
      /** Set when the operation was approved. */
      approval: ApprovalResult | null
      /** Set when, after approval, the board was registered over the cable (or failed to be). */
      registration: RegistrationOutcome | null
    }
  | { kind: 'registered'; port: string; board: RegisteredBoard }
  | { kind: 'board_error'; port: string; error: BootstrapError }
  | { kind: 'timeout'; port: string; message: string; malformed: string[] }

/**
 * Opens the port, waits for the first bootstrap banner (or FFERR line), classifies it, records
 * the operation and, when asked and verified, approves it. The port is always released. Port
 * failures and a board lost while waiting throw their FieldFlash error; a banner that is not
 * verified is an outcome, not an error.
 */
export async function verifyOnPort(request: VerifyOnPortRequest): Promise<VerifyOutcome> {
  const now = request.now ?? (() => new Date())
  const timeoutMs = request.timeoutMs ?? 30_000
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw invalidInput('timeout', 'must be a positive number of seconds')
  }
  if (request.expectedUid !== undefined) {
    const uid = assertDeviceUid(request.expectedUid, 'device')
    if ((await request.store.device(uid)) === null) {
      throw invalidInput(
        'device',
        `no device ${uid} in this data folder; list them with "fieldflash device list"`,
      )
    }
  }
  const approver = request.approve
    ? requireApprover(request.approver)
    : validateApprover(request.approver)
  if (request.signal?.aborted) throw cancelled(request.path)

  const monitor = await openSerialMonitor({
    ...request.monitor,
    path: request.path,
    baudRate: request.baudRate,
  })
  const malformed: string[] = []
  let unwatch: () => void = () => undefined
  let timer: NodeJS.Timeout | null = null
  let onAbort: (() => void) | null = null
  try {
    const first = await new Promise<VerifyOutcome>((resolve, reject) => {
      unwatch = watchBootstrap(
        monitor,
        { store: request.store, expectedUid: request.expectedUid, now },
        (event) => {
          request.onEvent?.(event)
          if (event.kind === 'malformed') malformed.push(event.reason)
          else if (event.kind === 'failure') reject(event.error)
          else if (event.kind === 'board_error') {
            resolve({ kind: 'board_error', port: monitor.path, error: event.error })
          } else if (event.kind === 'registered') {
            resolve({ kind: 'registered', port: monitor.path, board: event.board })
          } else if (event.kind === 'banner') {
            if (event.recordError) {
              const { code, message } = event.recordError
              reject(new FieldFlashError(code === 'internal' ? 'io_error' : code, message))
              return
            }
            resolve({
              kind: 'banner',
              port: monitor.path,
              banner: event.banner,
              verdict: event.verdict,
              operation: event.operation,
              approval: null,
              registration: null,
            })
          }
        },
      )
      timer = setTimeout(() => {
        // Closing delivers the lines still waiting in the monitor's batch: a banner that arrived
        // just before the deadline still counts (the first outcome wins).
        void monitor.close().then(() =>
          resolve({
            kind: 'timeout',
            port: monitor.path,
            malformed,
            message: timeoutMessage(monitor.path, monitor.baudRate, timeoutMs, malformed),
          }),
        )
      }, timeoutMs)
      void monitor.ended.then((end) => {
        if (end.reason === 'lost' && end.error) reject(end.error)
      })
      onAbort = () => reject(cancelled(request.path))
      request.signal?.addEventListener('abort', onAbort, { once: true })
    })
    // The banner came: the wait for it is over (registering has its own timeout).
    if (timer) clearTimeout(timer)
    if (onAbort) request.signal?.removeEventListener('abort', onAbort)
    if (
      first.kind === 'banner' &&
      request.approve &&
      first.verdict.verified &&
      first.operation !== null
    ) {
      try {
        const approval = await approveOperation(
          request.store,
          { uid: first.verdict.uid, operationId: first.operation.id, approver },
          now(),
        )
        const unsupported = request.catalog
          ? await offlineRegistrationRefusal(request.store, request.catalog, first.verdict.uid)
          : null
        const registration =
          request.register === false
            ? null
            : unsupported
              ? {
                  ok: false as const,
                  reason: 'unsupported',
                  message: unsupported,
                  fingerprint: null,
                }
              : await registerBoard({
                  store: request.store,
                  console: consoleOfMonitor(monitor),
                  uid: first.verdict.uid,
                  nonce: first.banner.nonce,
                  mac: first.banner.mac,
                  timeoutMs: request.registerTimeoutMs,
                  signal: request.signal,
                  now,
                })
        return { ...first, operation: approval.operation, approval, registration }
      } catch (error) {
        if (!(error instanceof FieldFlashError) || error.code !== 'invalid_state') throw error
        // Another process changed the token between the banner and the approval (revoked it, or
        // approved another board with it): judge the banner again against the registry as it is.
        const device = await request.store.device(first.verdict.uid)
        const verdict = classifyBanner(device, first.banner, now(), request.expectedUid)
        if (verdict.verified) throw error
        return {
          ...first,
          verdict,
          operation: device?.operations.find((op) => op.id === first.operation!.id) ?? null,
        }
      }
    }
    return first
  } finally {
    if (timer) clearTimeout(timer)
    if (onAbort) request.signal?.removeEventListener('abort', onAbort)
    unwatch()
    await monitor.close()
  }
}

function cancelled(path: string): FieldFlashError {
  return new FieldFlashError('cancelled', `Verification on ${path} was cancelled.`)
}

function timeoutMessage(
  path: string,
  baud: number,
  timeoutMs: number,
  malformed: string[],
): string {
  const seconds = Math.round(timeoutMs / 100) / 10
  const head = `No bootstrap banner on ${path} within ${seconds} s.`
  if (malformed.length > 0) {
    const reasons = [...new Set(malformed)].join(', ')
    return `${head} ${malformed.length} broken FFBOOT line(s) were seen (${reasons}): check the baud rate (${baud}) and the cable, then try again.`
  }
  return `${head} Check the baud rate (${baud}), press the board's EN/RST button to reboot it, and make sure it runs FieldFlash firmware that is not yet registered.`
}
