import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'libsql'
import { describe, expect, it } from 'vitest'
import { readAuditLog } from '../../main/audit/audit-log'
import { addDevice, getDevice } from '../../main/devices/devices'
import { regenerateToken } from '../../main/credentials/tokens'
import { saveSiteProfile } from '../../main/site/site-profile'
import { MIGRATIONS } from '../../main/store/schema'
import { FieldFlashStore, SqliteStore } from '../../main/store/store'
import { freshStore, loadCatalog, SAMPLE_SITE, tempDir } from '../helpers/fixtures'

async function openError(dataDir: string): Promise<{ code?: string; message?: string }> {
  try {
    await (await FieldFlashStore.open(dataDir)).close()
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected the store to refuse to open')
}

describe('FieldFlashStore', () => {
  it('persists across reopening, in an owner-only database inside an owner-only folder', async () => {
    const { store, dataDir } = await freshStore()
    expect(store.path).toBe(join(dataDir, 'fieldflash.db'))
    expect((await stat(store.path)).mode & 0o777).toBe(0o600)
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    await store.close()
    expect((await (await FieldFlashStore.open(dataDir)).site())?.apiHost).toBe(SAMPLE_SITE.apiHost)
  })

  it('sees what another connection committed, without reopening', async () => {
    const { store, dataDir } = await freshStore()
    const other = await FieldFlashStore.open(dataDir)
    const version = store.dataVersion()
    await addDevice(other, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(store.dataVersion()).not.toBe(version)
    expect((await getDevice(store, 'pump-0001')).uid).toBe('pump-0001')
  })

  it('refuses a file that is not a database, naming it, and leaves it as it is', async () => {
    const dataDir = await tempDir()
    await writeFile(
      join(dataDir, 'fieldflash.db'),
      'not a database at all, just text '.repeat(40),
      {
        mode: 0o600,
      },
    )
    const error = await openError(dataDir)
    expect(error).toMatchObject({ code: 'store_corrupt' })
    expect(error.message).toContain(join(dataDir, 'fieldflash.db'))
    expect(await readFile(join(dataDir, 'fieldflash.db'), 'utf8')).toMatch(/^not a database/)
  })

  it("refuses another program's SQLite database", async () => {
    const dataDir = await tempDir()
    const db = new Database(join(dataDir, 'fieldflash.db'))
    db.exec('CREATE TABLE notes (body TEXT)')
    db.close()
    expect(await openError(dataDir)).toMatchObject({
      code: 'store_corrupt',
      message: expect.stringMatching(/another program/),
    })
  })

  it('refuses a database written by a newer FieldFlash', async () => {
    const { store, dataDir } = await freshStore()
    await store.close()
    const db = new Database(join(dataDir, 'fieldflash.db'))
    db.exec('PRAGMA user_version = 99')
    db.close()
    expect(await openError(dataDir)).toMatchObject({
      code: 'store_corrupt',
      message: expect.stringMatching(/newer FieldFlash/),
    })
  })

  it('upgrades a registry of the first schema in place, keeping every record', async () => {
    const dataDir = await tempDir()
    const db = new Database(join(dataDir, 'fieldflash.db'))
    db.exec(MIGRATIONS[0]!)
    db.exec(`PRAGMA application_id = 0x46464c53`) // "FFLS": FieldFlash's
    db.exec('PRAGMA user_version = 1')
    db.exec(`INSERT INTO site (id, platform_key, api_host, mqtt_host, mqtt_port, ota_base_url,
      token_lifetime_hours) VALUES (1, 'pk_1', 'api.example.com', 'mqtt.example.com', 8883,
      'https://ota.example.com/fw', 168)`)
    db.exec(`INSERT INTO devices (uid, board_id, created_at, mqtt_username, mqtt_password,
      mqtt_password_set_at) VALUES ('pump-0001', 'esp32-devkitc', '2026-01-01T00:00:00.000Z',
      'dev-pump-0001', 'secret', '2026-01-01T00:00:00.000Z')`)
    db.exec(`INSERT INTO tokens (device_uid, hash, fingerprint, expected_code, state, issued_at,
      expires_at, origin) VALUES ('pump-0001', '${'ab'.repeat(32)}', 'abababab', 'AAAA-BBBB',
      'issued', '2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', 'template')`)
    db.close()

    const store = await FieldFlashStore.open(dataDir)
    expect(await store.site()).toMatchObject({ platformKey: 'pk_1', registrationLifetimeDays: 365 })
    const device = (await store.device('pump-0001'))!
    // A token an earlier FieldFlash minted has no registration key: its board cannot be registered.
    expect(device.tokens).toMatchObject([{ fingerprint: 'abababab', registrationKey: null }])
    expect(device.registrations).toEqual([])
    expect(store.integrityCheck()).toEqual([])
    await store.close()
  })

  it('refuses a symbolic link in place of the database and never writes through it', async () => {
    const dataDir = await tempDir()
    const target = join(await tempDir(), 'elsewhere')
    await writeFile(target, 'precious', { mode: 0o644 })
    await symlink(target, join(dataDir, 'fieldflash.db'))
    expect(await openError(dataDir)).toMatchObject({
      code: 'store_unsafe',
      message: expect.stringMatching(/symbolic link/),
    })
    expect(await readFile(target, 'utf8')).toBe('precious')
    expect((await stat(target)).mode & 0o777).toBe(0o644)
    expect((await lstat(join(dataDir, 'fieldflash.db'))).isSymbolicLink()).toBe(true)
  })

  it('tightens a data directory open to others, and says so', async () => {
    const dataDir = join(await tempDir(), 'data')
    await mkdir(dataDir, { mode: 0o777 })
    await chmod(dataDir, 0o777)
    const store = await FieldFlashStore.open(dataDir)
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    expect(store.notices.join('\n')).toMatch(/was accessible to other users \(mode 0777\).*0700/)
  })

  it('reports a row that breaks a rule as damage, naming the record', async () => {
    const { store, dataDir } = await freshStore()
    await addDevice(store, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await regenerateToken(store, 'pump-0001')
    await store.close()
    const db = new Database(join(dataDir, 'fieldflash.db'))
    db.exec("PRAGMA ignore_check_constraints = 1; UPDATE tokens SET state = 'lost'")
    db.close()
    const reopened = await FieldFlashStore.open(dataDir)
    await expect(getDevice(reopened, 'pump-0001')).rejects.toThrow(
      expect.objectContaining({
        code: 'store_corrupt',
        message: expect.stringMatching(
          /damaged record \(a token of device pump-0001: unknown state\)/,
        ),
      }),
    )
  })

  it('checks the JSON documents in columns too, naming the field at fault', async () => {
    const { store, dataDir } = await freshStore()
    await addDevice(store, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await store.close()
    const db = new Database(join(dataDir, 'fieldflash.db'))
    db.prepare(
      `INSERT INTO flashes (device_uid, at, port, chip, mac, flash_size, firmware_name,
         firmware_sha256, parts) VALUES ('pump-0001', '2026-01-01T00:00:00.000Z', 'p', 'ESP32',
         '24:0a:c4:00:00:01', '4MB', 'fw', ?, '[{"offset":4096,"size":"big","md5":"x"}]')`,
    ).run('0'.repeat(64))
    db.close()
    const reopened = await FieldFlashStore.open(dataDir)
    await expect(getDevice(reopened, 'pump-0001')).rejects.toThrow(
      expect.objectContaining({
        code: 'store_corrupt',
        message: expect.stringMatching(/a flash of device pump-0001: parts\.0\.size invalid input/),
      }),
    )
  })

  it('passes its integrity check when sound', async () => {
    const { dataDir } = await freshStore()
    const store = await SqliteStore.open(dataDir)
    expect(store.integrityCheck()).toEqual([])
    await store.close()
  })
})

describe('importing the data file of an earlier FieldFlash', () => {
  const legacy = {
    schemaVersion: 1,
    site: { ...SAMPLE_SITE, tokenLifetimeHours: 168 },
    devices: {
      'pump-0001': {
        uid: 'pump-0001',
        boardId: 'esp32-devkitc',
        createdAt: '2025-03-01T08:00:00.000Z',
        mqtt: {
          username: 'dev-pump-0001',
          password: 'pw-1',
          passwordSetAt: '2025-03-01T08:00:00.000Z',
        },
        tokens: [
          {
            fingerprint: 'aaaaaaaa',
            hash: 'aaaaaaaa' + '0'.repeat(56),
            expectedCode: 'AAAA-AAAA',
            state: 'superseded',
            issuedAt: '2025-03-01T08:00:00.000Z',
            expiresAt: '2025-03-08T08:00:00.000Z',
            endedAt: '2025-03-01T09:00:00.000Z',
            origin: 'template',
          },
          {
            fingerprint: 'bbbbbbbb',
            hash: 'bbbbbbbb' + '0'.repeat(56),
            expectedCode: 'BBBB-BBBB',
            state: 'issued',
            issuedAt: '2025-03-01T09:00:00.000Z',
            expiresAt: '2125-03-08T09:00:00.000Z',
            endedAt: null,
            origin: 'regenerate',
          },
        ],
        flashes: [],
        operations: [
          {
            id: 'op-1',
            fingerprint: 'bbbbbbbb',
            code: 'BBBB-BBBB',
            mac: '24:0a:c4:12:34:56',
            port: '/dev/ttyUSB0',
            firstSeenAt: '2025-03-01T10:00:00.000Z',
            classification: 'verified',
            state: 'pending',
            decidedAt: null,
            approver: null,
          },
        ],
        approvedAt: null,
      },
    },
  }

  it('imports every record and the old audit log once, then keeps the old files as backups', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'fieldflash.json'), JSON.stringify(legacy), { mode: 0o600 })
    await writeFile(
      join(dataDir, 'audit.jsonl'),
      '{"at":"2025-03-01T08:00:00.000Z","type":"device.created","uid":"pump-0001","boardId":"esp32-devkitc"}\n{"at":"2025-03-01T08',
      { mode: 0o600 },
    )
    const store = await FieldFlashStore.open(dataDir)
    expect(store.notices.join('\n')).toMatch(/Imported 1 device\(s\), 2 token\(s\), 1 operation/)
    const device = (await store.device('pump-0001'))!
    expect(device.tokens.map((t) => t.state)).toEqual(['superseded', 'issued'])
    expect(device.operations[0]).toMatchObject({ id: 'op-1', state: 'pending' })
    expect(device.mqtt.password).toBe('pw-1')
    expect(await store.site()).toMatchObject({ apiHost: SAMPLE_SITE.apiHost })
    expect((await readAuditLog(store)).map((e) => e.type)).toEqual([
      'device.created',
      'store.imported',
    ])
    const files = await readdir(dataDir)
    expect(files).not.toContain('fieldflash.json')
    expect(files.some((f) => f.startsWith('fieldflash.json.imported-'))).toBe(true)
    expect(files.some((f) => f.startsWith('audit.jsonl.imported-'))).toBe(true)
    await store.close()
    expect((await FieldFlashStore.open(dataDir)).notices).toEqual([])
  })

  it('refuses a data file with a record of the wrong shape, naming it, and imports nothing', async () => {
    const dataDir = await tempDir()
    const broken = structuredClone(legacy) as { devices: Record<string, { tokens: unknown[] }> }
    broken.devices['pump-0001']!.tokens[1] = {}
    await writeFile(join(dataDir, 'fieldflash.json'), JSON.stringify(broken))
    const error = await openError(dataDir)
    expect(error).toMatchObject({ code: 'store_corrupt' })
    expect(error.message).toMatch(/cannot be imported: devices\.pump-0001\.tokens\.1\.fingerprint/)
    expect(error.message).not.toContain('pw-1')
    expect(await readdir(dataDir)).toContain('fieldflash.json')
  })

  it('refuses a data file that is not JSON and leaves it in place', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'fieldflash.json'), '{"schemaVersion": 1, "devices": {')
    expect((await openError(dataDir)).message).toMatch(/not valid JSON/)
    expect(await readFile(join(dataDir, 'fieldflash.json'), 'utf8')).toBe(
      '{"schemaVersion": 1, "devices": {',
    )
  })

  it('keeps a site profile saved after the import', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'fieldflash.json'), JSON.stringify(legacy))
    const store = await FieldFlashStore.open(dataDir)
    await saveSiteProfile(store, { mqttPort: 1883 })
    expect((await store.site())?.mqttPort).toBe(1883)
  })
})
