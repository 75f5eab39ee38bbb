import pg from 'pg'
import { FieldFlashError, invalidInput } from '../shared/errors'
import { PG_MIGRATIONS, PG_VERSION_TABLE } from './pg-schema'
import { REGISTRY_TABLES, type RegistryTable } from './store'

// The registry's PostgreSQL server, reached with node-postgres: the URL the user gave (checked,
// and shown with its password hidden), a connection that fails closed with a clear error, and the
// schema's versioned migrations, applied once however many stations start at the same moment.

/** A PostgreSQL registry the user named. */
export interface DatabaseTarget {
  url: string
  /** The URL as messages show it: the password replaced by ***. */
  shown: string
}

/** How long a station waits for the server before it says it cannot reach it. */
const CONNECT_TIMEOUT_MS = 5_000

/** How long one statement may take: far above any of the registry's (milliseconds), and above a writer's 15 s wait for the lock. */
const QUERY_TIMEOUT_MS = 60_000

/** Checks a postgres:// URL given as `field` (the option the user typed). */
export function databaseTarget(url: string, field: string): DatabaseTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidInput(field, 'must be a URL like postgres://user:password@host:5432/fieldflash')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidInput(
      field,
      `must be a postgres:// or postgresql:// URL (got ${parsed.protocol.replace(/:$/, '')}://…)`,
    )
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw invalidInput(field, 'must name the server (postgres://user@host:5432/fieldflash)')
  }
  const shown = new URL(url)
  if (shown.password) shown.password = '***'
  return { url, shown: shown.toString() }
}

/**
 * How every connection to the registry's server is made: within 5 s or not at all, and counts and
 * row numbers (BIGINT) read as numbers, as SQLite gives them (they stay far below 2^53).
 */
export function connectionOptions(target: DatabaseTarget): pg.ClientConfig {
  return {
    connectionString: target.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A server that stops answering mid-query (a cable pulled, a network partitioned) fails the
    // query within a minute instead of leaving the station waiting on a dead socket.
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'fieldflash',
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === pg.types.builtins.INT8
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  }
}

/** A connection to the registry's server; fails with `store_unreachable`, never hangs. */
export async function connectPostgres(target: DatabaseTarget): Promise<pg.Client> {
  const client = new pg.Client(connectionOptions(target))
  // A server that goes away later surfaces as the failing query's error, not as a crash.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => undefined)
    throw unreachable(target, error)
  }
  return client
}

/** A server or network failure, said without the URL's password. */
export function unreachable(target: DatabaseTarget, error: unknown): FieldFlashError {
  const why = (error as Error).message?.replaceAll(target.url, target.shown) ?? String(error)
  return new FieldFlashError(
    'store_unreachable',
    `Cannot use the registry database ${target.shown}: ${why}. Nothing was written. Check the URL, the network and the server, then try again.`,
    'database',
    { cause: error },
  )
}

/** The schema version of the database (null when FieldFlash never set it up). */
export async function postgresVersion(client: pg.ClientBase): Promise<number | null> {
  const found = await client.query<{ present: boolean }>(
    `SELECT to_regclass('fieldflash_schema') IS NOT NULL AS present`,
  )
  if (!found.rows[0]!.present) return null
  const row = await client.query<{ version: number }>(
    'SELECT version FROM fieldflash_schema WHERE id = 1',
  )
  return row.rows[0]?.version ?? null
}

/**
 * Brings the database to this build's schema, in one transaction under an advisory lock: stations
 * starting together migrate once. Refuses a database of a newer FieldFlash, and one that holds
 * tables but is not FieldFlash's.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  target: DatabaseTarget,
): Promise<{ from: number; to: number }> {
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('fieldflash.schema'))`)
    const version = await postgresVersion(client)
    if (version === null) {
      const tables = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
      if (Number(tables.rows[0]!.n) > 0) {
        throw new FieldFlashError(
          'store_corrupt',
          `${target.shown} holds tables of another program, not FieldFlash's. Give FieldFlash a database of its own.`,
        )
      }
      await client.query(PG_VERSION_TABLE)
    }
    const from = version ?? 0
    if (from > PG_MIGRATIONS.length) {
      throw new FieldFlashError(
        'store_corrupt',
        `${target.shown} was set up by a newer FieldFlash (schema ${from}; this one knows up to ${PG_MIGRATIONS.length}). Update FieldFlash on this station; the database was left as it is.`,
      )
    }
    for (let v = from; v < PG_MIGRATIONS.length; v++) await client.query(PG_MIGRATIONS[v]!)
    await client.query(
      `INSERT INTO fieldflash_schema (id, version, application) VALUES (1, $1, 'fieldflash')
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`,
      [PG_MIGRATIONS.length],
    )
    await client.query('COMMIT')
    return { from, to: PG_MIGRATIONS.length }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    if (error instanceof FieldFlashError) throw error
    throw unreachable(target, error)
  }
}

/** Rows per registry table. */
export async function postgresCounts(client: pg.Client): Promise<Record<RegistryTable, number>> {
  const counts = {} as Record<RegistryTable, number>
  for (const table of REGISTRY_TABLES) {
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)
    counts[table] = Number(result.rows[0]!.n)
  }
  return counts
}
