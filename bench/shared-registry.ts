import { spawn } from 'node:child_process'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startPostgres } from '../devkit/postgres'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { regenerateToken } from '../main/credentials/tokens'
import { addDevice, getDevice, listDevices } from '../main/devices/devices'
import { importDevices } from '../main/devices/import-devices'
import { saveSiteProfile } from '../main/site/site-profile'
import { PostgresStore } from '../main/store/pg-store'
import { databaseTarget } from '../main/store/postgres'
import { copyRegistry } from '../main/store/registry-copy'
import { SqliteStore, type FieldFlashStore } from '../main/store/store'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

// The registry on SQLite and on PostgreSQL side by side (a local server with fsync on, as SQLite
// commits with synchronous=FULL), then several stations writing to one PostgreSQL registry at once.

/** add, token regenerate, get and the first page of 100, at `deviceCount` devices, on both engines. */
export async function benchEngines(deviceCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-engines-'))
  const server = await startPostgres({ durable: true })
  try {
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    const sqlite = await SqliteStore.open(dir)
    await saveSiteProfile(sqlite, BENCH_SITE)
    await importDevices(
      sqlite,
      Array.from({ length: deviceCount }, (_, i) => ({
        line: i + 1,
        uid: `dev-${i}`,
        boardId: 'esp32-devkitc',
      })),
    )
    // The same registry on both: PostgreSQL's by `registry copy`.
    const target = databaseTarget(await server.database(), 'database')
    await copyRegistry(sqlite, target)
    const postgres = await PostgresStore.open(target, dir)
    for (const [engine, store] of [
      ['sqlite', sqlite],
      ['postgres', postgres],
    ] as const) {
      await measure(`[${engine}]`, store, catalog, deviceCount)
    }
    await sqlite.close()
    await postgres.close()
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

async function measure(
  engine: string,
  store: FieldFlashStore,
  catalog: BoardCatalog,
  deviceCount: number,
): Promise<void> {
  const runs = async (n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> => {
    const samples: number[] = []
    for (let i = 0; i < n; i++) samples.push((await timed(() => fn(i)))[0])
    return samples
  }
  const at = `${deviceCount} devices`
  summary(
    `${engine} add (${at})`,
    await runs(300, () => addDevice(store, catalog, { boardId: 'esp32-devkitc' })),
  )
  summary(
    `${engine} token regenerate (${at})`,
    await runs(300, (i) => regenerateToken(store, `dev-${(i * 104729) % deviceCount}`)),
  )
  summary(
    `${engine} get (${at})`,
    await runs(1000, (i) => getDevice(store, `dev-${(i * 7919) % deviceCount}`)),
  )
  summary(
    `${engine} first page of 100 (${at})`,
    await runs(100, () => listDevices(store, { limit: 100 })),
  )
}

/**
 * `stations` stations × `processes` processes, each adding a device and minting its token in turn
 * for `seconds`, on one PostgreSQL registry; then checks that every reported change is there once.
 */
export async function benchStations(stations = 4, processes = 4, seconds = 30): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-stations-'))
  const server = await startPostgres({ durable: true })
  try {
    const url = await server.database()
    const target = databaseTarget(url, 'database')
    const first = await PostgresStore.open(target, join(dir, 'station-0'))
    await saveSiteProfile(first, BENCH_SITE)
    await first.close()
    const workers: Promise<{ adds: number; mints: number }>[] = []
    for (let s = 0; s < stations; s++) {
      const dataDir = join(dir, `station-${s}`)
      if (s > 0) {
        await PostgresStore.open(target, dataDir).then((store) => store.close())
        await copyFile(join(dir, 'station-0', 'registry-key'), join(dataDir, 'registry-key'))
      }
      for (let p = 0; p < processes; p++) {
        workers.push(worker(url, dataDir, `s${s}-p${p}`, seconds))
      }
    }
    const [ms, results] = await timed(() => Promise.all(workers))
    const adds = results.reduce((n, r) => n + r.adds, 0)
    const mints = results.reduce((n, r) => n + r.mints, 0)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const count = async (sql: string): Promise<number> =>
      Number((await client.query<{ n: string }>(sql)).rows[0]!.n)
    const devices = await count(`SELECT count(*) AS n FROM devices WHERE uid LIKE 's%-p%-%'`)
    const tokens = await count('SELECT count(*) AS n FROM tokens')
    const created = await count(`SELECT count(*) AS n FROM audit WHERE type = 'device.created'`)
    const minted = await count(`SELECT count(*) AS n FROM audit WHERE type = 'token.minted'`)
    const doubled = await count(
      `SELECT count(*) AS n FROM (SELECT device_uid FROM tokens WHERE state = 'issued'
         GROUP BY device_uid HAVING count(*) > 1) t`,
    )
    await client.end()
    const sound =
      devices === adds && tokens === mints && created === adds && minted === mints && doubled === 0
    console.log(
      `${stations} stations × ${processes} processes on one PostgreSQL, ${seconds} s`.padEnd(52),
      `${((adds + mints) / (ms / 1000)).toFixed(0)} ops/s (${adds} adds + ${mints} mints)   ${
        sound
          ? 'nothing lost or doubled (devices, tokens and audit entries match what was reported)'
          : `MISMATCH: ${devices} devices, ${tokens} tokens, ${created}/${minted} audit entries, ${doubled} doubled`
      }`,
    )
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** One process of a station: adds and mints until the time is up, then reports what succeeded. */
function worker(
  url: string,
  dataDir: string,
  prefix: string,
  seconds: number,
): Promise<{ adds: number; mints: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'station-worker.ts'),
        url,
        dataDir,
        prefix,
        String(seconds),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t))
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { adds: number; mints: number })
        : reject(new Error(`station worker ${prefix} exited ${code}`)),
    )
  })
}
