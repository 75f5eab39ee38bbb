import { readAuditLog } from '../audit/audit-log'
import {
  addDevice,
  checkNewDeviceUid,
  deviceDetails,
  listDevices,
  rotateMqttPassword,
} from '../devices/devices'
import { exportToChosenFile, lastExport } from '../export/platform-export'
import { sitePublicKey } from '../export/site-key'
import { checkFirmwareForDevice } from '../flash/firmware-token'
import { prepareFirmware } from '../flash/flash-firmware'
import { importFirmware, libraryView, listFirmware } from '../firmware-library/firmware-library'
import { identifyBoard, requireIdentified } from '../identify/identify-board'
import { regenerateToken, revokeToken } from '../credentials/tokens'
import { revokeRegistration } from '../registration/registrations'
import { listPorts } from '../serial/list-ports'
import { BackgroundJobs, writeBoard } from '../session/background-jobs'
import type { BoardSessionRequest } from '../session/board-session'
import { Consoles } from '../session/consoles'
import { StationRunner } from '../station/station-runner'
import { FieldFlashError, toResult, type Result } from '../shared/errors'
import { redactTokens } from '../shared/redact'
import {
  checkSiteDraft,
  requireSiteProfile,
  saveSiteDraft,
  viewSiteProfile,
} from '../site/site-profile'
import { requireDevice } from '../store/require-device'
import { downloadTemplate } from '../template/download-template'
import { approveOperation, rejectOperation } from '../verification/operations'
import type { DeviceDetails, OperationName, RequestOf, ResponseOf } from './api-contract'
import type { EventSink, MainApi, OperationHandlers, Services } from './api-services'
import { PickedPaths } from './picked-paths'
import { memoryRegistrySetting, registryOperations } from './registry-setting'
import { parseRequest } from './schemas'

export type { Dialogs, EventSink, MainApi, OperationHandlers, Services } from './api-services'

// The IPC adapter: each operation of the contract validated, handed to the service that does it,
// and answered as a Result. The consoles, the background jobs and the board sessions keep the
// state; here is only the mapping.

type Implementations = {
  [K in OperationName]: (request: RequestOf<K>) => Promise<ResponseOf<K>> | ResponseOf<K>
}

/**
 * Implements the API over the main-process services. No Electron here: main/index.ts wires it to
 * ipcMain, the end-to-end tests to a browser page.
 */
export function createApi(services: Services, emit: EventSink): MainApi {
  const { store, catalog, dialogs } = services
  const now = services.now ?? (() => new Date())
  const log =
    services.log ?? ((message: string) => process.stderr.write(`fieldflash: ${message}\n`))
  const logUnexpected = (operation: string, error: unknown): void => {
    if (error instanceof FieldFlashError) return
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    log(`${operation} failed: ${redactTokens(text)}`)
  }
  const ports = services.listPorts ?? (() => listPorts(catalog))
  const consoles = new Consoles({
    store,
    catalog,
    emit: (event) => emit('monitor', event),
    monitorOptions: services.monitorOptions,
    listPorts: ports,
    logUnexpected,
    now,
  })
  const jobs = new BackgroundJobs((event) => emit('flash', event), logUnexpected)
  const access = {
    flashDependencies: services.flashDependencies,
    monitorOptions: services.monitorOptions,
    listPorts: ports,
  }
  const station = new StationRunner({ store, catalog }, { listPorts: ports, access }, (event) =>
    emit('station', event),
  )

  const details = (uid: string): Promise<DeviceDetails> => deviceDetails(store, uid, now())

  /** Firmware the technician picked, by handle: main reads only paths its own dialog chose. */
  const picked = new PickedPaths()
  const firmwarePath = (handle: string): string => picked.path(handle)

  /** Frees the port from this app's consoles and finds its USB ids (they pick the flash rate). */
  const portFor = async (path: string): Promise<BoardSessionRequest['port']> => {
    await consoles.release(path)
    const port = (await ports().catch(() => [])).find((p) => p.path === path)
    return { path, vid: port?.vid ?? null, pid: port?.pid ?? null }
  }

  /** A board session up to "flashed" as a background job (the verify step's console follows). */
  const startWriting = async (
    jobId: string,
    operation: string,
    request: Omit<BoardSessionRequest, 'port' | 'until' | 'holder'> & { portPath: string },
  ): Promise<{ jobId: string }> => {
    jobs.refuseRunning(jobId)
    const port = await portFor(request.portPath)
    jobs.start(jobId, operation, (emitEvent, signal) =>
      writeBoard({ store, catalog, access }, { ...request, port }, emitEvent, signal),
    )
    return { jobId }
  }

  const implementations: Implementations = {
    getAppInfo: () => ({
      version: services.version,
      dataDir: store.dataDir,
      databasePath: store.path,
      platform: process.platform,
    }),
    ...registryOperations(store, services.registrySetting ?? memoryRegistrySetting()),
    getSiteProfile: async () => {
      const site = await store.site()
      return site ? viewSiteProfile(site) : null
    },
    checkSiteProfile: async (draft) => checkSiteDraft(draft, await store.site()),
    saveSiteProfile: async (draft) => viewSiteProfile(await saveSiteDraft(store, draft)),
    listBoards: () => catalog.list(),
    listPorts: () => ports(),
    listDevices: (page) => listDevices(store, page ?? {}, now()),
    dataVersion: () => store.dataVersion(),
    getDevice: ({ uid }) => details(uid),
    checkDeviceUid: ({ uid }) => checkNewDeviceUid(store, uid).then(() => null),
    addDevice: ({ uid, boardId }) =>
      addDevice(store, catalog, { uid: uid === '' ? undefined : uid, boardId }, now()),
    downloadTemplate: async ({ uid }) => {
      // Fail before the dialog when the ZIP could not be made anyway.
      await store.read(async (tx) => {
        await requireSiteProfile(tx)
        await requireDevice(tx, uid)
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
      return path === null ? null : { handle: picked.add(path), path }
    },
    checkFirmware: ({ uid, firmware }) =>
      checkFirmwareForDevice(store, catalog, {
        uid,
        firmwarePath: firmwarePath(firmware),
        now: now(),
      }),
    startFlash: async (request) => {
      const { uid, firmware, acceptTokenMismatch, erase } = request
      // Loaded and checked once; refused before a job starts, so the form can show the check again.
      const prepared = await prepareFirmware(
        { store, catalog },
        { firmwarePath: firmwarePath(firmware), deviceUid: uid, acceptTokenMismatch },
        now(),
      )
      const write = { kind: 'flash', firmwarePath: prepared.firmwarePath, erase, prepared } as const
      return startWriting(request.jobId, 'startFlash', {
        uid,
        portPath: request.portPath,
        write,
        baud: request.baud,
      })
    },
    cancelFlash: ({ jobId }) => jobs.cancel(jobId),
    listFirmware: async ({ boardId }) => (await listFirmware(store, { boardId })).map(libraryView),
    importFirmware: async ({ boardId, pick }) => {
      catalog.get(boardId, 'boardId')
      const path = await dialogs.chooseFirmware(pick)
      if (path === null) return null
      const result = await importFirmware(store, catalog, { path, boardId })
      return {
        firmware: libraryView(result.entry),
        created: result.created,
        warnings: result.warnings,
      }
    },
    startProvision: (request) =>
      startWriting(request.jobId, 'startProvision', {
        uid: request.uid,
        portPath: request.portPath,
        write: { kind: 'provision', firmware: request.firmwareId },
        baud: request.baud,
      }),
    identifyBoard: async ({ portPath }) => {
      const port = await portFor(portPath)
      const deps = access.flashDependencies
      return requireIdentified(
        await identifyBoard(services, { port }, () => undefined, undefined, deps),
      )
    },
    openMonitor: (request) => consoles.open(request),
    closeMonitor: ({ sessionId }) => consoles.close(sessionId).then(() => null),
    resetBoard: ({ sessionId }) => consoles.reset(sessionId).then(() => null),
    approveOperation: async ({ uid, operationId, approver }) => {
      await approveOperation(store, { uid, operationId, approver }, now())
      return details(uid)
    },
    rejectOperation: async ({ uid, operationId, approver, reason }) => {
      await rejectOperation(
        store,
        { uid, operationId, approver: approver || null, reason: reason || null },
        now(),
      )
      return details(uid)
    },
    registerBoard: async (request) => {
      const outcome =
        'sessionId' in request
          ? await consoles.register(request.uid, request.sessionId)
          : await consoles.registerOnPort(request.uid, request.portPath)
      return { outcome, details: await details(request.uid) }
    },
    revokeRegistration: async ({ uid }) => {
      await revokeRegistration(store, uid, now())
      return details(uid)
    },
    getExportState: async () => {
      const key = sitePublicKey(store.dataDir)
      return { last: await lastExport(store), publicKeyPem: key.pem, publicKeySha256: key.sha256 }
    },
    exportForPlatform: ({ changesOnly }) =>
      exportToChosenFile(store, { changesOnly, choose: dialogs.chooseExportFile, now: now() }),
    readAuditLog: async ({ uid }) => (await readAuditLog(store, { uid })).reverse(),
    startStation: (settings) => station.start(settings),
    stopStation: ({ abort }) => station.stop(abort),
    getStation: () => station.snapshot(),
    exportStationResults: () => station.exportToChosenFile(dialogs.chooseResultsFile, now()),
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
      station.dispose()
      jobs.dispose()
      await consoles.dispose()
    },
  }
}
