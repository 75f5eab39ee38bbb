import { AsyncLocalStorage } from 'node:async_hooks'
import pg from 'pg'
import { crashPoint } from '../shared/crash-point'
import { FieldFlashError } from '../shared/errors'
import { SEALED_COLUMNS, sealedPlace } from './pg-schema'
import { connectionOptions, migratePostgres, unreachable, type DatabaseTarget } from './postgres'
import {
  openSecret,
  publicKeyText,
  readRegistryKey,
  registryKey,
  sealingKeyFrom,
  sealSecret,
  type RegistryKey,
  type SealingKey,
} from './registry-key'
import {
  DEVICE_QUERIES,
  rowsToDevice,
  rowToAuditEntry,
  rowToDeviceListItem,
  rowToFirmware,
  rowToCredentialFile,
  rowToDeviceLease,
  rowToOwnedToken,
  rowToSite,
} from './rows'
import type { DeviceRecord, RegistryState, SiteProfile } from './records'
import * as statements from './statements'
import type { FieldFlashStore, StoreReader, StoreWriter } from './store'
import { secureDataDir } from './data-dir-guard'
import { isSealed } from './sealed'
import { stationName } from './station-name'

// The registry on a PostgreSQL server that several stations share. The same transactions as on
// SQLite (statements.ts), with what a shared server asks for: writers take turns under one
// advisory lock (SQLite's single writer, across stations), each transaction on a pooled
// connection of its own, secrets sealed with the site's registry key, a station's own files named
// by the station, and a server that cannot be reached failing closed.

/** Every writer of the registry, whichever station: one at a time, as on SQLite. */
const WRITE_LOCK = `SELECT pg_advisory_xact_lock(hashtext('fieldflash.registry'))`

/** How long a writer waits for another station's transaction before giving up (as on SQLite). */
const LOCK_TIMEOUT = '15s'

interface Frame {
  writing: boolean
  open: boolean
  tx: StoreWriter
  client: pg.PoolClient
}

type Row = Record<string, unknown>

export class PostgresStore implements FieldFlashStore {
  readonly engine = 'postgres'
  private readonly context = new AsyncLocalStorage<Frame>()

  private constructor(
    private readonly pool: pg.Pool,
    private readonly target: DatabaseTarget,
    readonly dataDir: string,
    /** The registry's public key: every station seals new secrets with it. */
    private readonly sealing: SealingKey,
    /** The site's registry key, or null: this station then cannot open the sealed secrets. */
    private readonly key: RegistryKey | null,
    /** Why the key is missing, for the error when a secret is needed. */
    private readonly keyProblem: string | null,
    /** This station's name, for its own files' rows. */
    readonly station: string,
    readonly notices: readonly string[],
  ) {}

  get path(): string {
    return this.target.shown
  }

  /**
   * Connects to the registry's server (failing closed within 5 s), brings its schema up to date
   * and finds this station's registry key. A fresh database takes the station's key (made if need
   * be); a station holding no key, or another one, opens the registry without its secrets.
   */
  static async open(target: DatabaseTarget, dataDir: string): Promise<PostgresStore> {
    // The station's own files (its key, its templates, its library) stay in its data directory.
    const notices = secureDataDir(dataDir)
    const pool = new pg.Pool({ ...connectionOptions(target), max: 4, allowExitOnIdle: true })
    // A server that goes away surfaces as the failing query's error, not as a crash.
    pool.on('error', () => undefined)
    try {
      const client = await pool.connect().catch((error: unknown) => {
        throw unreachable(target, error)
      })
      let sealing: SealingKey
      try {
        await migratePostgres(client, target)
        sealing = await claimKey(client, dataDir, target.shown)
      } finally {
        client.release()
      }
      const held = readRegistryKey(dataDir)
      let problem: string | null = null
      if (!held) {
        problem = `This station holds no registry key (${dataDir}/registry-key), so it cannot open the registry's secrets (MQTT and Wi-Fi passwords, registration keys): it can do all but render credentials. Copy the site's key file from a station that holds it.`
        notices.push(problem)
      } else if (held.id !== sealing.id) {
        problem = `This station's registry key is ${held.id}, and the registry's secrets are sealed with key ${sealing.id}: it can do all but render credentials. Copy the site's key file from a station that holds it.`
        notices.push(problem)
      }
      const key = problem === null ? held : null
      return new PostgresStore(
        pool,
        target,
        dataDir,
        sealing,
        key,
        problem,
        stationName(dataDir),
        notices,
      )
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
  }

  read<T>(fn: (tx: StoreReader) => Promise<T> | T): Promise<T> {
    const frame = this.context.getStore()
    if (frame?.open) return Promise.resolve().then(() => fn(frame.tx))
    return this.transaction(false, fn)
  }

  async write<T>(fn: (tx: StoreWriter) => Promise<T> | T): Promise<T> {
    const frame = this.context.getStore()
    if (frame?.open) {
      if (!frame.writing) throw new Error('a write cannot start inside a read transaction')
      return fn(frame.tx)
    }
    return this.transaction(true, fn)
  }

  site(): Promise<SiteProfile | null> {
    return this.read((tx) => tx.site())
  }

  device(uid: string): Promise<DeviceRecord | null> {
    return this.read((tx) => tx.device(uid))
  }

  /** The newest audit entry's number: every change to a device writes one. */
  dataVersion(): Promise<number> {
    return this.read((tx) => tx.auditCursor())
  }

  async state(): Promise<RegistryState> {
    const base = { engine: 'postgres', location: this.path, station: this.station } as const
    try {
      const tls = await this.read(async () => {
        const client = this.context.getStore()!.client
        const row = await client.query<{ ssl: boolean | null }>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        )
        return row.rows[0]?.ssl ?? false
      })
      return { ...base, reachable: true, tls, problem: this.keyProblem }
    } catch (error) {
      return { ...base, reachable: false, tls: null, problem: (error as Error).message }
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined)
  }

  private async transaction<T>(
    writing: boolean,
    fn: (tx: StoreWriter) => Promise<T> | T,
  ): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw unreachable(this.target, error)
    }
    const frame: Frame = { writing, open: true, tx: undefined as unknown as StoreWriter, client }
    frame.tx = this.transactionOn(client, frame)
    let begun = false
    try {
      if (writing) {
        await client.query(`BEGIN; SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`)
        begun = true
        await client.query(WRITE_LOCK)
      } else {
        // One snapshot for the whole read, as SQLite's read transaction gives.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
        begun = true
      }
      const result = await this.context.run(frame, () => fn(frame.tx))
      if (writing) crashPoint('store:before-commit')
      await client.query('COMMIT')
      return result
    } catch (error) {
      if (begun) await client.query('ROLLBACK').catch(() => undefined)
      throw this.failure(error)
    } finally {
      frame.open = false
      client.release()
    }
  }

  /** Maps the server's failures to the codes the user is told about; never echoes row content. */
  private failure(error: unknown): unknown {
    if (error instanceof FieldFlashError) return error
    const code = String((error as { code?: unknown }).code ?? '')
    if (code === '55P03') {
      return new FieldFlashError(
        'store_busy',
        `The registry ${this.target.shown} stayed locked by another station for ${LOCK_TIMEOUT}; nothing was changed. Try again.`,
        undefined,
        { cause: error },
      )
    }
    // A constraint or a statement the server refused: the registry's own rules, as on SQLite.
    if (/^(22|23|42)/.test(code)) return error
    return unreachable(this.target, error)
  }

  /** Seals a secret for its row, with the site's key (or says why this station cannot). */
  private readonly seal: statements.Seal = (value, table, column, rowKey) => {
    // A value read sealed (a station without the key) goes back unchanged.
    if (isSealed(value)) return value
    return sealSecret(this.sealing, value, sealedPlace(table, column, rowKey))
  }

  /** Opens a secret of a row; without the key it stays sealed (and is refused where rendered). */
  private unseal(row: Row, table: string): Row {
    if (!this.key) return row
    const out = { ...row }
    for (const { column, rowKey } of SEALED_COLUMNS.filter((c) => c.table === table)) {
      const value = out[column]
      if (typeof value === 'string') {
        out[column] = openSecret(this.key, value, sealedPlace(table, column, rowKey && row[rowKey]))
      }
    }
    return out
  }

  private transactionOn(client: pg.PoolClient, frame: Frame): StoreWriter {
    const query = async <R extends Row = Row>(sql: string, ...params: unknown[]): Promise<R[]> => {
      if (!frame.open) throw new Error('a transaction object was used outside its transaction')
      const result = await client.query<R>(statements.numbered(sql), params)
      return result.rows
    }
    const run = async (list: readonly statements.Statement[]): Promise<void> => {
      for (const s of list) await query(s.sql, ...s.params)
    }
    const path = this.target.shown
    const station = this.station
    const tx: StoreWriter = {
      site: async () => {
        const [row] = await query('SELECT * FROM site WHERE id = 1')
        return row ? rowToSite(this.unseal(row, 'site'), path) : null
      },
      device: async (uid) => {
        const [device] = await query(DEVICE_QUERIES.device, uid)
        if (!device) return null
        const children = async (sql: string, table: string) =>
          (await query(sql, uid)).map((row) => this.unseal(row, table))
        return rowsToDevice(
          {
            device: this.unseal(device, 'devices'),
            tokens: await children(DEVICE_QUERIES.tokens, 'tokens'),
            flashes: await children(DEVICE_QUERIES.flashes, 'flashes'),
            operations: await children(DEVICE_QUERIES.operations, 'operations'),
            registrations: await children(DEVICE_QUERIES.registrations, 'registrations'),
          },
          path,
        )
      },
      hasDevice: async (uid) =>
        (await query('SELECT 1 FROM devices WHERE uid = ?', uid)).length > 0,
      deviceCount: async () =>
        (await query<{ n: number }>('SELECT count(*)::int AS n FROM devices'))[0]!.n,
      listDevices: async (page) => {
        const q = statements.listDevicesQuery(page, 'ILIKE')
        return (await query(q.sql, ...q.params)).map((row) => rowToDeviceListItem(row, path))
      },
      tokenByHash: async (hash) => {
        const [row] = await query('SELECT * FROM tokens WHERE hash = ?', hash)
        return row ? rowToOwnedToken(this.unseal(row, 'tokens'), path) : null
      },
      auditEntries: async ({ uid, after = 0, limit } = {}) =>
        (uid === undefined
          ? await query(
              'SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?',
              after,
              limit ?? null,
            )
          : await query(
              'SELECT * FROM audit WHERE uid = ? AND seq > ? ORDER BY seq LIMIT ?',
              uid,
              after,
              limit ?? null,
            )
        ).map((row) => rowToAuditEntry(row, path)),
      auditCursor: async () =>
        (await query<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit'))[0]!.seq ?? 0,
      devicesChangedSince: async (seq) =>
        (
          await query<{ uid: string }>(
            `SELECT d.uid FROM devices d
             WHERE d.uid IN (SELECT a.uid FROM audit a WHERE a.seq > ? AND a.uid IS NOT NULL)
             ORDER BY d.seq`,
            seq,
          )
        ).map((row) => row.uid),
      getMeta: async (key) =>
        (await query<{ value: string }>('SELECT value FROM meta WHERE key = ?', key))[0]?.value ??
        null,
      deviceLease: async (uid) => {
        const [row] = await query('SELECT * FROM device_leases WHERE uid = ?', uid)
        return row ? rowToDeviceLease(row) : null
      },
      firmware: async ({ sha256, boardId } = {}) =>
        (
          await query(
            `SELECT * FROM firmware WHERE (CAST(? AS TEXT) IS NULL OR sha256 = ?)
               AND (CAST(? AS TEXT) IS NULL OR board_id = ?) ORDER BY imported_at DESC, sha256`,
            sha256 ?? null,
            sha256 ?? null,
            boardId ?? null,
            boardId ?? null,
          )
        ).map((row) => rowToFirmware(row, path)),
      // A station's files are its own: paths on its disk, cleaned up by it alone.
      credentialFiles: async ({ uid, finalPath, state }) =>
        (
          await query(
            `SELECT * FROM credential_files WHERE station = ?
               AND (CAST(? AS TEXT) IS NULL OR device_uid = ?)
               AND (CAST(? AS TEXT) IS NULL OR final_path = ?)
               AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY id`,
            station,
            uid ?? null,
            uid ?? null,
            finalPath ?? null,
            finalPath ?? null,
            state ?? null,
            state ?? null,
          )
        ).map(rowToCredentialFile),

      saveSite: (p) => run([statements.saveSite(p, this.seal)]),
      insertDevice: (device) => run(statements.saveDevice(null, device, this.seal)),
      saveDevice: (before, after) => run(statements.saveDevice(before, after, this.seal)),
      audit: async (events) => {
        const at = new Date().toISOString()
        for (const event of events) {
          const secrets: string[] = []
          if (typeof event.uid === 'string' && this.key) {
            const [row] = await query(
              'SELECT uid, mqtt_password FROM devices WHERE uid = ?',
              event.uid,
            )
            if (row) secrets.push(this.unseal(row, 'devices').mqtt_password as string)
          }
          await run([statements.appendAudit(event, station, secrets, at)])
        }
      },
      addCredentialFile: async (row) =>
        (
          await query<{ id: number }>(
            `INSERT INTO credential_files (station, final_path, device_uid, fingerprint, state,
               temp_path, sha256, pid, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
            station,
            row.finalPath,
            row.uid,
            row.fingerprint,
            row.state,
            row.tempPath,
            row.sha256,
            row.pid,
            row.updatedAt,
          )
        )[0]!.id,
      updateCredentialFile: async (id, change) => {
        await query(
          `UPDATE credential_files SET state = ?, temp_path = ?, sha256 = ?, updated_at = ?
           WHERE id = ? AND station = ?`,
          change.state,
          change.tempPath,
          change.sha256,
          change.updatedAt,
          id,
          station,
        )
      },
      deleteCredentialFile: async (id) => {
        await query('DELETE FROM credential_files WHERE id = ? AND station = ?', id, station)
      },
      putFirmware: (f) => run([statements.putFirmware(f)]),
      deleteFirmware: async (sha256, boardId) => {
        await query('DELETE FROM firmware WHERE sha256 = ? AND board_id = ?', sha256, boardId)
      },
      setMeta: (key, value) => run([statements.setMeta(key, value)]),
      putDeviceLease: (lease) => run([statements.putDeviceLease(lease)]),
      touchDeviceLease: async (uid, id, at) =>
        (
          await query(
            'UPDATE device_leases SET heartbeat_at = ? WHERE uid = ? AND id = ? RETURNING 1',
            at,
            uid,
            id,
          )
        ).length > 0,
      deleteDeviceLease: async (uid, id) => {
        await query('DELETE FROM device_leases WHERE uid = ? AND id = ?', uid, id)
      },
      counts: async () =>
        (
          await query<{ devices: number; tokens: number; operations: number; flashes: number }>(
            `SELECT (SELECT count(*)::int FROM devices) AS devices,
               (SELECT count(*)::int FROM tokens) AS tokens,
               (SELECT count(*)::int FROM operations) AS operations,
               (SELECT count(*)::int FROM flashes) AS flashes`,
          )
        )[0]!,
    }
    return tx
  }
}

/**
 * The registry's key (its id and public half), set by the first station (or `registry copy`) with
 * the key it holds or makes now; a database that has one keeps it.
 */
async function claimKey(
  client: pg.PoolClient,
  dataDir: string,
  source: string,
): Promise<SealingKey> {
  const read = async (): Promise<{ id: string; publicKey: string } | null> => {
    const rows = (
      await client.query<{ key: string; value: string }>(
        `SELECT key, value FROM meta WHERE key IN ('registry.key_id', 'registry.public_key')`,
      )
    ).rows
    const id = rows.find((r) => r.key === 'registry.key_id')?.value
    const publicKey = rows.find((r) => r.key === 'registry.public_key')?.value
    return id && publicKey ? { id, publicKey } : null
  }
  let claimed = await read()
  if (!claimed) {
    const key = registryKey(dataDir)
    await client.query(
      `INSERT INTO meta (key, value) VALUES ('registry.key_id', $1), ('registry.public_key', $2)
       ON CONFLICT (key) DO NOTHING`,
      [key.id, publicKeyText(key)],
    )
    claimed = (await read())!
  }
  return sealingKeyFrom(claimed.id, claimed.publicKey, source)
}
