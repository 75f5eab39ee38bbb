import type pg from 'pg'
import { crashPoint } from '../shared/crash-point'
import { FieldFlashError } from '../shared/errors'
import {
  connectPostgres,
  migratePostgres,
  postgresCounts,
  unreachable,
  type DatabaseTarget,
} from './postgres'
import {
  publicKeyText,
  readRegistryKey,
  registryKey,
  sealSecret,
  type RegistryKey,
} from './registry-key'
import { SEALED_COLUMNS, sealedPlace } from './pg-schema'
import { REGISTRY_TABLES, type RegistryTable, type SqliteStore } from './store'

// `fieldflash registry copy --to <url>`: an existing SQLite registry moved into PostgreSQL in one
// transaction. The target must be empty; every row is copied as stored, the secrets sealed with
// the site's registry key on the way; the counts are checked inside the transaction before it
// commits. A copy that fails (or is killed) leaves the target as it was.

export interface CopyResult {
  target: string
  /** Rows copied per table (the audit log gets one more: the copy itself). */
  counts: Record<RegistryTable, number>
  keyId: string
  keyCreated: boolean
  station: string
}

/** The identity columns whose sequences continue after the copied rows. */
const IDENTITY_COLUMNS: Partial<Record<RegistryTable, string>> = {
  devices: 'seq',
  tokens: 'id',
  flashes: 'id',
  operations: 'seq',
  audit: 'seq',
  credential_files: 'id',
  registrations: 'id',
}

type Row = Record<string, unknown>

/** How long a device lease stays live without a heartbeat (the leases' own rule). */
const LEASE_LAPSES_MS = 60_000

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 500

export async function copyRegistry(
  store: SqliteStore,
  target: DatabaseTarget,
  options: { station?: string; now?: Date } = {},
): Promise<CopyResult> {
  const station = options.station ?? store.station
  const snapshot = await store.snapshot()
  // A job writing a board now would go on writing to the registry left behind. (A lease left by
  // a killed job stops being renewed and lapses within a minute.)
  const now = options.now ?? new Date()
  const lease = snapshot.device_leases.find(
    (l) => now.getTime() - Date.parse(String(l.heartbeat_at)) <= LEASE_LAPSES_MS,
  )
  if (lease) {
    throw new FieldFlashError(
      'invalid_state',
      `A job is writing ${String(lease.uid)}'s board (${String(lease.holder)} on ${String(lease.port)}): let it end, then copy the registry.`,
    )
  }
  const client = await connectPostgres(target)
  try {
    // Made once the server answers: a copy that cannot even connect leaves the data directory as is.
    const hadKey = readRegistryKey(store.dataDir) !== null
    const key = registryKey(store.dataDir)
    await migratePostgres(client, target)
    await client.query('BEGIN')
    try {
      // A second copy into the same database waits here, then finds it not empty.
      await client.query(`LOCK TABLE ${REGISTRY_TABLES.join(', ')} IN EXCLUSIVE MODE`)
      const before = await postgresCounts(client)
      const held = REGISTRY_TABLES.filter((t) => before[t] > 0)
      if (held.length > 0) {
        throw new FieldFlashError(
          'invalid_state',
          `${target.shown} already holds a registry (${before.devices} device(s), ${before.audit} audit entries): FieldFlash copies only into an empty database, and left this one as it is.`,
          'to',
          { badInput: true },
        )
      }
      for (const table of REGISTRY_TABLES) {
        if (table === 'device_leases') continue
        const rows = snapshot[table].map((row) => prepareRow(table, row, key, station))
        await insertRows(client, table, rows)
        const identity = IDENTITY_COLUMNS[table]
        if (identity && rows.length > 0) {
          await client.query(
            `SELECT setval(pg_get_serial_sequence('${table}', '${identity}'), (SELECT max(${identity}) FROM ${table}))`,
          )
        }
      }
      // Which key opens the secrets (a station holding another one is told so), and its public
      // half, with which every station seals new ones.
      await client.query(
        `INSERT INTO meta (key, value) VALUES ('registry.key_id', $1), ('registry.public_key', $2)`,
        [key.id, publicKeyText(key)],
      )
      const at = now.toISOString()
      await client.query('INSERT INTO audit (at, type, uid, body) VALUES ($1, $2, NULL, $3)', [
        at,
        'registry.copied',
        JSON.stringify({
          type: 'registry.copied',
          at,
          station,
          from: store.path,
          devices: snapshot.devices.length,
          keyId: key.id,
        }),
      ])
      crashPoint('registry:copied')
      const after = await postgresCounts(client)
      // Checked before it commits: every row there, plus the copy's own key id and audit entry.
      const counts = {} as Record<RegistryTable, number>
      const added: Partial<Record<RegistryTable, number>> = { meta: 2, audit: 1, device_leases: 0 }
      for (const table of REGISTRY_TABLES) {
        counts[table] = table === 'device_leases' ? 0 : snapshot[table].length
        const expected = counts[table] + (added[table] ?? 0)
        if (after[table] !== expected) {
          throw new FieldFlashError(
            'io_error',
            `The copy of ${table} into ${target.shown} holds ${after[table]} rows instead of ${expected}; nothing was kept.`,
          )
        }
      }
      await client.query('COMMIT')
      return { target: target.shown, counts, keyId: key.id, keyCreated: !hadKey, station }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  } catch (error) {
    if (error instanceof FieldFlashError) throw error
    throw unreachable(target, error)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A row as PostgreSQL keeps it: secrets sealed, a station's files named by the station. */
function prepareRow(table: RegistryTable, row: Row, key: RegistryKey, station: string): Row {
  const out: Row = { ...row }
  for (const { column, rowKey } of SEALED_COLUMNS.filter((c) => c.table === table)) {
    const value = out[column]
    if (typeof value === 'string') {
      out[column] = sealSecret(key, value, sealedPlace(table, column, rowKey && row[rowKey]))
    }
  }
  if (table === 'credential_files') out.station = station
  return out
}

async function insertRows(client: pg.Client, table: RegistryTable, rows: Row[]): Promise<void> {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0]!)
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH)
    const params: unknown[] = []
    const values = batch.map(
      (row) =>
        `(${columns
          .map((column) => {
            params.push(row[column] ?? null)
            return `$${params.length}`
          })
          .join(', ')})`,
    )
    await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}`,
      params,
    )
  }
}
