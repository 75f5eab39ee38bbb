import { AsyncLocalStorage } from 'node:async_hooks'
import { join } from 'node:path'
import Database from 'libsql'
import { crashPoint } from '../shared/crash-point'
import { FieldFlashError } from '../shared/errors'
import { checkDataFile, createOwnerOnlyFile, secureDataDir } from './data-dir-guard'
import { importLegacyJson, LEGACY_AUDIT_FILE, LEGACY_JSON_FILE } from './import-json'
import type {
  DeviceLeaseRecord,
  DeviceRecord,
  RegistryState,
  SiteProfile,
  FirmwareRow,
  TokenRecord,
} from './records'

export type { FirmwareRow }
import {
  DEVICE_QUERIES,
  rowsToDevice,
  rowToCredentialFile,
  rowToDeviceLease,
  rowToOwnedToken,
  rowToFirmware,
  rowToAuditEntry,
  rowToDeviceListItem,
  rowToSite,
  type AuditRow,
  type DeviceListItem,
  type DeviceListRow,
  type StoredAuditEntry,
} from './rows'
import { MIGRATIONS, SCHEMA_VERSION } from './schema'
import * as statements from './statements'
import { stationName } from './station-name'

/** SQLite keeps secrets as they are: the database is an owner-only file. */
const kept: statements.Seal = (value) => value

export type { DeviceListItem, StoredAuditEntry }

/** The registry's tables, parents before the tables that refer to them. */
export const REGISTRY_TABLES = [
  'meta',
  'site',
  'devices',
  'tokens',
  'flashes',
  'operations',
  'audit',
  'credential_files',
  'firmware',
  'registrations',
  'device_leases',
] as const

export type RegistryTable = (typeof REGISTRY_TABLES)[number]

/** Every row of every table, as stored (see SqliteStore.snapshot). */
export type RegistrySnapshot = Record<RegistryTable, Record<string, unknown>[]>

/** The database's file name inside the data directory; the app and the CLI share it. */
export const DATABASE_FILE = 'fieldflash.db'

/** 'FFLS' in the database header: tells a FieldFlash database from any other SQLite file. */
const APPLICATION_ID = 0x46464c53

/** How long a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 15_000

/** An audit event as a change hands it to the store; `at` defaults to the time of the write. */
export interface AuditInput {
  type: string
  uid?: string
  at?: string
  [key: string]: unknown
}

/** A file carrying a device's token that FieldFlash wrote or is writing (see credential-files). */
export interface CredentialFileRow {
  id: number
  finalPath: string
  uid: string
  fingerprint: string
  state: 'pending' | 'committed' | 'final'
  tempPath: string | null
  sha256: string | null
  pid: number
  updatedAt: string
}

export interface DevicePageQuery {
  after?: number
  limit: number
  /** Part of the UID, case-insensitive. */
  search?: string
  boardId?: string
  newestFirst?: boolean
}

/** What a consistent read of the registry can see. */
export interface StoreReader {
  site(): Promise<SiteProfile | null>
  device(uid: string): Promise<DeviceRecord | null>
  hasDevice(uid: string): Promise<boolean>
  deviceCount(): Promise<number>
  /**
   * A page of devices in creation order (or newest first), continuing after the cursor `after`
   * (a device's `seq`), optionally only UIDs containing `search` and one board's.
   */
  listDevices(page: DevicePageQuery): Promise<DeviceListItem[]>
  /** The device and token a token hash belongs to, whichever device it is. */
  tokenByHash(hash: string): Promise<{ uid: string; token: TokenRecord } | null>
  /** Audit entries, oldest first, optionally one device's only. */
  auditEntries(filter?: {
    uid?: string
    after?: number
    limit?: number
  }): Promise<StoredAuditEntry[]>
  /** The sequence number of the newest audit entry (0 when the log is empty): an export's cursor. */
  auditCursor(): Promise<number>
  /** The devices with an audit entry after `seq`, in creation order: what changed since then. */
  devicesChangedSince(seq: number): Promise<string[]>
  /** The registry's own bookkeeping (for example that a legacy file was imported). */
  getMeta(key: string): Promise<string | null>
  /** The job writing the device's board right now, if one holds its lease. */
  deviceLease(uid: string): Promise<DeviceLeaseRecord | null>
  /** Library firmware, newest import first, optionally one board's or one firmware's. */
  firmware(filter?: { sha256?: string; boardId?: string }): Promise<FirmwareRow[]>
  credentialFiles(filter: {
    uid?: string
    finalPath?: string
    state?: CredentialFileRow['state']
  }): Promise<CredentialFileRow[]>
}

/** What one write transaction can do on top of reading. */
export interface StoreWriter extends StoreReader {
  saveSite(profile: SiteProfile): Promise<void>
  insertDevice(device: DeviceRecord): Promise<void>
  /**
   * Writes what changed from `before` (as read in this transaction) to `after`: the device's own
   * fields, and every token, operation and flash that is not the very same object as before.
   */
  saveDevice(before: DeviceRecord, after: DeviceRecord): Promise<void>
  /** Appends to the audit log in this same transaction, naming this station; secrets are redacted. */
  audit(events: readonly AuditInput[]): Promise<void>
  /** Records a credential file; returns its id. */
  addCredentialFile(row: Omit<CredentialFileRow, 'id'>): Promise<number>
  updateCredentialFile(
    id: number,
    change: Pick<CredentialFileRow, 'state' | 'tempPath' | 'sha256' | 'updatedAt'>,
  ): Promise<void>
  deleteCredentialFile(id: number): Promise<void>
  putFirmware(row: FirmwareRow): Promise<void>
  deleteFirmware(sha256: string, boardId: string): Promise<void>
  /** The registry's own bookkeeping (for example that a legacy file was imported). */
  setMeta(key: string, value: string): Promise<void>
  /** Takes (or takes over) the device's lease. */
  putDeviceLease(lease: DeviceLeaseRecord): Promise<void>
  /** Renews the lease's heartbeat; false when `id` does not hold it any more. */
  touchDeviceLease(uid: string, id: string, at: string): Promise<boolean>
  /** Ends the lease if `id` still holds it. */
  deleteDeviceLease(uid: string, id: string): Promise<void>
  /** Rows per table, to check an import. */
  counts(): Promise<{ devices: number; tokens: number; operations: number; flashes: number }>
}

/** A transaction in progress, as its async flow sees it. */
interface Frame {
  writing: boolean
  /** False once the transaction committed or rolled back. */
  open: boolean
}

/** A transaction's methods as SQLite runs them: synchronously, on the one connection. */
type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never
}

/**
 * The asynchronous transaction over SQLite's synchronous one. A method called outside its
 * transaction (a `tx` kept after `fn` returned) throws rather than act on whatever runs next.
 */
function asynchronous(frame: () => Frame | undefined, sync: Synchronous<StoreWriter>): StoreWriter {
  const methods = Object.entries(sync).map(([name, method]) => [
    name,
    async (...args: unknown[]) => {
      if (!frame()?.open) throw new Error(`tx.${name} was called outside its transaction`)
      return (method as (...a: unknown[]) => unknown)(...args)
    },
  ])
  return Object.fromEntries(methods) as StoreWriter
}

/**
 * The device registry, on either engine: SQLite in the data directory (SqliteStore, the default)
 * or a PostgreSQL server several stations share (PostgresStore). The same transactions, the same
 * rules: every change re-reads what it decides on inside one write transaction, and writers take
 * turns, so two processes (or stations) never overwrite each other.
 */
export interface FieldFlashStore {
  readonly engine: 'sqlite' | 'postgres'
  /** The data directory (this station's files: templates, library, keys). */
  readonly dataDir: string
  /** Where the registry lives, for messages: the database file, or the server (password hidden). */
  readonly path: string
  /** What opening did that the user should hear about (tightened permissions, an import). */
  readonly notices: readonly string[]
  /** The station this data directory is (station-name.ts): every audit entry names it. */
  readonly station: string
  /** A consistent read: everything `fn` sees is from one snapshot. */
  read<T>(fn: (tx: StoreReader) => Promise<T> | T): Promise<T>
  /** One write transaction, committed when `fn` resolves and rolled back when it throws. */
  write<T>(fn: (tx: StoreWriter) => Promise<T> | T): Promise<T>
  /** The site profile, or null before one was saved. */
  site(): Promise<SiteProfile | null>
  /** One device's full record, or null. */
  device(uid: string): Promise<DeviceRecord | null>
  /** Changes whenever another connection commits a change: the app polls it to show others' changes. */
  dataVersion(): Promise<number>
  /** Where the registry is and whether it answers now (Settings shows it). */
  state(): Promise<RegistryState>
  /** Closes the registry; it cannot be used afterwards. */
  close(): Promise<void>
}

/** Opens the data directory's SQLite registry (see SqliteStore.open). */
export const FieldFlashStore = {
  open: (dataDir: string, options?: StoreOptions): Promise<SqliteStore> =>
    SqliteStore.open(dataDir, options),
}

export interface StoreOptions {
  /** The clock for the import of a legacy data file. */
  now?: () => Date
}

/**
 * The device registry: SQLite in WAL mode in the data directory, shared safely by every FieldFlash
 * process (the app and any number of CLIs). Nothing is cached: every read sees the current truth,
 * and every change is one IMMEDIATE transaction that re-reads what it decides on, so concurrent
 * writers queue (up to 15 s) instead of overwriting each other.
 */
export class SqliteStore implements FieldFlashStore {
  readonly engine = 'sqlite'

  private readonly statements = new Map<string, Database.Statement>()
  /** The transactions of this process wait their turn on it (see `exclusive`). */
  private queue: Promise<unknown> = Promise.resolve()
  /** The transaction the current async flow is inside, if any. */
  private readonly context = new AsyncLocalStorage<Frame>()

  private constructor(
    private readonly db: Database.Database,
    /** The data directory. */
    readonly dataDir: string,
    /** Where the database lives, for messages. */
    readonly path: string,
    /** What opening did that the user should hear about (tightened permissions, an import). */
    readonly notices: readonly string[],
    readonly station: string,
  ) {}

  /**
   * Opens (or creates) the registry in `dataDir`: checks the directory and its files, applies
   * migrations, and imports a legacy `fieldflash.json` once. A damaged or foreign database is
   * refused with a message naming the file; it is never reset.
   */
  static async open(dataDir: string, options: StoreOptions = {}): Promise<SqliteStore> {
    const notices = secureDataDir(dataDir)
    const path = join(dataDir, DATABASE_FILE)
    for (const name of [
      DATABASE_FILE,
      `${DATABASE_FILE}-wal`,
      `${DATABASE_FILE}-shm`,
      `${DATABASE_FILE}-journal`,
      LEGACY_JSON_FILE,
      LEGACY_AUDIT_FILE,
    ]) {
      checkDataFile(join(dataDir, name), notices)
    }
    createOwnerOnlyFile(path)
    let db: Database.Database
    try {
      db = new Database(path)
    } catch (error) {
      throw storeError(error, path)
    }
    const store = new SqliteStore(db, dataDir, path, notices, stationName(dataDir))
    try {
      store.configure()
      store.migrate()
      const imported = await importLegacyJson(store, dataDir, (options.now ?? (() => new Date()))())
      if (imported) notices.push(imported)
    } catch (error) {
      db.close()
      throw storeError(error, path)
    }
    return store
  }

  private configure(): void {
    this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    // Reading the header is the first access: a file that is not SQLite fails here.
    const appId = this.pragma('application_id')
    const tables = this.all<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master`)[0]!.n
    if (tables > 0 && appId !== APPLICATION_ID) {
      throw new FieldFlashError(
        'store_corrupt',
        `${this.path} is an SQLite database of another program, not FieldFlash's. Move it out of the data directory (FieldFlash then starts a new registry), or choose another data directory.`,
      )
    }
    if (this.pragma('journal_mode') !== 'wal') this.db.exec('PRAGMA journal_mode = WAL')
    // FULL: a committed change survives a power cut, not only a crash of the process.
    this.db.exec('PRAGMA synchronous = FULL')
    this.db.exec('PRAGMA foreign_keys = ON')
  }

  private migrate(): void {
    if (this.pragma('user_version') === SCHEMA_VERSION) return
    this.db.exec('BEGIN IMMEDIATE')
    try {
      // Re-read under the write lock: another process may have migrated meanwhile.
      const version = this.pragma('user_version') as number
      if (version > SCHEMA_VERSION) {
        throw new FieldFlashError(
          'store_corrupt',
          `${this.path} was written by a newer FieldFlash (schema ${version}; this one knows up to ${SCHEMA_VERSION}). Update FieldFlash; the file was left as it is.`,
        )
      }
      for (let v = version; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!)
      this.db.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
      this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      this.db.exec('COMMIT')
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    }
  }

  /**
   * A consistent read: everything `fn` sees is from one snapshot. Inside a transaction of this
   * store (in the same async flow) it reads that transaction's view.
   */
  read<T>(fn: (tx: StoreReader) => Promise<T> | T): Promise<T> {
    const frame = this.context.getStore()
    if (frame?.open) return Promise.resolve().then(() => fn(this.transaction))
    return this.exclusive(() => {
      try {
        this.db.exec('BEGIN')
      } catch (error) {
        throw storeError(error, this.path)
      }
      return this.run(false, fn)
    })
  }

  /**
   * One write transaction: waits for other writers, runs `fn` (which re-reads what it decides on),
   * and commits, or rolls everything back if `fn` throws. The audit events `fn` writes commit with
   * the change they describe. The wait for another process's write lock goes on in timers (a few
   * ms, growing to 50, up to 15 s), never holding up this process's event loop: serial streams
   * (flashing, consoles, the station) keep flowing, and this process's reads go on, while a CLI
   * holds the registry.
   */
  async write<T>(fn: (tx: StoreWriter) => Promise<T> | T): Promise<T> {
    const frame = this.context.getStore()
    if (frame?.open) {
      if (!frame.writing) throw new Error('a write cannot start inside a read transaction')
      return fn(this.transaction)
    }
    const deadline = Date.now() + BUSY_TIMEOUT_MS
    for (let pause = 2; ; pause = Math.min(50, pause * 2)) {
      // The connection is this process's for one try at the lock; between tries it serves others.
      const outcome = await this.exclusive(async () =>
        this.tryBeginWrite(Date.now() >= deadline) ? { value: await this.run(true, fn) } : null,
      )
      if (outcome) return outcome.value
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }

  /** Runs `job` after every transaction this process started before it: one connection, one at a time. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(job)
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    )
    return turn
  }

  /** Takes SQLite's write lock if it is free; false while another process holds it (until `last`). */
  private tryBeginWrite(last: boolean): boolean {
    this.db.exec('PRAGMA busy_timeout = 0')
    try {
      this.db.exec('BEGIN IMMEDIATE')
      return true
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '')
      const busy = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      if (!busy || last) throw storeError(error, this.path)
      return false
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    }
  }

  /** Runs `fn` in the transaction just begun, then commits (or rolls back if it throws). */
  private async run<T>(writing: boolean, fn: (tx: StoreWriter) => Promise<T> | T): Promise<T> {
    const frame: Frame = { writing, open: true }
    try {
      const result = await this.context.run(frame, () => fn(this.transaction))
      if (writing) crashPoint('store:before-commit')
      this.db.exec('COMMIT')
      return result
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw error instanceof FieldFlashError ? error : storeError(error, this.path)
    } finally {
      // Work `fn` left running (a timer, a promise not awaited) may keep this async context: it
      // must not take itself for part of a transaction that has ended.
      frame.open = false
    }
  }

  /** The site profile, or null before one was saved. */
  site(): Promise<SiteProfile | null> {
    return this.read((tx) => tx.site())
  }

  /** One device's full record, or null. */
  device(uid: string): Promise<DeviceRecord | null> {
    return this.read((tx) => tx.device(uid))
  }

  /** Changes whenever another connection commits: the app polls it to show the CLI's changes. */
  async state(): Promise<RegistryState> {
    return {
      engine: 'sqlite',
      location: this.path,
      station: this.station,
      reachable: true,
      tls: null,
      problem: null,
    }
  }

  async dataVersion(): Promise<number> {
    return this.pragma('data_version') as number
  }

  /** SQLite's full integrity check plus foreign keys: empty when the database is sound. */
  integrityCheck(): string[] {
    const problems = this.all<{ integrity_check: string }>('PRAGMA integrity_check')
      .map((row) => row.integrity_check)
      .filter((text) => text !== 'ok')
    for (const row of this.all<{ table: string; rowid: number; parent: string }>(
      'PRAGMA foreign_key_check',
    )) {
      problems.push(`row ${row.rowid} of ${row.table} refers to a missing ${row.parent} record`)
    }
    return problems
  }

  /**
   * Every row of every registry table, as stored, in one read transaction: what `registry copy`
   * moves into another database. Tables come parents first; rows in their order of creation.
   */
  snapshot(): Promise<RegistrySnapshot> {
    return this.read(() =>
      Object.fromEntries(
        REGISTRY_TABLES.map((table) => [
          table,
          this.all<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY rowid`),
        ]),
      ),
    ) as Promise<RegistrySnapshot>
  }

  /** Closes the database; the store cannot be used afterwards. */
  async close(): Promise<void> {
    // A prepared statement keeps libsql's connection (and its file descriptors) alive until it is
    // garbage-collected: drop them with the connection.
    this.statements.clear()
    if (this.db.open) this.db.close()
  }

  private pragma(name: string): unknown {
    const row = this.all<Record<string, unknown>>(`PRAGMA ${name}`)[0]
    return row ? Object.values(row)[0] : undefined
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  private all<R>(sql: string, ...params: unknown[]): R[] {
    return this.statement(sql).all(...params) as R[]
  }

  private exec(sql: string, ...params: unknown[]): { changes: number; lastInsertRowid: number } {
    const info = this.statement(sql).run(...params)
    return { changes: Number(info.changes), lastInsertRowid: Number(info.lastInsertRowid) }
  }

  private run1(statement: statements.Statement): void {
    this.exec(statement.sql, ...statement.params)
  }

  private runAll(list: readonly statements.Statement[]): void {
    for (const statement of list) this.run1(statement)
  }

  /** A device's whole record, or null. */
  private loadDevice(uid: string): DeviceRecord | null {
    const device = this.all<Record<string, unknown>>(DEVICE_QUERIES.device, uid)[0]
    if (!device) return null
    const children = (sql: string) => this.all<Record<string, unknown>>(sql, uid)
    return rowsToDevice(
      {
        device,
        tokens: children(DEVICE_QUERIES.tokens),
        flashes: children(DEVICE_QUERIES.flashes),
        operations: children(DEVICE_QUERIES.operations),
        registrations: children(DEVICE_QUERIES.registrations),
      },
      this.path,
    )
  }

  /** The one transaction object, as `fn` of `read` and `write` sees it. */
  private readonly transaction: StoreWriter = asynchronous(() => this.context.getStore(), {
    site: () => {
      const row = this.all<Record<string, unknown>>('SELECT * FROM site WHERE id = 1')[0]
      return row ? rowToSite(row, this.path) : null
    },
    device: (uid) => this.loadDevice(uid),
    hasDevice: (uid) => this.all('SELECT 1 FROM devices WHERE uid = ?', uid).length > 0,
    deviceCount: () => this.all<{ n: number }>('SELECT count(*) AS n FROM devices')[0]!.n,
    listDevices: (page) => {
      const query = statements.listDevicesQuery(page, 'LIKE')
      return this.all<DeviceListRow>(query.sql, ...query.params).map((row) =>
        rowToDeviceListItem(row, this.path),
      )
    },
    tokenByHash: (hash) => {
      const row = this.all<Record<string, unknown>>('SELECT * FROM tokens WHERE hash = ?', hash)[0]
      return row ? rowToOwnedToken(row, this.path) : null
    },
    firmware: ({ sha256, boardId } = {}) =>
      this.all<Record<string, unknown>>(
        `SELECT * FROM firmware WHERE (?1 IS NULL OR sha256 = ?1) AND (?2 IS NULL OR board_id = ?2)
         ORDER BY imported_at DESC, sha256`,
        sha256 ?? null,
        boardId ?? null,
      ).map((row) => rowToFirmware(row, this.path)),
    auditCursor: () =>
      this.all<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit')[0]!.seq ?? 0,
    devicesChangedSince: (seq) =>
      this.all<{ uid: string }>(
        // The audit entries after `seq` first (a range of its key), then their devices.
        `SELECT d.uid FROM devices d
         WHERE d.uid IN (SELECT a.uid FROM audit a WHERE a.seq > ? AND a.uid IS NOT NULL)
         ORDER BY d.seq`,
        seq,
      ).map((row) => row.uid),
    auditEntries: ({ uid, after = 0, limit = -1 } = {}) =>
      (uid === undefined
        ? this.all<AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?', after, limit)
        : this.all<AuditRow>(
            'SELECT * FROM audit WHERE uid = ? AND seq > ? ORDER BY seq LIMIT ?',
            uid,
            after,
            limit,
          )
      ).map((row) => rowToAuditEntry(row, this.path)),
    credentialFiles: ({ uid, finalPath, state }) =>
      this.all<Record<string, unknown>>(
        `SELECT * FROM credential_files WHERE (?1 IS NULL OR device_uid = ?1)
           AND (?2 IS NULL OR final_path = ?2) AND (?3 IS NULL OR state = ?3) ORDER BY id`,
        uid ?? null,
        finalPath ?? null,
        state ?? null,
      ).map(rowToCredentialFile),

    saveSite: (p) => this.run1(statements.saveSite(p, kept)),
    insertDevice: (device) => this.runAll(statements.saveDevice(null, device, kept)),
    saveDevice: (before, after) => this.runAll(statements.saveDevice(before, after, kept)),
    audit: (events) => {
      const at = new Date().toISOString()
      for (const event of events) {
        const secrets =
          typeof event.uid === 'string'
            ? this.all<{ p: string }>(
                'SELECT mqtt_password AS p FROM devices WHERE uid = ?',
                event.uid,
              ).map((r) => r.p)
            : []
        this.run1(statements.appendAudit(event, this.station, secrets, at))
      }
    },
    addCredentialFile: (row) =>
      this.exec(
        `INSERT INTO credential_files (final_path, device_uid, fingerprint, state, temp_path, sha256,
           pid, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        row.finalPath,
        row.uid,
        row.fingerprint,
        row.state,
        row.tempPath,
        row.sha256,
        row.pid,
        row.updatedAt,
      ).lastInsertRowid,
    updateCredentialFile: (id, change) => {
      this.exec(
        'UPDATE credential_files SET state = ?, temp_path = ?, sha256 = ?, updated_at = ? WHERE id = ?',
        change.state,
        change.tempPath,
        change.sha256,
        change.updatedAt,
        id,
      )
    },
    deleteCredentialFile: (id) => {
      this.exec('DELETE FROM credential_files WHERE id = ?', id)
    },
    putFirmware: (f) => this.run1(statements.putFirmware(f)),
    deleteFirmware: (sha256, boardId) => {
      this.exec('DELETE FROM firmware WHERE sha256 = ? AND board_id = ?', sha256, boardId)
    },
    deviceLease: (uid) => {
      const row = this.all<Record<string, unknown>>(
        'SELECT * FROM device_leases WHERE uid = ?',
        uid,
      )[0]
      return row ? rowToDeviceLease(row) : null
    },
    getMeta: (key) =>
      this.all<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)[0]?.value ?? null,
    putDeviceLease: (l) => this.run1(statements.putDeviceLease(l)),
    touchDeviceLease: (uid, id, at) =>
      this.exec('UPDATE device_leases SET heartbeat_at = ? WHERE uid = ? AND id = ?', at, uid, id)
        .changes > 0,
    deleteDeviceLease: (uid, id) => {
      this.exec('DELETE FROM device_leases WHERE uid = ? AND id = ?', uid, id)
    },
    setMeta: (key, value) => this.run1(statements.setMeta(key, value)),
    counts: () =>
      this.all<{ devices: number; tokens: number; operations: number; flashes: number }>(
        `SELECT (SELECT count(*) FROM devices) AS devices, (SELECT count(*) FROM tokens) AS tokens,
           (SELECT count(*) FROM operations) AS operations,
           (SELECT count(*) FROM flashes) AS flashes`,
      )[0]!,
  })
}

/** Maps SQLite's failures to the codes the user is told about; never echoes row content. */
function storeError(error: unknown, path: string): unknown {
  if (error instanceof FieldFlashError) return error
  const code = String((error as { code?: unknown }).code ?? '')
  const cause = { cause: error }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new FieldFlashError(
      'store_busy',
      `The data file ${path} stayed locked by another FieldFlash process for ${BUSY_TIMEOUT_MS / 1000} s; nothing was changed. Let the other process finish (or close it), then try again.`,
      undefined,
      cause,
    )
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new FieldFlashError(
      'store_corrupt',
      `The data file ${path} is damaged or not a database (${code}). FieldFlash left it as it is: run "fieldflash doctor" for details, restore it from a backup, or move it away to start a new registry.`,
      undefined,
      cause,
    )
  }
  if (
    code.startsWith('SQLITE_FULL') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_PERM')
  ) {
    return new FieldFlashError(
      'io_error',
      `Could not read or write the data file ${path} (${code}); nothing was changed. Check free disk space and the permissions of the data directory, then try again.`,
      undefined,
      cause,
    )
  }
  return error
}
