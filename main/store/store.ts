import { chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import Conf from 'conf'
import { appendAuditEvents } from '../audit/audit-log'
import type { AuditEventInput } from '../audit/audit-events'
import { FieldFlashError } from '../shared/errors'
import { emptyDocument, isStoreDocument, type StoreDocument } from './store-document'

/** The file name (without extension) inside the data directory; the app and the CLI share it. */
export const STORE_NAME = 'fieldflash'

/** The part of conf / electron-store this module needs; electron-store extends Conf. */
export interface StoreBackend {
  readonly path: string
  store: Record<string, unknown>
}

export interface StoreBackendOptions {
  cwd: string
  configName: string
  configFileMode: number
  clearInvalidConfig: false
  serialize: (value: Record<string, unknown>) => string
}

export type StoreBackendFactory = (options: StoreBackendOptions) => StoreBackend

/** Plain Node (CLI, tests): conf, the library electron-store is built on, with the same files. */
export const confBackend: StoreBackendFactory = (options) => new Conf(options)

/** What a change returns: the next document, the caller's result, and what the audit log records. */
export interface StoreChange<T> {
  next: StoreDocument
  result: T
  /** Appended to `<dataDir>/audit.jsonl` once the document is safely written. */
  audit?: AuditEventInput[]
}

export interface StoreOptions {
  /**
   * Called when the audit log cannot be appended to. The change itself is already saved, so it is
   * not undone; by default the failure is written to stderr (the main process log).
   */
  onAuditError?: (error: unknown) => void
}

const reportAuditError = (error: unknown): void => {
  process.stderr.write(
    `fieldflash: could not append to the audit log: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`,
  )
}

/**
 * The persistent store. Reads the file once and keeps the document in memory; every change is
 * written whole and atomically (temp file + rename, owner-only) before the in-memory copy moves on,
 * so a failed write leaves both the file and the process state as they were.
 */
export class FieldFlashStore {
  private constructor(
    private readonly backend: StoreBackend,
    private document: StoreDocument,
    /** The data directory: the audit log lives beside the data file. */
    readonly dataDir: string,
    private readonly options: StoreOptions,
  ) {}

  /** Opens (or creates) the store in `dataDir`. A corrupt file is moved aside and reported. */
  static open(
    dataDir: string,
    backendFactory: StoreBackendFactory = confBackend,
    options: StoreOptions = {},
  ): FieldFlashStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    const file = join(dataDir, `${STORE_NAME}.json`)
    let backend: StoreBackend
    let loaded: unknown
    try {
      if (existsSync(file)) chmodSync(file, 0o600)
      backend = backendFactory({
        cwd: dataDir,
        configName: STORE_NAME,
        configFileMode: 0o600,
        clearInvalidConfig: false,
        serialize: (value) => JSON.stringify(value, null, 1),
      })
      loaded = existsSync(file) ? backend.store : emptyDocument()
    } catch (error) {
      if (error instanceof SyntaxError) throw quarantine(file, 'it is not valid JSON')
      throw new FieldFlashError(
        'io_error',
        `Cannot open the data file ${file}: ${(error as Error).message}`,
        undefined,
        { cause: error },
      )
    }
    const { __internal__: _ignored, ...document } = loaded as Record<string, unknown>
    if (!isStoreDocument(document)) {
      throw quarantine(
        file,
        'its content is not a FieldFlash data file of a version this app knows',
      )
    }
    return new FieldFlashStore(backend, document, dataDir, options)
  }

  /** Where the data lives, for messages and the README. */
  get path(): string {
    return this.backend.path
  }

  /** The current document; treat it as immutable. */
  read(): Readonly<StoreDocument> {
    return this.document
  }

  /**
   * Applies a change: `change` returns a new document (copying only what it touches) and the
   * audit events describing it. Nothing is kept unless the write succeeds; the events are appended
   * to the audit log only after it did.
   */
  update<T>(change: (current: StoreDocument) => StoreChange<T>): T {
    const { next, result, audit } = change(this.document)
    try {
      // `__internal__` present means conf need not re-read the file to preserve its own keys.
      this.backend.store = { __internal__: {}, ...next } as unknown as Record<string, unknown>
    } catch (error) {
      throw new FieldFlashError(
        'io_error',
        `Could not save to ${this.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Nothing was changed; check free disk space and permissions, then try again.`,
        undefined,
        { cause: error },
      )
    }
    const previous = this.document
    this.document = next
    if (audit && audit.length > 0) {
      try {
        appendAuditEvents(this.dataDir, audit, new Date(), mqttPasswordsOf(audit, previous, next))
      } catch (error) {
        ;(this.options.onAuditError ?? reportAuditError)(error)
      }
    }
    return result
  }
}

/** The MQTT passwords of the devices the events name, before and after: never to be logged. */
function mqttPasswordsOf(events: readonly AuditEventInput[], ...docs: StoreDocument[]): string[] {
  const secrets: string[] = []
  for (const event of events) {
    if (!('uid' in event)) continue
    for (const doc of docs) {
      const device = Object.hasOwn(doc.devices, event.uid) ? doc.devices[event.uid] : undefined
      if (device) secrets.push(device.mqtt.password)
    }
  }
  return secrets
}

function quarantine(file: string, why: string): FieldFlashError {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
  let where = ''
  try {
    renameSync(file, aside)
    where = ` It was moved to ${aside} so nothing is lost; restore a backup there or start afresh.`
  } catch {
    where = ' Move it away or restore a backup, then try again.'
  }
  // Never echo the file's content: it holds MQTT passwords.
  return new FieldFlashError(
    'store_corrupt',
    `The data file ${file} cannot be read: ${why}.${where}`,
  )
}
