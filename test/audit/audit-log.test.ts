import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { auditEntries, readAuditLog } from '../../main/audit/audit-log'
import { addDevice } from '../../main/devices/devices'
import { freshStore, loadCatalog } from '../helpers/fixtures'
import { openStore, rawStatement } from '../helpers/engine'

describe('the audit log', () => {
  it('keeps entries oldest first, each with its time, and filters one device', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' }, new Date(1000))
    await addDevice(store, catalog, { uid: 'pump-0002', boardId: 'esp32-devkitc' }, new Date(2000))
    expect((await readAuditLog(store)).map((e) => e.type)).toEqual([
      'site.saved',
      'device.created',
      'device.created',
    ])
    expect(await readAuditLog(store, { uid: 'pump-0002' })).toEqual([
      {
        at: new Date(2000).toISOString(),
        type: 'device.created',
        uid: 'pump-0002',
        boardId: 'esp32-devkitc',
        // The station that made the change: the data directory's, the host name by default.
        station: hostname(),
      },
    ])
  })

  it('never stores a provisioning token or the device’s MQTT password, whatever a caller passes', async () => {
    const { store } = await freshStore()
    const device = await addDevice(store, await loadCatalog(), {
      uid: 'pump-0001',
      boardId: 'esp32-devkitc',
    })
    const password = (await store.device(device.uid))!.mqtt.password
    const token = 'ffpt_' + 'a'.repeat(52) + 'bcdefgh'
    await store.write(
      async (tx) =>
        await tx.audit([
          {
            type: 'operation.rejected',
            uid: 'pump-0001',
            reason: `pasted ${token} and ${password}`,
          },
        ]),
    )
    const text = JSON.stringify(await readAuditLog(store))
    expect(text).not.toContain(token)
    expect(text).not.toContain(password)
    expect(text).toContain('[redacted]')
  })

  it('is append-only: the database refuses to change or delete an entry', async () => {
    const { store, dataDir } = await freshStore()
    await store.close()
    expect(await rawStatement(dataDir, "UPDATE audit SET type = 'x'")).toMatch(/append-only/)
    expect(await rawStatement(dataDir, 'DELETE FROM audit')).toMatch(/append-only/)
    expect(await readAuditLog(await openStore(dataDir))).toHaveLength(1)
  })

  it('commits with the change it records, or not at all', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await expect(
      store.write(async (tx) => {
        await tx.audit([{ type: 'device.created', uid: 'ghost-0001', boardId: 'esp32-devkitc' }])
        throw new Error('the change failed after its event was written')
      }),
    ).rejects.toThrow(/change failed/)
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await expect(
      addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' }),
    ).rejects.toThrow(/already exists/)
    expect((await readAuditLog(store)).map((e) => ('uid' in e ? e.uid : null))).toEqual([
      null,
      'pump-0001',
    ])
  })

  it('reads page by page in order', async () => {
    const { store } = await freshStore()
    await store.write(
      async (tx) =>
        await tx.audit(
          Array.from({ length: 25 }, (_, i) => ({ type: 'site.saved', changed: [`f${i}`] })),
        ),
    )
    const pages = []
    for await (const entry of auditEntries(store, {}, 7)) pages.push(entry)
    expect(pages).toHaveLength(26)
    expect(pages.at(-1)).toMatchObject({ changed: ['f24'] })
  })
})
