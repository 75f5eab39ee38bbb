import { describe, expect, it } from 'vitest'
import { addDevice, getDevice, listDevices, rotateMqttPassword } from '../../main/devices/devices'
import { generateDeviceUid, isValidDeviceUid } from '../../main/shared/device-uid'
import { mqttUsernameFor } from '../../main/devices/mqtt-credentials'
import { regenerateToken, revokeToken } from '../../main/credentials/tokens'
import { freshStore, loadCatalog } from '../helpers/fixtures'

describe('addDevice', () => {
  it('generates a valid, unique UID and per-device MQTT credentials when none is given', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    const a = await addDevice(store, catalog, { boardId: 'esp32-devkitc' })
    const b = await addDevice(store, catalog, { boardId: 'esp32-devkitc' })
    expect(isValidDeviceUid(a.uid)).toBe(true)
    expect(a.uid).not.toBe(b.uid)
    expect(a.mqttUsername).toBe(mqttUsernameFor(a.uid))
    const passwords = await Promise.all(
      [a.uid, b.uid].map(async (uid) => (await store.device(uid))!.mqtt.password),
    )
    expect(passwords[0]).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(new Set(passwords).size).toBe(2)
    expect(JSON.stringify(a)).not.toContain(passwords[0])
  })

  it('keeps a typed UID and refuses a second device with it', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'Pump_07.north-wing', boardId: 'esp32-c3-devkitm-1' })
    await expect(
      addDevice(store, catalog, { uid: 'Pump_07.north-wing', boardId: 'esp32-devkitc' }),
    ).rejects.toThrow(/uid: a device with UID Pump_07.north-wing already exists/)
    expect((await listDevices(store)).devices).toHaveLength(1)
  })

  it.each(['abc', 'x'.repeat(91), 'has space', 'semi;colon', 'ümlaut', '../etc'])(
    'rejects the UID %j with the Device ID rule',
    async (uid) => {
      const { store } = await freshStore()
      const catalog = await loadCatalog()
      await expect(addDevice(store, catalog, { uid, boardId: 'esp32-devkitc' })).rejects.toThrow(
        'uid: must be 4–90 characters of 0-9 a-z A-Z - _ .',
      )
    },
  )

  it('accepts UIDs of exactly 4 and 90 characters', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'a-_.', boardId: 'esp32-devkitc' })
    await addDevice(store, catalog, { uid: 'Z'.repeat(90), boardId: 'esp32-devkitc' })
    expect((await listDevices(store)).devices.map((d) => d.uid)).toEqual(['a-_.', 'Z'.repeat(90)])
  })

  it('refuses a board that is not in the catalog, listing the ones that are', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await expect(addDevice(store, catalog, { boardId: 'arduino-uno' })).rejects.toThrow(
      /board: must be one of the catalog's boards \(.*esp32-devkitc/,
    )
  })
})

describe('generateDeviceUid', () => {
  it('makes readable ff- UIDs that satisfy the Device ID rule', async () => {
    for (let i = 0; i < 100; i++) expect(generateDeviceUid()).toMatch(/^ff-[0-9a-hjkmnp-tv-z]{12}$/)
  })
})

describe('rotateMqttPassword', () => {
  it('replaces the password, keeps the username and never returns the secret', async () => {
    const { store } = await freshStore()
    const device = await addDevice(store, await loadCatalog(), {
      uid: 'pump-0001',
      boardId: 'esp32-devkitc',
    })
    const before = (await store.device('pump-0001'))!.mqtt.password
    const view = await rotateMqttPassword(store, 'pump-0001', new Date(Date.now() + 1000))
    const after = (await store.device('pump-0001'))!.mqtt.password
    expect(after).not.toBe(before)
    expect(view.mqttUsername).toBe(device.mqttUsername)
    expect(view.mqttPasswordSetAt > device.mqttPasswordSetAt).toBe(true)
    expect(JSON.stringify(view)).not.toContain(after)
  })

  it('says which UID is unknown', async () => {
    const { store } = await freshStore()
    await expect(getDevice(store, 'nope-1')).rejects.toThrow(/uid: no device with UID nope-1/)
  })
})

describe('listDevices', () => {
  it('pages through the registry with a cursor, newest first on request, filtered in the query', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    for (let i = 0; i < 25; i++) {
      await addDevice(store, catalog, {
        uid: `unit-${String(i).padStart(4, '0')}`,
        boardId: i % 5 === 0 ? 'esp32-c3-devkitm-1' : 'esp32-devkitc',
      })
    }
    const first = await listDevices(store, { limit: 10 })
    expect(first.devices.map((d) => d.uid)[0]).toBe('unit-0000')
    expect(first.total).toBe(25)
    const second = await listDevices(store, { limit: 10, after: first.next! })
    const third = await listDevices(store, { limit: 10, after: second.next! })
    expect(third.next).toBeNull()
    expect([...first.devices, ...second.devices, ...third.devices]).toHaveLength(25)
    expect((await listDevices(store, { newestFirst: true, limit: 1 })).devices[0]!.uid).toBe(
      'unit-0024',
    )
    expect(
      (await listDevices(store, { search: 'UNIT-001' })).devices.map((d) => d.uid),
    ).toHaveLength(10)
    expect((await listDevices(store, { search: '%' })).devices).toHaveLength(0)
    expect((await listDevices(store, { boardId: 'esp32-c3-devkitm-1' })).devices).toHaveLength(5)
  })

  it("shows each device's status: new, then revoked when its token is", async () => {
    const { store } = await freshStore()
    await addDevice(store, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect((await listDevices(store)).devices[0]!.status).toBe('new')
    await regenerateToken(store, 'pump-0001')
    await revokeToken(store, 'pump-0001')
    expect((await listDevices(store)).devices[0]!.status).toBe('revoked')
    expect((await getDevice(store, 'pump-0001')).status).toBe('revoked')
  })
})
