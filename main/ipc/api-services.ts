import type { BoardCatalog } from '../boards/catalog'
import type { FlashDependencies } from '../flash/flash-board'
import type { SerialMonitorOptions } from '../monitor/serial-monitor'
import type { PortView } from '../serial/list-ports'
import type { Result } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { ApiEvents, EventName, OperationName, ResponseOf } from './api-contract'

// What the IPC adapter (handlers.ts) is built from and what it gives the app shell.

/** The native dialogs main opens for the renderer; injected, so tests substitute them. */
export interface Dialogs {
  /** The folder to save `<uid>.zip` in, or null when the user cancelled. */
  chooseTemplateFolder(uid: string): Promise<string | null>
  /** A firmware build folder or file, or null when the user cancelled. */
  chooseFirmware(pick: 'folder' | 'file'): Promise<string | null>
  /** Where to save the platform export (`defaultName` suggested), or null when cancelled. */
  chooseExportFile(defaultName: string): Promise<string | null>
  /** Where to save the station's results CSV (`defaultName` suggested), or null when cancelled. */
  chooseResultsFile(defaultName: string): Promise<string | null>
}

/** The shared registry the app opens at start, as the shell keeps the choice (its preferences). */
export interface RegistrySetting {
  /** The database URL in force (FIELDFLASH_DATABASE_URL over Settings), or null for the local one. */
  current(): { url: string; from: 'settings' | 'environment' } | null
  /** Saves the Settings choice (null: this computer's own registry). */
  save(url: string | null): void
}

/** The services the API is implemented with; created once by the app shell (or a test). */
export interface Services {
  store: FieldFlashStore
  catalog: BoardCatalog
  dialogs: Dialogs
  /** The app's version, for Settings. */
  version: string
  /** Where the shell keeps the registry choice; a test's in-memory one by default. */
  registrySetting?: RegistrySetting
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
