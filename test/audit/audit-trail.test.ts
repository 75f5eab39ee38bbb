import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readAuditLog } from '../../main/audit/audit-log'
import { addDevice, rotateMqttPassword } from '../../main/devices/devices'
import { regenerateToken, revokeToken } from '../../main/credentials/tokens'
import { saveSiteProfile } from '../../main/site/site-profile'
import { downloadTemplate } from '../../main/template/download-template'
import { freshStore, loadCatalog, SAMPLE_SITE } from '../helpers/fixtures'

const T0 = new Date('2025-03-01T08:00:00.000Z')
const hoursLater = (h: number) => new Date(T0.getTime() + h * 3_600_000)

describe('the audit trail of state changes', () => {
  it('records site, device, MQTT and token changes in order, without secrets', async () => {
    const { store, dataDir } = await freshStore(false)
    const catalog = await loadCatalog()
    await saveSiteProfile(store, { ...SAMPLE_SITE, tokenLifetimeHours: 24 })
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' }, T0)
    await rotateMqttPassword(store, 'pump-0001', hoursLater(1))
    const zip = await downloadTemplate(store, catalog, {
      uid: 'pump-0001',
      outDir: join(dataDir, 'zips'),
      now: hoursLater(2),
    })
    const regenerated = await regenerateToken(store, 'pump-0001', hoursLater(3))
    await revokeToken(store, 'pump-0001', hoursLater(4))
    const expiring = await regenerateToken(store, 'pump-0001', hoursLater(5))
    const later = await regenerateToken(store, 'pump-0001', hoursLater(40)) // the previous one expired

    const entries = await readAuditLog(store)
    expect(entries.map((e) => e.type)).toEqual([
      'site.saved',
      'device.created',
      'mqtt.password_rotated',
      'token.minted',
      'token.superseded',
      'token.minted',
      'file.removed',
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
      station: store.station,
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
    expect(entries[5]).toMatchObject({
      fingerprint: regenerated.view.fingerprint,
      origin: 'regenerate',
    })
    expect(entries[6]).toMatchObject({ type: 'file.removed', path: zip.zipPath })
    expect(entries[7]).toMatchObject({ fingerprint: regenerated.view.fingerprint })
    expect(entries[9]).toMatchObject({
      fingerprint: expiring.view.fingerprint,
      expiredAt: expiring.view.expiresAt,
    })
    expect(entries[10]).toMatchObject({ fingerprint: later.view.fingerprint, origin: 'regenerate' })

    const text = JSON.stringify(entries)
    for (const secret of [
      regenerated.token,
      expiring.token,
      later.token,
      (await store.device('pump-0001'))!.mqtt.password,
      SAMPLE_SITE.platformKey,
    ]) {
      expect(text).not.toContain(secret)
    }
  })
})
