import type { AuditEntry } from '../audit/audit-events'
import type { Board } from '../boards/board-schema'
import type {
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
import type { FlashRecord, ProvisioningOperation, TokenState } from '../store/records'
import type { TemplateDownload } from '../template/template-types'
import type { ExportResult } from '../export/export-types'
import type { RegistrationStatus, RegistrationView } from '../registration/registration-types'
import type { BootstrapError, RegistrationOutcome } from '../verification/verification-types'
import type { BannerClassification, BannerVerdict } from '../verification/verification-types'

// The typed API between renderer and main, written once. Types and channel names only: no Node
// imports, so the renderer, the preload and main all import this file. Main implements every
// operation (main/ipc/handlers.ts) and validates each payload (main/ipc/schemas.ts); the preload
// forwards one function per operation; the renderer calls `window.fieldflash`.

export type { Result, ErrorCode }
export type { FirmwareCheck, FirmwareTokenCheck, FirmwareTokenStatus }
export type {
  AuditEntry,
  BannerClassification,
  BannerVerdict,
  BootstrapError,
  Board,
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

/** Everything the device page shows. */
export interface DeviceDetails {
  device: DeviceView
  approvedAt: string | null
  flashes: FlashRecord[]
  operations: ProvisioningOperation[]
  /** This device's audit entries, newest first. */
  audit: AuditEntry[]
}

/** A token-only regeneration: the new value is shown once, with what it makes outdated. */
export interface RegeneratedToken extends MintedToken {
  warning: string
}

/** Whether the provisioning token inside a firmware is the device's current one. */
/** A base firmware of the library, as the app shows it. */
export interface LibraryFirmware {
  id: string
  sha256: string
  boardId: string
  name: string
  version: string | null
  chip: string
  totalBytes: number
  config: { label: 'ffcfg' | 'nvs'; offset: number; size: number }
  importedAt: string
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

/** What a finished flash job reports; failures carry a code the renderer switches on. */
export type FlashOutcome =
  | {
      ok: true
      chip: string
      mac: string
      flashSize: string
      baud: number
      durationMs: number
      firmwareName: string
      /** For a provisioning: the token the config partition carries, and the parts not rewritten. */
      provisioned?: { fingerprint: string; expectedCode: string; skippedParts: string[] }
    }
  | { ok: false; code: ErrorCode | 'internal'; message: string; stage: FlashStage }

/** Streamed on the flash subscription. */
export type FlashJobEvent =
  | { jobId: string; type: 'event'; event: FlashEvent }
  | { jobId: string; type: 'done'; outcome: FlashOutcome }

/** A banner seen on the console, judged against the store, and the operation it recorded. */
export interface Verification {
  verdict: BannerVerdict
  /** The pending operation to approve or reject; null when there is nowhere to record it. */
  operationId: string | null
  /** The state of that operation now. */
  operationState: ProvisioningOperation['state'] | null
}

/** A registered board's FFREGD status line seen on the console, as the registry judges it. */
export interface RegisteredBoardView {
  uid: string
  /** The registration token the board holds (its fingerprint) and its expiry, as the board says. */
  fingerprint: string
  expiresAt: string
  /** The board proved holding a registration token this registry has active. */
  holds: boolean
  /** That token's state in the registry; null when the registry never issued it. */
  registrationState: RegistrationView['state'] | null
  message: string
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

export interface MonitorLineView {
  seq: number
  at: number
  text: string
}

export interface OpenMonitorRequest {
  /** Chosen by the renderer (a UUID) so it can listen before the port opens. */
  sessionId: string
  portPath: string
  baud?: number
  /** The device whose banner is expected; without it the console only shows lines. */
  uid?: string
}

/** Streamed on the monitor subscription. */
export type MonitorEvent =
  | { sessionId: string; type: 'lines'; lines: MonitorLineView[]; skipped: number }
  | { sessionId: string; type: 'state'; state: 'open' | 'reconnecting' | 'closed'; path: string }
  | { sessionId: string; type: 'verification'; verification: Verification }
  | { sessionId: string; type: 'malformed'; reason: string }
  | { sessionId: string; type: 'bootstrap_error'; error: BootstrapError }
  | { sessionId: string; type: 'error'; code: ErrorCode | 'internal'; message: string }
  /** Something the technician should know that is not a failure (recording paused, say). */
  | { sessionId: string; type: 'notice'; message: string }
  /** A registered board's status line (it prints one instead of the banner). */
  | { sessionId: string; type: 'registered'; board: RegisteredBoardView }

export interface AppInfo {
  version: string
  dataDir: string
  /** The registry (devices, tokens, operations, audit log). */
  databasePath: string
  platform: string
}

/**
 * Every operation: its request and what a success carries. Requests are single objects (or
 * nothing), so each can be validated as a whole in main.
 */
export interface ApiOperations {
  getAppInfo: { request: void; response: AppInfo }
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
}

export type OperationName = keyof ApiOperations
export type RequestOf<K extends OperationName> = ApiOperations[K]['request']
export type ResponseOf<K extends OperationName> = ApiOperations[K]['response']

/** The events main streams, by subscription. */
export interface ApiEvents {
  flash: FlashJobEvent
  monitor: MonitorEvent
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
}

/** Every operation, in one list (the preload, main and the test bridge iterate it). */
export const OPERATIONS = [
  'getAppInfo',
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
} as const satisfies Record<EventName, string>
