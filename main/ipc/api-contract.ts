import type { AuditEntry } from '../audit/audit-events'
import type { Board } from '../boards/board-schema'
import type {
  DeviceDetails,
  DeviceListPage,
  DeviceStatus,
  DeviceSummary,
  DeviceView,
} from '../devices/device-types'
import type { FlashEvent, FlashStage } from '../flash/flash-events'
import type {
  FirmwareCheck,
  FirmwareTokenCheck,
  FirmwareTokenStatus,
} from '../flash/firmware-token-types'
import type { MintedToken, TokenView } from '../credentials/token-types'
import type { PortView } from '../serial/port-types'
import type { ErrorCode, Result } from '../shared/errors'
import type {
  SiteDraft,
  SiteField,
  SiteProblems,
  SiteProfile,
  SiteProfileView,
} from '../site/site-profile-types'
import type {
  FlashRecord,
  ProvisioningOperation,
  RegistryState,
  TokenState,
} from '../store/records'
import type { TemplateDownload } from '../template/template-types'
import type { ExportResult } from '../export/export-types'
import type { RegistrationStatus, RegistrationView } from '../registration/registration-types'
import type { BootstrapError, RegistrationOutcome } from '../verification/verification-types'
import type { BannerClassification, BannerVerdict } from '../verification/verification-types'

import type {
  MonitorEvent,
  MonitorLineView,
  OpenMonitorRequest,
  RegisteredBoardView,
  Verification,
} from '../session/console-types'
import type { FlashJobEvent, FlashOutcome } from '../session/job-types'
import type { BoardIdentity, TokenFinding } from '../identify/identify-types'
import type { LibraryFirmware } from '../firmware-library/library-types'
import type {
  BoardStatus,
  StationEvent,
  StationRow,
  StationSettings,
  StationSnapshot,
  StationTotals,
} from '../station/station-types'

// The typed API between renderer and main, written once. Types and channel names only: no Node
// imports, so the renderer, the preload and main all import this file. Main implements every
// operation (main/ipc/handlers.ts) and validates each payload (main/ipc/schemas.ts); the preload
// forwards one function per operation; the renderer calls `window.fieldflash`.

export type { Result, ErrorCode }
export type { LibraryFirmware }
export type { BoardIdentity, TokenFinding }
export type {
  BoardStatus,
  StationEvent,
  StationRow,
  StationSettings,
  StationSnapshot,
  StationTotals,
}
export type {
  FlashJobEvent,
  FlashOutcome,
  MonitorEvent,
  MonitorLineView,
  OpenMonitorRequest,
  RegisteredBoardView,
  Verification,
}
export type { FirmwareCheck, FirmwareTokenCheck, FirmwareTokenStatus }
export type {
  AuditEntry,
  BannerClassification,
  BannerVerdict,
  BootstrapError,
  Board,
  DeviceDetails,
  DeviceListPage,
  DeviceStatus,
  DeviceSummary,
  DeviceView,
  FlashEvent,
  FlashRecord,
  FlashStage,
  ExportResult,
  MintedToken,
  PortView,
  RegistrationOutcome,
  RegistrationStatus,
  RegistrationView,
  ProvisioningOperation,
  SiteProfile,
  SiteProfileView,
  TemplateDownload,
  TokenState,
  TokenView,
}

/** The site profile as typed in the form: every field a string until it is validated. */
export type SiteProfileDraft = SiteDraft
/** Per-field problems of a draft: the rule each field breaks, absent when the field is fine. */
export type SiteFieldProblems = SiteProblems
export type { SiteField }

/** A token-only regeneration: the new value is shown once, with what it makes outdated. */
export interface RegeneratedToken extends MintedToken {
  warning: string
}

export interface StartProvisionRequest {
  jobId: string
  uid: string
  portPath: string
  /** The library firmware to use; the board's newest by default. */
  firmwareId?: string
  baud?: number
}

export interface StartFlashRequest {
  /** Chosen by the renderer (a UUID) so it can listen before the job starts. */
  jobId: string
  uid: string
  portPath: string
  /** What chooseFirmware answered: main keeps the path, the renderer only this handle. */
  firmware: string
  baud?: number
  erase?: boolean
  /** The technician confirmed flashing although the firmware's token is not current. */
  acceptTokenMismatch?: boolean
}

/** Registering a board over the cable: what happened, and the device as it is now. */
export interface RegistrationAttempt {
  outcome: RegistrationOutcome
  details: DeviceDetails
}

/** The site's export key and the last export, for the Devices page's Export panel. */
export interface ExportState {
  /** The export written last (by the app or the CLI), or null. */
  last: { cursor: string; at: string; path: string } | null
  /** The public key that signs the exports, PEM, and its SHA-256, for the platform to pin. */
  publicKeyPem: string
  publicKeySha256: string
}

export interface AppInfo {
  version: string
  dataDir: string
  /** The registry (devices, tokens, operations, audit log). */
  databasePath: string
  platform: string
}

export type { RegistryState }

/** The registry this window runs on, and the shared one chosen for the next start. */
export interface RegistryView {
  state: RegistryState
  /**
   * The shared PostgreSQL registry chosen (its password never shown: it lives in ~/.pgpass), and
   * where the choice comes from; null for this computer's own registry.
   */
  database: { shown: string; from: 'settings' | 'environment' } | null
  /** The choice differs from the registry this window runs on: it takes effect at the next start. */
  restartNeeded: boolean
}

/**
 * Every operation: its request and what a success carries. Requests are single objects (or
 * nothing), so each can be validated as a whole in main.
 */
export interface ApiOperations {
  getAppInfo: { request: void; response: AppInfo }
  getRegistry: { request: void; response: RegistryView }
  /** Chooses the shared registry for the next start (null: this computer's own). */
  setRegistryDatabase: { request: { url: string | null }; response: RegistryView }
  getSiteProfile: { request: void; response: SiteProfileView | null }
  checkSiteProfile: { request: SiteProfileDraft; response: SiteFieldProblems }
  saveSiteProfile: { request: SiteProfileDraft; response: SiteProfileView }
  listBoards: { request: void; response: Board[] }
  listPorts: { request: void; response: PortView[] }
  listDevices: {
    request: {
      after?: number
      limit?: number
      search?: string
      boardId?: string
      newestFirst?: boolean
    } | void
    response: DeviceListPage
  }
  /** Changes whenever another process (the CLI) changed the registry: a cue to re-query. */
  dataVersion: { request: void; response: number }
  getDevice: { request: { uid: string }; response: DeviceDetails }
  checkDeviceUid: { request: { uid: string }; response: null }
  addDevice: { request: { uid?: string; boardId: string }; response: DeviceView }
  downloadTemplate: { request: { uid: string }; response: TemplateDownload | null }
  regenerateToken: { request: { uid: string }; response: RegeneratedToken }
  revokeToken: { request: { uid: string }; response: TokenView }
  rotateMqttPassword: { request: { uid: string }; response: DeviceView }
  /** Opens the picker in main; answers a handle for what was chosen (and its path, to show). */
  chooseFirmware: {
    request: { pick: 'folder' | 'file' }
    response: { handle: string; path: string } | null
  }
  checkFirmware: { request: { uid: string; firmware: string }; response: FirmwareCheck }
  startFlash: { request: StartFlashRequest; response: { jobId: string } }
  cancelFlash: { request: { jobId: string }; response: null }
  listFirmware: { request: { boardId: string }; response: LibraryFirmware[] }
  /** Opens a file/folder picker in main and imports what the technician chose (null: cancelled). */
  importFirmware: {
    request: { boardId: string; pick: 'folder' | 'file' }
    response: { firmware: LibraryFirmware; created: boolean; warnings: string[] } | null
  }
  startProvision: { request: StartProvisionRequest; response: { jobId: string } }
  /** Reads the board on a port back (download mode, nothing written) and says what it is. */
  identifyBoard: { request: { portPath: string }; response: BoardIdentity }
  openMonitor: { request: OpenMonitorRequest; response: { sessionId: string; path: string } }
  closeMonitor: { request: { sessionId: string }; response: null }
  resetBoard: { request: { sessionId: string }; response: null }
  approveOperation: {
    request: { uid: string; operationId: string; approver: string }
    response: DeviceDetails
  }
  rejectOperation: {
    request: { uid: string; operationId: string; approver?: string; reason?: string }
    response: DeviceDetails
  }
  /**
   * Registers the device's approved board over the cable (or gives a registered one a new
   * registration token): on the console already open (`sessionId`), or on a port main opens.
   */
  registerBoard: {
    request: { uid: string; sessionId: string } | { uid: string; portPath: string }
    response: RegistrationAttempt
  }
  revokeRegistration: { request: { uid: string }; response: DeviceDetails }
  getExportState: { request: void; response: ExportState }
  /** Opens a save dialog in main and writes the signed export there (null: cancelled). */
  exportForPlatform: { request: { changesOnly: boolean }; response: ExportResult | null }
  readAuditLog: { request: { uid?: string }; response: AuditEntry[] }
  /** The factory station: one at a time, its settings locked while it runs. */
  startStation: { request: StationSettings; response: StationSnapshot }
  stopStation: { request: { abort: boolean }; response: StationSnapshot }
  getStation: { request: void; response: StationSnapshot }
  /** Opens a save dialog in main and writes the station's results there as CSV (null: cancelled). */
  exportStationResults: { request: void; response: { path: string; rows: number } | null }
}

export type OperationName = keyof ApiOperations
export type RequestOf<K extends OperationName> = ApiOperations[K]['request']
export type ResponseOf<K extends OperationName> = ApiOperations[K]['response']

/** The events main streams, by subscription. */
export interface ApiEvents {
  flash: FlashJobEvent
  monitor: MonitorEvent
  station: StationEvent | { type: 'ended' }
}
export type EventName = keyof ApiEvents

/** What the renderer sees as `window.fieldflash`: one function per operation, one per subscription. */
export type FieldFlashApi = {
  [K in OperationName]: (request: RequestOf<K>) => Promise<Result<ResponseOf<K>>>
} & {
  /** Flash progress and results of every job; returns the unsubscribe function. */
  onFlashEvent(listener: (event: FlashJobEvent) => void): () => void
  /** Console lines, verification results and port state of every monitor session. */
  onMonitorEvent(listener: (event: MonitorEvent) => void): () => void
  /** The station's boards, totals and end. */
  onStationEvent(listener: (event: ApiEvents['station']) => void): () => void
}

/** Every operation, in one list (the preload, main and the test bridge iterate it). */
export const OPERATIONS = [
  'getAppInfo',
  'getRegistry',
  'setRegistryDatabase',
  'getSiteProfile',
  'checkSiteProfile',
  'saveSiteProfile',
  'listBoards',
  'listPorts',
  'listDevices',
  'dataVersion',
  'getDevice',
  'checkDeviceUid',
  'addDevice',
  'downloadTemplate',
  'regenerateToken',
  'revokeToken',
  'rotateMqttPassword',
  'chooseFirmware',
  'checkFirmware',
  'startFlash',
  'cancelFlash',
  'listFirmware',
  'importFirmware',
  'startProvision',
  'identifyBoard',
  'openMonitor',
  'closeMonitor',
  'resetBoard',
  'approveOperation',
  'rejectOperation',
  'registerBoard',
  'revokeRegistration',
  'getExportState',
  'exportForPlatform',
  'readAuditLog',
  'startStation',
  'stopStation',
  'getStation',
  'exportStationResults',
] as const satisfies readonly OperationName[]

// Fails to compile when an operation of ApiOperations is missing from OPERATIONS.
type UnlistedOperation = Exclude<OperationName, (typeof OPERATIONS)[number]>
export const EVERY_OPERATION_LISTED: [UnlistedOperation] extends [never]
  ? true
  : UnlistedOperation = true

/** The IPC channel of an operation. */
export function operationChannel(name: OperationName): `fieldflash:op:${OperationName}` {
  return `fieldflash:op:${name}`
}

/** The IPC channel main sends an event stream on. */
export const EVENT_CHANNELS = {
  flash: 'fieldflash:event:flash',
  monitor: 'fieldflash:event:monitor',
  station: 'fieldflash:event:station',
} as const satisfies Record<EventName, string>
