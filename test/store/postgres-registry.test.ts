import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDevices } from '../../devkit/seed-registry'
import { runCli } from '../../main/cli/cli'
import { FieldFlashStore } from '../../main/store/store'
import { SCHEMA_VERSION } from '../../main/store/schema'
import { loadCatalog, REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { startPostgres, type PostgresServer } from '../../devkit/postgres'
import { cli } from '../helpers/run-cli'

// Moving a registry into PostgreSQL (`registry copy --to`) and checking one (`doctor --database`),
// against a real PostgreSQL server started for this file on a loopback port.

let server: PostgresServer
beforeAll(async () => {
  server = await startPostgres()
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

/** A data directory with a site (Wi-Fi too) and devices at every stage. */
async function registryWithDevices() {
  const dataDir = await tempDir('fieldflash-data-')
  const site = await cli(
    dataDir,
    'site',
    'set',
    ...SAMPLE_SITE_FLAGS,
    '--wifi-ssid',
    'plant-floor',
    '--wifi-password',
    'wifi-secret-42',
  )
  expect(site.code, site.err).toBe(0)
  const store = await FieldFlashStore.open(dataDir)
  const catalog = await loadCatalog()
  const seeded = [
    ...(await seedDevices(store, catalog, {
      uids: ['pump-0001', 'pump-0002'],
      stage: 'registered',
    })),
    ...(await seedDevices(store, catalog, { uids: ['pump-0003'], stage: 'approved' })),
    ...(await seedDevices(store, catalog, { uids: ['pump-0004'], stage: 'minted' })),
    ...(await seedDevices(store, catalog, { uids: ['pump-0005'], stage: 'added' })),
  ]
  const passwords = await Promise.all(
    ['pump-0001', 'pump-0002', 'pump-0003', 'pump-0004', 'pump-0005'].map(
      async (uid) => (await store.device(uid))!.mqtt.password,
    ),
  )
  const snapshot = await store.snapshot()
  await store.close()
  return { dataDir, seeded, passwords, snapshot }
}

async function fieldflash(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env)
  return { code, out, err }
}

describe('fieldflash registry copy --to', () => {
  it('moves every row into an empty database in one transaction, the secrets sealed; doctor checks it', async () => {
    const { dataDir, seeded, passwords, snapshot } = await registryWithDevices()
    const url = await server.database()

    const copy = await cli(dataDir, 'registry', 'copy', '--to', url, '--json')
    expect(copy.code, copy.err).toBe(0)
    const result = JSON.parse(copy.out)
    expect(result.counts).toMatchObject({
      devices: 5,
      tokens: snapshot.tokens.length,
      operations: snapshot.operations.length,
      registrations: snapshot.registrations.length,
      audit: snapshot.audit.length,
    })
    // The station's key: owner-only in its data directory, named (never shown) in the database.
    const keyFile = join(dataDir, 'registry-key')
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(result.keyId).toMatch(/^[0-9a-f]{16}$/)

    const devices = await query<{ uid: string; mqtt_password: string }>(
      url,
      'SELECT uid, mqtt_password FROM devices ORDER BY seq',
    )
    expect(devices.map((d) => d.uid)).toEqual(snapshot.devices.map((d) => d.uid))
    // No secret in plaintext anywhere in the database: MQTT and Wi-Fi passwords, registration
    // keys, provisioning and registration tokens.
    const dump = JSON.stringify(
      await Promise.all(
        ['site', 'devices', 'tokens', 'registrations', 'audit', 'meta'].map((t) =>
          query(url, `SELECT * FROM ${t}`),
        ),
      ),
    )
    const secrets = [
      'wifi-secret-42',
      ...passwords,
      ...seeded.flatMap((d) => [d.token, d.registrationToken, d.registrationKey]),
    ].filter((s): s is string => Boolean(s))
    for (const secret of secrets) expect(dump).not.toContain(secret)
    expect(devices[0]!.mqtt_password).toMatch(/^ffs2\.[0-9a-f]{16}\./)
    // The one-approval rule holds in PostgreSQL too.
    const approved = await query<{ n: string }>(
      url,
      `SELECT count(*) AS n FROM operations WHERE state = 'approved'`,
    )
    expect(Number(approved[0]!.n)).toBe(3)
    const copied = await query<{ body: string }>(
      url,
      `SELECT body FROM audit WHERE type = 'registry.copied'`,
    )
    expect(JSON.parse(copied[0]!.body)).toMatchObject({ devices: 5, keyId: result.keyId })

    const doctor = await cli(dataDir, 'doctor', '--database', url, '--json')
    expect(doctor.code, doctor.out + doctor.err).toBe(0)
    expect(JSON.parse(doctor.out)).toMatchObject({
      ok: true,
      schema: SCHEMA_VERSION,
      counts: { devices: 5 },
      key: { registry: result.keyId, station: result.keyId },
    })
    // Every sealed value opened: 5 MQTT passwords, the Wi-Fi password, and the registration keys.
    expect(JSON.parse(doctor.out).key.opened).toBeGreaterThanOrEqual(6)
  }, 60_000)

  it('refuses a database that already holds a registry, and leaves it as it was', async () => {
    const { dataDir } = await registryWithDevices()
    const url = await server.database()
    expect((await cli(dataDir, 'registry', 'copy', '--to', url)).code).toBe(0)
    const before = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM audit')

    const again = await cli(dataDir, 'registry', 'copy', '--to', url)
    expect(again.code).toBe(2)
    expect(again.err).toMatch(/already holds a registry \(5 device\(s\)/)
    expect(await query<{ n: string }>(url, 'SELECT count(*) AS n FROM audit')).toEqual(before)
  }, 60_000)

  it("refuses another program's database, and one a newer FieldFlash set up", async () => {
    const { dataDir } = await registryWithDevices()
    const foreign = await server.database()
    await query(foreign, 'CREATE TABLE invoices (id integer)')
    const refused = await cli(dataDir, 'registry', 'copy', '--to', foreign)
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/holds tables of another program/)

    const newer = await server.database()
    expect((await cli(dataDir, 'registry', 'copy', '--to', newer)).code).toBe(0)
    await query(newer, 'UPDATE fieldflash_schema SET version = 99')
    const doctor = await cli(dataDir, 'doctor', '--database', newer)
    expect(doctor.code).toBe(1)
    expect(doctor.out).toMatch(/set up by a newer FieldFlash \(schema 99/)
  }, 60_000)

  it('leaves the database empty when the copy is killed before it commits', async () => {
    const { dataDir } = await registryWithDevices()
    const url = await server.database()
    const child = spawn(
      process.execPath,
      ['bin/fieldflash.js', 'registry', 'copy', '--to', url, '--data-dir', dataDir],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, FIELDFLASH_CRASH_AT: 'registry:copied' },
        stdio: 'ignore',
      },
    )
    const signal = await new Promise((resolve) => child.once('exit', (_code, s) => resolve(s)))
    expect(signal).toBe('SIGKILL')
    // The server rolls back a transaction whose client died: no device, no audit entry.
    const left = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM devices')
    expect(Number(left[0]!.n)).toBe(0)
    const copy = await cli(dataDir, 'registry', 'copy', '--to', url)
    expect(copy.code, copy.err).toBe(0)
  }, 60_000)
})

describe('fieldflash doctor --database', () => {
  it("says what a station without the registry key can do, and refuses another site's key", async () => {
    const { dataDir } = await registryWithDevices()
    const url = await server.database()
    expect((await cli(dataDir, 'registry', 'copy', '--to', url)).code).toBe(0)

    const bare = await tempDir('fieldflash-station-')
    const noKey = await fieldflash({ FIELDFLASH_DATABASE_URL: url }, 'doctor', '--data-dir', bare)
    expect(noKey.code, noKey.out + noKey.err).toBe(0)
    expect(noKey.out).toMatch(/holds no registry key: it can do everything but render credentials/)

    // Another site's key: made by a copy elsewhere.
    const other = (await registryWithDevices()).dataDir
    expect((await cli(other, 'registry', 'copy', '--to', await server.database())).code).toBe(0)
    const wrong = await cli(other, 'doctor', '--database', url)
    expect(wrong.code).toBe(1)
    expect(wrong.out).toMatch(/registry key [0-9a-f]{16} is not the registry's/)
    expect(await readFile(join(other, 'registry-key'), 'utf8')).not.toBe(
      await readFile(join(dataDir, 'registry-key'), 'utf8'),
    )
  }, 60_000)

  it('fails closed, naming the server without its password, when it cannot be reached', async () => {
    const dataDir = await tempDir()
    const url = `postgres://station:s3cret-pw@127.0.0.1:${server.port + 1}/fieldflash`
    const down = await cli(dataDir, 'doctor', '--database', url)
    expect(down.code).toBe(1)
    expect(down.err).toContain('postgres://station:***@127.0.0.1')
    expect(down.err).toMatch(/Nothing was written/)
    expect(down.err).not.toContain('s3cret-pw')

    const copy = await cli(dataDir, 'registry', 'copy', '--to', url)
    expect(copy.code).toBe(1)
    expect(copy.err).not.toContain('s3cret-pw')
    // Nothing was made on this side either: no registry key for a copy that never started.
    expect(existsSync(join(dataDir, 'registry-key'))).toBe(false)
  })

  it('names the option and the rule for a URL that is not PostgreSQL', async () => {
    const dataDir = await tempDir()
    const bad = await cli(dataDir, 'registry', 'copy', '--to', 'mysql://host/db')
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--to.*postgres:\/\//)
    const env = await fieldflash({ FIELDFLASH_DATABASE_URL: 'not a url' }, 'doctor')
    expect(env.code).toBe(2)
    expect(env.err).toMatch(/FIELDFLASH_DATABASE_URL/)
  })

  it('runs every command on the PostgreSQL registry FIELDFLASH_DATABASE_URL names, never the local one', async () => {
    const dataDir = await tempDir()
    const url = await server.database()
    const add = await fieldflash(
      { FIELDFLASH_DATABASE_URL: url },
      'device',
      'add',
      '--board',
      'esp32-devkitc',
      '--uid',
      'pump-0001',
      '--data-dir',
      dataDir,
    )
    expect(add.code, add.err).toBe(0)
    const listed = await fieldflash(
      { FIELDFLASH_DATABASE_URL: url },
      'device',
      'list',
      '--json',
      '--data-dir',
      dataDir,
    )
    expect(JSON.parse(listed.out).map((d: { uid: string }) => d.uid)).toEqual(['pump-0001'])
    // The data directory's own registry saw nothing; --database names the same one.
    expect(JSON.parse((await cli(dataDir, 'device', 'list', '--json')).out)).toEqual([])
    const named = await cli(dataDir, 'device', 'show', 'pump-0001', '--database', url, '--json')
    expect(named.code, named.err).toBe(0)
    expect(await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM devices')).toEqual([
      { n: 1 },
    ])
  })
})

describe('a PostgreSQL registry over TLS', () => {
  let secure: Awaited<ReturnType<typeof startPostgres>>
  beforeAll(async () => {
    secure = await startPostgres({ tls: true })
  }, 60_000)
  afterAll(async () => {
    await secure?.stop()
  })

  it("is reached with sslmode=verify-full and the site's CA, and refused with another CA", async () => {
    const { dataDir } = await registryWithDevices()
    const plain = await secure.database()
    const url = `${plain.replace('127.0.0.1', 'localhost')}?sslmode=verify-full&sslrootcert=${secure.caFile}`
    const copy = await cli(dataDir, 'registry', 'copy', '--to', url)
    expect(copy.code, copy.err).toBe(0)
    const doctor = await cli(dataDir, 'doctor', '--database', url, '--json')
    expect(doctor.code, doctor.out + doctor.err).toBe(0)
    expect(JSON.parse(doctor.out)).toMatchObject({ ok: true, tls: true, counts: { devices: 5 } })
    expect((await cli(dataDir, 'doctor', '--database', url)).out).toMatch(/\(over TLS\)/)

    // A server whose certificate another CA signed (or a man in the middle): refused, closed.
    const stranger = await startPostgres({ tls: true })
    try {
      const wrongCa = `${plain.replace('127.0.0.1', 'localhost')}?sslmode=verify-full&sslrootcert=${stranger.caFile}`
      const refused = await cli(dataDir, 'doctor', '--database', wrongCa)
      expect(refused.code).toBe(1)
      expect(refused.err).toMatch(/Cannot use the registry database .*certificate/)
    } finally {
      await stranger.stop()
    }
  }, 90_000)
})
