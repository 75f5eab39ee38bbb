import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'libsql'
import pg from 'pg'
import { postgresAt } from '../../devkit/postgres'
import { PostgresStore } from '../../main/store/pg-store'
import { databaseTarget } from '../../main/store/postgres'
import {
  DATABASE_FILE,
  REGISTRY_TABLES,
  SqliteStore,
  type FieldFlashStore,
} from '../../main/store/store'

// The registry's engine a test run uses: the suites of the "postgres" project (vitest.config.ts)
// run against a throwaway PostgreSQL cluster (started by postgres-setup.ts), every data directory
// with a database of its own; everything else, and the "sqlite" project, on the data directory's
// SQLite file.

export const ENGINE: 'sqlite' | 'postgres' =
  process.env.FIELDFLASH_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite'

const databases = new Map<string, Promise<string>>()

/** The PostgreSQL database of `dataDir` on the postgres project (made on first use), else null. */
export function databaseFor(dataDir: string): Promise<string> | null {
  if (ENGINE !== 'postgres') return null
  const port = Number(process.env.FIELDFLASH_TEST_PG_PORT)
  if (!port) throw new Error('the postgres project runs with postgres-setup.ts (vitest.config.ts)')
  let url = databases.get(dataDir)
  if (!url) {
    url = postgresAt(port).database()
    databases.set(dataDir, url)
  }
  return url
}

/** The registry of `dataDir` on this run's engine. */
export async function openStore(dataDir: string): Promise<FieldFlashStore> {
  const url = await databaseFor(dataDir)
  return url
    ? PostgresStore.open(databaseTarget(url, 'database'), dataDir)
    : SqliteStore.open(dataDir)
}

/** The options that point a CLI run at `dataDir`'s registry on this engine (none for SQLite). */
export async function registryArgs(dataDir: string): Promise<string[]> {
  const url = await databaseFor(dataDir)
  return url ? ['--database', url] : []
}

/** The environment that points a CLI process at `dataDir`'s registry on this engine. */
export async function registryEnv(dataDir: string): Promise<Record<string, string>> {
  const url = await databaseFor(dataDir)
  return url ? { FIELDFLASH_DATABASE_URL: url } : {}
}

/**
 * Runs `sql` on `dataDir`'s registry behind FieldFlash's back, as someone with the database in
 * hand would: resolves with the database's error message, or null when it accepted the statement.
 */
export async function rawStatement(dataDir: string, sql: string): Promise<string | null> {
  const url = await databaseFor(dataDir)
  if (url) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(sql)
      return null
    } catch (error) {
      return (error as Error).message
    } finally {
      await client.end()
    }
  }
  const db = new Database(join(dataDir, DATABASE_FILE))
  try {
    db.exec(sql)
    return null
  } catch (error) {
    return (error as Error).message
  } finally {
    db.close()
  }
}

/** Everything the registry of `dataDir` holds, as text: its files, or its database's rows. */
export async function registryText(dataDir: string): Promise<string> {
  const url = await databaseFor(dataDir)
  if (url) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      let text = ''
      for (const table of REGISTRY_TABLES) {
        text += JSON.stringify((await client.query(`SELECT * FROM ${table}`)).rows)
      }
      return text
    } finally {
      await client.end()
    }
  }
  let text = ''
  for (const name of await readdir(dataDir)) {
    // The shared-memory and write-ahead files go when the last connection closes: maybe already.
    text += await readFile(join(dataDir, name), 'latin1').catch(() => '')
  }
  return text
}
