import { randomBytes } from 'node:crypto'
import { readAuditLog } from '../audit/audit-log'
import type { BoardCatalog } from '../boards/catalog'
import {
  addDevice,
  checkNewDeviceUid,
  listDevices,
  rotateMqttPassword,
  viewDevice,
} from '../devices/devices'
import type { FlashDependencies } from '../flash/flash-board'
import { flashFirmware } from '../flash/flash-firmware'
import {
  openSerialMonitor,
  type SerialMonitor,
  type SerialMonitorOptions,
} from '../monitor/serial-monitor'
import { regenerateToken, revokeToken } from '../credentials/tokens'
import { requireDevice } from '../store/require-device'
import { listPorts, type PortView } from '../serial/list-ports'
import { FieldFlashError, invalidInput, toResult, type Result } from '../shared/errors'
import { redactTokens } from '../shared/redact'
import {
  checkSiteDraft,
  requireSiteProfile,
  saveSiteDraft,
  viewSiteProfile,
} from '../site/site-profile'
import type { FieldFlashStore } from '../store/store'
import { downloadTemplate } from '../template/download-template'
import { approveOperation, rejectOperation } from '../verification/operations'
import { watchBootstrap } from '../verification/verification-session'
import {
  offlineRegistrationRefusal,
  registerOnMonitor,
  registerOnPort,
  type RegistrationOutcome,
  type SeenBoard,
} from '../verification/register-board'
import { revokeRegistration } from '../registration/registrations'
import { lastExport, writePlatformExport } from '../export/platform-export'
import { sitePublicKey } from '../export/site-key'
import type {
  ApiEvents,
  DeviceDetails,
  EventName,
  FirmwareCheck,
  FlashOutcome,
  LibraryFirmware,
  OperationName,
  RequestOf,
  ResponseOf,
  Verification,
} from './api-contract'
import {
  importFirmware,
  listFirmware,
  type FirmwareEntry,
} from '../firmware-library/firmware-library'
import { checkFirmwareForDevice, checkFirmwareTokenFor } from '../flash/firmware-token'
import type { FlashEvent, FlashResult } from '../flash/flash-events'
import { provisionBoard } from '../provision/provision-board'
import { parseRequest } from './schemas'

/** The native dialogs main opens for the renderer; injected, so tests substitute them. */
export interface Dialogs {
  /** The folder to save `<uid>.zip` in, or null when the user cancelled. */
  chooseTemplateFolder(uid: string): Promise<string | null>
  /** A firmware build folder or file, or null when the user cancelled. */
  chooseFirmware(pick: 'folder' | 'file'): Promise<string | null>
  /** Where to save the platform export (`defaultName` suggested), or null when cancelled. */
  chooseExportFile(defaultName: string): Promise<string | null>
}

/** The services the API is implemented with; created once by the app shell (or a test). */
export interface Services {
  store: FieldFlashStore
  catalog: BoardCatalog
  dialogs: Dialogs
  /** The app's version, for Settings. */
  version: string
  /** Serial ports with their boards; the system's ports by default. */
  listPorts?: () => Promise<PortView[]>
  /** How flash jobs open ports; the real serial port by default. */
  flashDependencies?: FlashDependencies
  /** How the serial console opens ports; the real serial port by default. */
  monitorOptions?: Partial<SerialMonitorOptions>
  /** Where raw causes of unexpected errors go (redacted); stderr by default. */
  log?: (message: string) => void
  now?: () => Date
}

/** Sends one event to the renderer (main/index.ts: webContents.send; tests: the page). */
export type EventSink = <E extends EventName>(name: E, payload: ApiEvents[E]) => void

/** What main registers: one handler per operation, each taking the raw payload. */
export type OperationHandlers = {
  [K in OperationName]: (payload: unknown) => Promise<Result<ResponseOf<K>>>
}

export interface MainApi {
  handlers: OperationHandlers
  /** Cancels running flash jobs and closes every console. */
  dispose(): Promise<void>
}

type Implementations = {
  [K in OperationName]: (request: RequestOf<K>) => Promise<ResponseOf<K>> | ResponseOf<K>
}

interface MonitorSession {
  monitor: SerialMonitor
  uid: string | undefined
  /** What each device's board last showed of itself here (banner or status line): a
   * registration over this console starts from it at once. */
  seen: Map<string, SeenBoard>
}

function flashedOutcome(result: Extract<FlashResult, { ok: true }>): FlashOutcome {
  return {
    ok: true,
    chip: result.chip,
    mac: result.mac,
    flashSize: result.flashSize,
    baud: result.baud,
    durationMs: result.durationMs,
    firmwareName: result.firmwareName,
  }
}

function failedOutcome(result: Extract<FlashResult, { ok: false }>): FlashOutcome {
  return { ok: false, code: result.code, message: result.message, stage: result.stage }
}

function libraryFirmware(entry: FirmwareEntry): LibraryFirmware {
  return {
    id: entry.id,
    sha256: entry.sha256,
    boardId: entry.boardId,
    name: entry.name,
    version: entry.version,
    chip: entry.chip,
    totalBytes: entry.totalBytes,
    config: entry.config,
    importedAt: entry.importedAt,
  }
}

/**
 * Implements the API over the main-process services. No Electron here: main/index.ts wires it to
 * ipcMain, the end-to-end tests to a browser page. Every payload is validated, every answer is a
 * `Result`, long operations report through `emit` and can be cancelled.
 */
export function createApi(services: Services, emit: EventSink): MainApi {
  const { store, catalog, dialogs } = services
  const now = services.now ?? (() => new Date())
  const log =
    services.log ?? ((message: string) => process.stderr.write(`fieldflash: ${message}\n`))
  const ports = services.listPorts ?? (() => listPorts(catalog))
  const jobs = new Map<string, AbortController>()
  const sessions = new Map<string, MonitorSession>()
  /** Opening a console waits for the previous open on the same port: one console per port. */
  const opening = new Map<string, Promise<unknown>>()

  const details = async (uid: string): Promise<DeviceDetails> => {
    const record = store.read((tx) => requireDevice(tx, uid))
    return {
      device: viewDevice(record, now()),
      approvedAt: record.approvedAt,
      flashes: [...record.flashes].reverse(),
      operations: [...record.operations].reverse(),
      audit: readAuditLog(store, { uid }).reverse(),
    }
  }

  /** Firmware the technician picked, by handle: main reads only paths its own dialog chose. */
  const chosenFirmware = new Map<string, string>()
  const firmwarePath = (handle: string): string => {
    const path = chosenFirmware.get(handle)
    if (path === undefined) {
      throw new FieldFlashError(
        'invalid_input',
        'firmware: choose the firmware again; FieldFlash only flashes what was picked in its own dialog',
        'firmware',
      )
    }
    return path
  }
  const checkFirmware = (uid: string, handle: string): Promise<FirmwareCheck> =>
    checkFirmwareForDevice(store, catalog, { uid, firmwarePath: firmwarePath(handle), now: now() })

  const closeSession = async (sessionId: string): Promise<void> => {
    const session = sessions.get(sessionId)
    if (!session) return
    sessions.delete(sessionId)
    await session.monitor.close()
  }

  /** Closes a console holding the port (the flash needs it) and finds the port's USB ids. */
  const freePort = async (
    portPath: string,
  ): Promise<{ path: string; vid: string | null; pid: string | null }> => {
    for (const [id, session] of sessions) {
      if (session.monitor.path === portPath) await closeSession(id)
    }
    const port = (await ports().catch(() => [])).find((p) => p.path === portPath)
    return { path: portPath, vid: port?.vid ?? null, pid: port?.pid ?? null }
  }

  /** Runs a flash job in the background: events and the outcome go out on the flash channel. */
  const runInBackground = (
    jobId: string,
    operation: string,
    work: (emitEvent: (event: FlashEvent) => void, signal: AbortSignal) => Promise<FlashOutcome>,
  ): void => {
    const controller = new AbortController()
    jobs.set(jobId, controller)
    void work((event) => emit('flash', { jobId, type: 'event', event }), controller.signal)
      .catch((error: unknown): FlashOutcome => {
        logUnexpected(operation, error)
        return {
          ok: false,
          code: 'internal',
          message: 'Flashing failed unexpectedly; see the log for details, then try again.',
          stage: 'preparing',
        }
      })
      .then((outcome) => {
        jobs.delete(jobId)
        emit('flash', { jobId, type: 'done', outcome })
      })
  }

  const implementations: Implementations = {
    getAppInfo: () => ({
      version: services.version,
      dataDir: store.dataDir,
      databasePath: store.path,
      platform: process.platform,
    }),
    getSiteProfile: () => {
      const site = store.site()
      return site ? viewSiteProfile(site) : null
    },
    checkSiteProfile: (draft) => checkSiteDraft(draft, store.site()),
    saveSiteProfile: (draft) => viewSiteProfile(saveSiteDraft(store, draft)),
    listBoards: () => catalog.list(),
    listPorts: () => ports(),
    listDevices: (page) => listDevices(store, page ?? {}, now()),
    dataVersion: () => store.dataVersion(),
    getDevice: ({ uid }) => details(uid),
    checkDeviceUid: ({ uid }) => {
      checkNewDeviceUid(store, uid)
      return null
    },
    addDevice: ({ uid, boardId }) =>
      addDevice(store, catalog, { uid: uid === '' ? undefined : uid, boardId }, now()),
    downloadTemplate: async ({ uid }) => {
      // Fail before the dialog when the ZIP could not be made anyway.
      store.read((tx) => {
        requireSiteProfile(tx)
        requireDevice(tx, uid)
      })
      const folder = await dialogs.chooseTemplateFolder(uid)
      if (folder === null) return null
      return downloadTemplate(store, catalog, { uid, outDir: folder, now: now() })
    },
    regenerateToken: ({ uid }) => regenerateToken(store, uid, now()),
    revokeToken: ({ uid }) => revokeToken(store, uid, now()),
    rotateMqttPassword: ({ uid }) => rotateMqttPassword(store, uid, now()),
    chooseFirmware: async ({ pick }) => {
      const path = await dialogs.chooseFirmware(pick)
      if (path === null) return null
      const handle = `fw-${randomBytes(8).toString('hex')}`
      chosenFirmware.set(handle, path)
      return { handle, path }
    },
    checkFirmware: ({ uid, firmware }) => checkFirmware(uid, firmware),
    startFlash: async (request) => {
      const { jobId, uid, portPath, firmware } = request
      if (jobs.has(jobId)) {
        throw new FieldFlashError('already_exists', `jobId: flash job ${jobId} is already running`)
      }
      // Refused before a job starts, so the form can show the check again (flashFirmware's rule).
      await checkFirmwareTokenFor(
        { store, catalog },
        {
          uid,
          firmwarePath: firmwarePath(firmware),
          acceptTokenMismatch: request.acceptTokenMismatch,
          now: now(),
        },
      )
      const port = await freePort(portPath)
      runInBackground(jobId, 'startFlash', (emitEvent, signal) =>
        flashFirmware(
          { store, catalog },
          {
            port,
            firmwarePath: firmwarePath(firmware),
            deviceUid: uid,
            baud: request.baud,
            erase: request.erase,
            acceptTokenMismatch: request.acceptTokenMismatch,
            holder: 'the FieldFlash app',
          },
          emitEvent,
          signal,
          services.flashDependencies,
        ).then((result): FlashOutcome =>
          result.ok ? flashedOutcome(result) : failedOutcome(result),
        ),
      )
      return { jobId }
    },
    listFirmware: ({ boardId }) => listFirmware(store, { boardId }).map(libraryFirmware),
    importFirmware: async ({ boardId, pick }) => {
      catalog.get(boardId, 'boardId')
      const path = await dialogs.chooseFirmware(pick)
      if (path === null) return null
      const result = await importFirmware(store, catalog, { path, boardId })
      return {
        firmware: libraryFirmware(result.entry),
        created: result.created,
        warnings: result.warnings,
      }
    },
    startProvision: async (request) => {
      const { jobId, uid, portPath } = request
      if (jobs.has(jobId)) {
        throw new FieldFlashError('already_exists', `jobId: flash job ${jobId} is already running`)
      }
      const port = await freePort(portPath)
      runInBackground(jobId, 'startProvision', async (emitEvent, signal) => {
        const result = await provisionBoard(
          { store, catalog },
          {
            uid,
            port,
            firmware: request.firmwareId,
            baud: request.baud,
            holder: 'the FieldFlash app',
          },
          emitEvent,
          signal,
          services.flashDependencies,
        )
        if (!result.ok) return failedOutcome(result)
        return {
          ...flashedOutcome(result),
          provisioned: {
            fingerprint: result.token.fingerprint,
            expectedCode: result.token.expectedCode,
            skippedParts: result.skippedParts,
          },
        }
      })
      return { jobId }
    },
    cancelFlash: ({ jobId }) => {
      // Idempotent: a job that already ended has nothing to cancel.
      jobs.get(jobId)?.abort()
      return null
    },
    openMonitor: (request) => {
      const previous = opening.get(request.portPath) ?? Promise.resolve()
      const next = previous.catch(() => undefined).then(() => openMonitor(request))
      opening.set(request.portPath, next)
      void next
        .catch(() => undefined)
        .then(() => {
          if (opening.get(request.portPath) === next) opening.delete(request.portPath)
        })
      return next
    },
    closeMonitor: async ({ sessionId }) => {
      await closeSession(sessionId)
      return null
    },
    resetBoard: async ({ sessionId }) => {
      const session = sessions.get(sessionId)
      if (!session) {
        throw new FieldFlashError(
          'not_found',
          'The console is not open any more; open it again, then reset.',
        )
      }
      await session.monitor.resetBoard()
      return null
    },
    approveOperation: async ({ uid, operationId, approver }) => {
      approveOperation(store, { uid, operationId, approver }, now())
      return details(uid)
    },
    registerBoard: async (request) => {
      const { uid } = request
      let outcome: RegistrationOutcome
      const unsupported = offlineRegistrationRefusal(store, catalog, uid)
      if (unsupported) {
        // Not a failure: the approval is all such a board gets offline.
        outcome = { ok: false, reason: 'unsupported', message: unsupported, fingerprint: null }
      } else if ('sessionId' in request) {
        const session = sessions.get(request.sessionId)
        if (!session) {
          throw new FieldFlashError(
            'not_found',
            'The console is not open any more; open it again, then register the board.',
          )
        }
        outcome = await registerOnMonitor({
          store,
          catalog,
          uid,
          monitor: session.monitor,
          seen: session.seen.get(uid) ?? null,
          now,
        })
      } else {
        const port = await freePort(request.portPath)
        outcome = await registerOnPort({
          store,
          catalog,
          uid,
          path: port.path,
          monitor: services.monitorOptions,
          now,
        })
      }
      return { outcome, details: await details(uid) }
    },
    revokeRegistration: async ({ uid }) => {
      revokeRegistration(store, uid, now())
      return details(uid)
    },
    getExportState: () => {
      const key = sitePublicKey(store.dataDir)
      return { last: lastExport(store), publicKeyPem: key.pem, publicKeySha256: key.sha256 }
    },
    exportForPlatform: async ({ changesOnly }) => {
      // Refused before the dialog: there is nothing to continue from.
      if (changesOnly && !lastExport(store)) {
        throw invalidInput('changesOnly', 'nothing was exported yet: export everything first')
      }
      const day = now().toISOString().slice(0, 10)
      const path = await dialogs.chooseExportFile(
        `fieldflash-export-${day}${changesOnly ? '-changes' : ''}.jsonl`,
      )
      if (path === null) return null
      return writePlatformExport(store, {
        outPath: path,
        since: changesOnly ? 'last' : undefined,
        now: now(),
      })
    },
    rejectOperation: async ({ uid, operationId, approver, reason }) => {
      rejectOperation(
        store,
        { uid, operationId, approver: approver || null, reason: reason || null },
        now(),
      )
      return details(uid)
    },
    readAuditLog: ({ uid }) => readAuditLog(store, { uid }).reverse(),
  }

  async function openMonitor({
    sessionId,
    portPath,
    baud,
    uid,
  }: RequestOf<'openMonitor'>): Promise<ResponseOf<'openMonitor'>> {
    if (sessions.has(sessionId)) {
      throw new FieldFlashError('already_exists', `sessionId: console ${sessionId} is already open`)
    }
    const device = uid === undefined ? undefined : store.read((tx) => requireDevice(tx, uid))
    // A port has one console: a newer one for the same port replaces the older.
    for (const [id, session] of sessions) {
      if (session.monitor.path === portPath) {
        await closeSession(id)
        emit('monitor', { sessionId: id, type: 'state', state: 'closed', path: portPath })
      }
    }
    const baudRate = baud ?? (device ? catalog.get(device.boardId).baud.monitor : undefined)
    const monitor = await openSerialMonitor({
      ...services.monitorOptions,
      path: portPath,
      baudRate,
    })
    const session: MonitorSession = { monitor, uid, seen: new Map() }
    sessions.set(sessionId, session)
    monitor.subscribe(
      (update) => {
        if (update.kind === 'lines') {
          emit('monitor', {
            sessionId,
            type: 'lines',
            lines: update.lines,
            skipped: update.skipped,
          })
        } else if (update.kind === 'state') {
          emit('monitor', { sessionId, type: 'state', state: update.state, path: update.path })
        } else if (update.kind === 'error') {
          emit('monitor', { sessionId, type: 'error', code: update.code, message: update.message })
        }
      },
      { ignorePause: true },
    )
    // The same judge as `fieldflash verify`: one rule for banners, boots and records.
    watchBootstrap(monitor, { store, expectedUid: uid, now }, (event) => {
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
            emit('monitor', { sessionId, type: 'error', code, message })
          }
          const verification: Verification = {
            verdict: event.verdict,
            operationId: event.operation?.id ?? null,
            operationState: event.operation?.state ?? null,
          }
          emit('monitor', { sessionId, type: 'verification', verification })
          break
        }
        case 'malformed':
          emit('monitor', { sessionId, type: 'malformed', reason: event.reason })
          break
        case 'board_error':
          emit('monitor', { sessionId, type: 'bootstrap_error', error: event.error })
          break
        case 'record_limited':
          emit('monitor', { sessionId, type: 'notice', message: event.message })
          break
        case 'registered': {
          const { board } = event
          session.seen.set(board.uid, {
            nonce: board.nonce,
            mac: session.seen.get(board.uid)?.mac ?? null,
          })
          emit('monitor', {
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
        case 'failure':
          reportMonitorError(sessionId, event.error)
          break
      }
    })
    void monitor.ended.then(() => {
      if (sessions.get(sessionId) === session) sessions.delete(sessionId)
    })
    return { sessionId, path: monitor.path }
  }

  function logUnexpected(operation: string, error: unknown): void {
    if (error instanceof FieldFlashError) return
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    log(`${operation} failed: ${redactTokens(text)}`)
  }

  function reportMonitorError(sessionId: string, error: unknown): void {
    logUnexpected('monitor', error)
    const known = error instanceof FieldFlashError
    emit('monitor', {
      sessionId,
      type: 'error',
      code: known ? error.code : 'internal',
      message: known ? error.message : 'The console could not judge a line; see the log.',
    })
  }

  const handlers = {} as Record<OperationName, (payload: unknown) => Promise<Result<unknown>>>
  for (const name of Object.keys(implementations) as OperationName[]) {
    const implementation = implementations[name] as (request: unknown) => unknown
    handlers[name] = (payload) =>
      toResult(async () => {
        try {
          return await implementation(parseRequest(name, payload))
        } catch (error) {
          logUnexpected(name, error)
          throw error
        }
      })
  }

  return {
    handlers: handlers as OperationHandlers,
    async dispose() {
      for (const controller of jobs.values()) controller.abort()
      await Promise.all([...sessions.keys()].map((id) => closeSession(id)))
    },
  }
}
