import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { auditLogPath, readAuditLog } from '../../main/audit/audit-log'
import { addDevice, rotateMqttPassword } from '../../main/devices/devices'
import { regenerateToken, revokeToken } from '../../main/provisioning/tokens'
import { saveSiteProfile } from '../../main/site/site-profile'
import { FieldFlashStore, type StoreBackendFactory } from '../../main/store/store'
import { downloadTemplate } from '../../main/template/download-template'
import { freshStore, loadCatalog, SAMPLE_SITE, tempDir } from '../helpers/fixtures'

const T0 = new Date('2025-03-01T08:00:00.000Z')
const hoursLater = (h: number) => new Date(T0.getTime() + h * 3_600_000)

describe('the audit trail of state changes', () => {
  it('records site, device, MQTT and token changes in order, without secrets', async () => {
    const { store, dataDir } = await freshStore(false)
    const catalog = await loadCatalog()
    saveSiteProfile(store, { ...SAMPLE_SITE, tokenLifetimeHours: 24 })
    addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' }, T0)
    rotateMqttPassword(store, 'pump-0001', hoursLater(1))
    const zip = await downloadTemplate(store, catalog, {
      uid: 'pump-0001',
      outDir: join(dataDir, 'zips'),
      now: hoursLater(2),
    })
    const regenerated = regenerateToken(store, 'pump-0001', hoursLater(3))
    revokeToken(store, 'pump-0001', hoursLater(4))
    const expiring = regenerateToken(store, 'pump-0001', hoursLater(5))
    const later = regenerateToken(store, 'pump-0001', hoursLater(40)) // the previous one expired

    const { entries, skippedLines } = await readAuditLog(dataDir)
    expect(skippedLines).toEqual([])
    expect(entries.map((e) => e.type)).toEqual([
      'site.saved',
      'device.created',
      'mqtt.password_rotated',
      'token.minted',
      'token.superseded',
      'token.minted',
      'token.revoked',
      'token.minted',
      'token.expired',
      'token.minted',
    ])
    expect(entries[0]).toMatchObject({
      changed: expect.arrayContaining(['platformKey', 'apiHost']),
    })
    expect(entries[1]).toEqual({
      at: T0.toISOString(),
      type: 'device.created',
      uid: 'pump-0001',
      boardId: 'esp32-devkitc',
    })
    expect(entries[3]).toMatchObject({
      fingerprint: zip.token.fingerprint,
      origin: 'template',
      at: hoursLater(2).toISOString(),
    })
    expect(entries[4]).toMatchObject({
      fingerprint: zip.token.fingerprint,
      supersededBy: regenerated.view.fingerprint,
    })
    expect(entries[6]).toMatchObject({ fingerprint: regenerated.view.fingerprint })
    expect(entries[8]).toMatchObject({
      fingerprint: expiring.view.fingerprint,
      expiredAt: expiring.view.expiresAt,
    })
    expect(entries[9]).toMatchObject({ fingerprint: later.view.fingerprint, origin: 'regenerate' })

    const text = await readFile(auditLogPath(dataDir), 'utf8')
    for (const secret of [
      regenerated.token,
      expiring.token,
      later.token,
      store.read().devices['pump-0001']!.mqtt.password,
      SAMPLE_SITE.platformKey,
    ]) {
      expect(text).not.toContain(secret)
    }
  })

  it('appends nothing when the data file cannot be written', async () => {
    const dataDir = await tempDir()
    let failWrites = false
    const flaky: StoreBackendFactory = (options) => {
      let content: Record<string, unknown> = {}
      return {
        path: join(options.cwd, `${options.configName}.json`),
        get store() {
          return content
        },
        set store(value) {
          if (failWrites) throw Object.assign(new Error('no space'), { code: 'ENOSPC' })
          content = value
        },
      }
    }
    const store = FieldFlashStore.open(dataDir, flaky)
    saveSiteProfile(store, SAMPLE_SITE)
    failWrites = true
    expect(() =>
      addDevice(store, { get: () => ({ id: 'esp32-devkitc' }) } as never, {
        uid: 'pump-0001',
        boardId: 'x',
      }),
    ).toThrow(/Nothing was changed/)
    expect((await readAuditLog(dataDir)).entries.map((e) => e.type)).toEqual(['site.saved'])
  })

  it('keeps a saved change when only the audit append fails, and reports that failure', async () => {
    const dataDir = await tempDir()
    const failures: unknown[] = []
    const store = FieldFlashStore.open(dataDir, undefined, {
      onAuditError: (e) => failures.push(e),
    })
    // A directory where the log should be makes every append fail.
    await import('node:fs/promises').then((fs) => fs.mkdir(auditLogPath(dataDir)))
    saveSiteProfile(store, SAMPLE_SITE)
    expect(FieldFlashStore.open(dataDir).read().site?.apiHost).toBe(SAMPLE_SITE.apiHost)
    expect(failures).toHaveLength(1)
  })
})
