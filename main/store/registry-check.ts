import {
  connectPostgres,
  postgresCounts,
  postgresVersion,
  unreachable,
  type DatabaseTarget,
} from './postgres'
import { PG_MIGRATIONS, SEALED_COLUMNS, sealedPlace } from './pg-schema'
import { openSecret, readRegistryKey } from './registry-key'
import { FieldFlashError } from '../shared/errors'
import type { RegistryTable } from './store'

// `fieldflash doctor --database <url>`: what a station can tell about a shared registry: that it
// reaches it (and whether over TLS), its schema, its size, and whether this station's registry key
// opens its secrets (every sealed value is opened, none is shown).

export interface PostgresCheck {
  ok: boolean
  database: string
  schema: number | null
  /** Whether this connection is encrypted (TLS), as the server sees it. */
  tls: boolean
  counts: Record<RegistryTable, number> | null
  /** The key the registry's secrets are sealed with, and what this station holds. */
  key: { registry: string | null; station: string | null; opened: number }
  problems: string[]
  /** What this station can do, in words (for example: everything but render credentials). */
  notes: string[]
}

export async function checkPostgresRegistry(
  target: DatabaseTarget,
  dataDir: string,
): Promise<PostgresCheck> {
  const client = await connectPostgres(target)
  const problems: string[] = []
  const notes: string[] = []
  try {
    const tls = await client.query<{ ssl: boolean | null }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    )
    const schema = await postgresVersion(client)
    const check: PostgresCheck = {
      ok: false,
      database: target.shown,
      schema,
      tls: tls.rows[0]?.ssl === true,
      counts: null,
      key: { registry: null, station: null, opened: 0 },
      problems,
      notes,
    }
    if (schema === null) {
      problems.push(
        'It holds no FieldFlash registry: move one there with "fieldflash registry copy --to <url>".',
      )
      return check
    }
    if (schema > PG_MIGRATIONS.length) {
      problems.push(
        `It was set up by a newer FieldFlash (schema ${schema}; this one knows up to ${PG_MIGRATIONS.length}): update FieldFlash on this station.`,
      )
      return check
    }
    check.counts = await postgresCounts(client)
    const registryKeyId = await client.query<{ value: string }>(
      `SELECT value FROM meta WHERE key = 'registry.key_id'`,
    )
    check.key.registry = registryKeyId.rows[0]?.value ?? null
    const key = readRegistryKey(dataDir)
    check.key.station = key?.id ?? null
    if (!key) {
      notes.push(
        "This station holds no registry key: it can do everything but render credentials (templates, config partitions) and register boards. Copy the site's registry-key file into its data directory (owner-only).",
      )
    } else if (check.key.registry !== null && key.id !== check.key.registry) {
      problems.push(
        `This station's registry key ${key.id} is not the registry's (${check.key.registry}): it cannot open the secrets. Copy the site's registry-key file from a station that holds it.`,
      )
    } else {
      for (const { table, column, rowKey } of SEALED_COLUMNS) {
        const rows = await client.query<{ id: string | null; value: string }>(
          `SELECT ${rowKey ?? 'NULL'} AS id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`,
        )
        for (const row of rows.rows) {
          const where = sealedPlace(table, column, row.id)
          try {
            openSecret(key, row.value, where)
            check.key.opened++
          } catch (error) {
            problems.push((error as FieldFlashError).message)
            if (problems.length >= 50) break
          }
        }
      }
    }
    check.ok = problems.length === 0
    return check
  } catch (error) {
    if (error instanceof FieldFlashError) throw error
    throw unreachable(target, error)
  } finally {
    await client.end().catch(() => undefined)
  }
}
