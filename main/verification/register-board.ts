import {
  openSerialMonitor,
  type SerialMonitor,
  type SerialMonitorOptions,
} from '../monitor/serial-monitor'
import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError } from '../shared/errors'
import { requireDevice } from '../store/require-device'
import type { FieldFlashStore } from '../store/store'
import {
  formatRegistrationLine,
  newSalt,
  parseRegistrationReply,
  proofHolds,
} from '../registration/registration-protocol'
import {
  confirmRegistration,
  failRegistration,
  issueRegistration,
  requireApprovedToken,
} from '../registration/registrations'
import { parseBootstrapBanner } from './bootstrap-banner'
import type { RegistrationOutcome } from './verification-types'

/** The board's console as the exchange needs it: send a line, hear every line. */
export interface RegistrationConsole {
  /** Sends one line; the LF is added. */
  send(line: string): Promise<void>
  /** Calls `listener` with each line the board prints; returns the way to stop. */
  onLine(listener: (text: string) => void): () => void
  /** Resolves (never rejects) if the board goes away; the exchange then ends. */
  lost?: Promise<FieldFlashError | null>
}

export type { RegistrationOutcome }

export interface RegisterBoardRequest {
  store: FieldFlashStore
  console: RegistrationConsole
  uid: string
  /** The nonce of the board's banner this boot (n=); the exchange follows a restart by itself. */
  nonce: string | null
  /** The board's MAC, recorded with the registration. */
  mac: string | null
  /** How long to wait for an answer in all (default 15 s). */
  timeoutMs?: number
  /** How often the line goes again while no answer came (default 1 s). */
  resendMs?: number
  signal?: AbortSignal
  now?: () => Date
}

/** What each refusal means for the technician. */
const REFUSALS: Record<string, string> = {
  format:
    'the board could not read the registration line (a noisy line, or a firmware of another protocol version)',
  uid: 'the board is another device',
  nonce: 'the board restarted and did not come back with its banner',
  unregistered: 'the board is not registered, so there is nothing to refresh',
  tag: 'the board does not carry the provisioning token this registration was made for (it was provisioned again, or is another board)',
  token: 'the board could not read the registration token',
  registered:
    'the board is already registered with another registration token for this provisioning token',
  storage: 'the board could not store its registration (its nvs partition is full or damaged)',
}

/**
 * Registers (or refreshes) an approved board over its console: issues a registration token,
 * sends it wrapped in an FFREG line bound to the board's boot nonce, and waits for the board's
 * FFACK (or its FFREGD status line) proving it holds that token; then the registration is active
 * and the device registered. The line goes again every second, and again with the new nonce when
 * the board restarts; a refusal, the board going away, a timeout or cancellation end the attempt,
 * recorded as failed with its reason. The registration token exists only in this call's memory.
 */
export async function registerBoard(request: RegisterBoardRequest): Promise<RegistrationOutcome> {
  const { store, uid } = request
  const now = request.now ?? (() => new Date())
  if (request.nonce === null) {
    return {
      ok: false,
      reason: 'no_nonce',
      message: `The board of ${uid} prints no nonce in its banner, so its firmware cannot take a registration over the cable. Update its base firmware (or template), provision it again, then approve it.`,
      fingerprint: null,
    }
  }
  // Boards may be flashing meanwhile: every write of the exchange awaits the lock in timers.
  const issued = await issueRegistration(store, uid, now())
  const fingerprint = issued.record.fingerprint
  let nonce = request.nonce
  let op = issued.op
  const line = (): string =>
    formatRegistrationLine({
      op,
      registrationKey: issued.registrationKey,
      uid,
      nonce,
      salt: newSalt(),
      exp: issued.exp,
      registrationToken: issued.token,
    })

  let finish!: (outcome: RegistrationOutcome) => void
  const done = new Promise<RegistrationOutcome>((resolve) => {
    finish = resolve
  })
  let ended = false
  /** The acknowledgment is being recorded: later answers (the status line) change nothing. */
  let confirming = false
  const end = (outcome: RegistrationOutcome): void => {
    if (ended) return
    ended = true
    finish(outcome)
  }
  const fail = (reason: string, message: string): void => {
    // The board acknowledged and its record is being written: that decides the outcome.
    if (confirming && reason !== 'not_recorded') return
    end({ ok: false, reason, message, fingerprint })
  }
  const send = (): void => {
    if (ended) return
    request.console.send(line()).catch(() => undefined) // a dead port ends through `lost`
  }

  const unlisten = request.console.onLine((text) => {
    if (ended) return
    const reply = parseRegistrationReply(text)
    if (reply && reply.uid === uid) {
      if (reply.kind === 'nak') {
        if (reply.reason === 'nonce') return // the board restarted: its next banner has the nonce
        if (reply.reason === 'registered' && op === 'register') {
          // The board stored a registration whose acknowledgment never reached the registry:
          // it is registered under this provisioning token, so the new token replaces that one.
          op = 'refresh'
          send()
          return
        }
        fail(
          reply.reason,
          `The board refused the registration: ${REFUSALS[reply.reason] ?? reply.reason}.`,
        )
        return
      }
      // An FFACK of this exchange, or the FFREGD status line: either proves the board holds the
      // token just issued (the proof is keyed with K_rt, which only that token gives).
      if (
        !confirming &&
        reply.rfp === fingerprint &&
        reply.exp === String(issued.exp) &&
        proofHolds(reply, issued.record.holderKey)
      ) {
        confirming = true
        void confirmRegistration(store, uid, fingerprint, request.mac, now()).then(
          (registration) => end({ ok: true, op, registration }),
          (error: unknown) => {
            const why = error instanceof FieldFlashError ? error.message : String(error)
            fail(
              'not_recorded',
              `The board acknowledged the registration, but it could not be recorded: ${why}`,
            )
          },
        )
      }
      return
    }
    const banner = parseBootstrapBanner(text)
    if (banner.kind === 'banner' && banner.banner.uid === uid && banner.banner.nonce) {
      if (banner.banner.nonce !== nonce) {
        nonce = banner.banner.nonce // a new boot: send again, bound to it
        send()
      }
    }
  })

  const timer = setInterval(send, request.resendMs ?? 1000)
  const timeout = setTimeout(
    () =>
      fail(
        'timeout',
        `The board did not answer the registration within ${Math.round((request.timeoutMs ?? 15_000) / 1000)} s. Check that it still runs and prints its banner, then register it again.`,
      ),
    request.timeoutMs ?? 15_000,
  )
  const onAbort = (): void =>
    fail('cancelled', 'Registration was cancelled; the board was not registered.')
  if (request.signal?.aborted) onAbort()
  request.signal?.addEventListener('abort', onAbort, { once: true })
  void request.console.lost?.then((error) => {
    if (error !== null) {
      fail('lost', `The board went away during registration (${error.message})`)
    }
  })

  send()
  try {
    const outcome = await done
    if (!outcome.ok) await failRegistration(store, uid, fingerprint, outcome.reason, now())
    return outcome
  } finally {
    clearInterval(timer)
    clearTimeout(timeout)
    request.signal?.removeEventListener('abort', onAbort)
    unlisten()
  }
}

/** Where a board showed itself last: its boot nonce (banner or status line) and MAC. */
export interface SeenBoard {
  nonce: string | null
  mac: string | null
  /** The provisioning token its banner named; absent for a status line. */
  fingerprint?: string
}

interface RegisterOnConsoleRequest {
  store: FieldFlashStore
  /** The board catalog: a board it says cannot be registered offline is refused at once. */
  catalog?: BoardCatalog
  uid: string
  /** How long to wait for the board to show itself, then for its answer (default 30 s). */
  timeoutMs?: number
  signal?: AbortSignal
  now?: () => Date
}

/**
 * Registers (or refreshes) the approved board of `uid` on the port at `path`: waits for its banner
 * or its status line, which carry this boot's nonce, then runs the exchange. For a board approved
 * earlier whose registration did not complete, and for a refresh. The port is always released.
 */
export async function registerOnPort(
  request: RegisterOnConsoleRequest & {
    path: string
    baudRate?: number
    monitor?: Omit<SerialMonitorOptions, 'path' | 'baudRate'>
  },
): Promise<RegistrationOutcome> {
  await refuseUnregistrable(request)
  const monitor = await openSerialMonitor({
    // No one watches these lines scroll: hand each to the exchange at once (the console's
    // batching, made for people, would add a quarter second to every answer).
    batchIntervalMs: 10,
    ...request.monitor,
    path: request.path,
    baudRate: request.baudRate,
  })
  try {
    return await registerOnMonitor({ ...request, monitor })
  } finally {
    await monitor.close()
  }
}

/**
 * The same over a console that is already open (the app's, where the technician watches): with
 * `seen`, what the board last showed of itself on it, the exchange starts at once; otherwise it
 * waits for the board's next banner or status line.
 */
export async function registerOnMonitor(
  request: RegisterOnConsoleRequest & { monitor: SerialMonitor; seen?: SeenBoard | null },
): Promise<RegistrationOutcome> {
  const approved = await refuseUnregistrable(request)
  const { monitor } = request
  const path = monitor.path
  const timeoutMs = request.timeoutMs ?? 30_000
  const console = consoleOfMonitor(monitor)
  type Seen = SeenBoard | { refused: string }
  // Only the board that carries the approved token may be registered with it.
  const refusal = (fingerprint: string): Seen => ({
    refused: `The board on ${path} carries token ${fingerprint}, not ${request.uid}'s approved token ${approved}: it is another board, or was provisioned again since. Verify and approve it first.`,
  })
  const seen =
    (request.seen?.fingerprint !== undefined && request.seen.fingerprint !== approved
      ? refusal(request.seen.fingerprint)
      : request.seen) ??
    (await new Promise<Seen | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs)
      const stop = console.onLine((text) => {
        const banner = parseBootstrapBanner(text)
        const status = parseRegistrationReply(text)
        let found: Seen | null = null
        if (banner.kind === 'banner' && banner.banner.uid === request.uid) {
          found =
            banner.banner.fingerprint !== approved
              ? refusal(banner.banner.fingerprint)
              : { nonce: banner.banner.nonce ?? null, mac: banner.banner.mac }
        } else if (status?.kind === 'status' && status.uid === request.uid) {
          found = { nonce: status.nonce, mac: null }
        }
        if (found) {
          clearTimeout(timer)
          stop()
          resolve(found)
        }
      })
      void console.lost?.then(() => {
        clearTimeout(timer)
        resolve(null)
      })
      request.signal?.addEventListener('abort', () => resolve(null), { once: true })
    }))
  if (monitor.state !== 'open' || request.signal?.aborted) {
    const end = monitor.state === 'open' ? null : await monitor.ended
    if (end?.error) throw end.error
    throw new FieldFlashError('cancelled', `Registration on ${path} was cancelled.`)
  }
  if (!seen) {
    return {
      ok: false,
      reason: 'timeout',
      message: `The board of ${request.uid} showed neither its banner nor its status line on ${path} within ${Math.round(timeoutMs / 1000)} s. Check the port and the baud rate, reset the board, and try again.`,
      fingerprint: null,
    }
  }
  if ('refused' in seen) {
    return { ok: false, reason: 'token', message: seen.refused, fingerprint: null }
  }
  return registerBoard({
    store: request.store,
    console,
    uid: request.uid,
    nonce: seen.nonce,
    mac: seen.mac,
    timeoutMs,
    signal: request.signal,
    now: request.now,
  })
}

/**
 * Refused before anything goes over the cable: a device with nothing to register (no approved
 * board), or whose board the catalog says cannot be registered offline. Returns the fingerprint
 * of the approved token.
 */
async function refuseUnregistrable(request: RegisterOnConsoleRequest): Promise<string> {
  const approved = await approvedToken(request.store, request.uid)
  const unsupported = request.catalog
    ? await offlineRegistrationRefusal(request.store, request.catalog, request.uid)
    : null
  if (unsupported) throw new FieldFlashError('invalid_state', unsupported)
  return approved
}

/**
 * Why the device's board cannot be registered over the cable, as the catalog says (an ESP8266 has
 * nowhere to keep a registration token), or null when it can.
 */
export async function offlineRegistrationRefusal(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  uid: string,
): Promise<string | null> {
  const device = await store.device(uid)
  if (!device || !catalog.has(device.boardId)) return null
  const board = catalog.get(device.boardId)
  if (board.offlineRegistration.supported) return null
  return `${board.name} cannot be registered offline: ${board.offlineRegistration.why}`
}

/** The fingerprint of the token the device's board was approved with; throws when there is none. */
async function approvedToken(store: FieldFlashStore, uid: string): Promise<string> {
  return requireApprovedToken(await store.read((tx) => requireDevice(tx, uid))).fingerprint
}

/** The monitor as the registration exchange uses it: send lines, hear lines, notice a loss. */
export function consoleOfMonitor(monitor: SerialMonitor): RegistrationConsole {
  return {
    send: (line) => monitor.send(line),
    onLine: (listener) =>
      monitor.subscribe(
        (update) => {
          if (update.kind === 'lines') for (const line of update.lines) listener(line.text)
        },
        { ignorePause: true },
      ),
    lost: monitor.ended.then((end) => (end.reason === 'lost' ? end.error : null)),
  }
}
