import { describe, expect, it } from 'vitest'
import { regenerateToken } from '../../main/credentials/tokens'
import { addDevice } from '../../main/devices/devices'
import type { StoreWriter } from '../../main/store/store'
import { freshStore, loadCatalog } from '../helpers/fixtures'
import { until } from '../helpers/wait'
import { holdWriteLock } from '../helpers/write-lock'

// While another process holds the registry's write lock (a CLI command mid-write), the writes
// that run beside serial streams wait in timers: this process's event loop keeps turning, and the
// write lands once the lock is free.

describe('FieldFlashStore.write', () => {
  it('waits for another process’s write lock without holding up the event loop, then commits', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    const holder = holdWriteLock(store.path)
    await until(holder.locked)

    let committed = false
    const write = store
      .write(async (tx) => {
        await tx.setMeta('station.test', 'written')
        return 'done'
      })
      .then((value) => {
        committed = true
        return value
      })
    // The event loop turns many times while the lock is held elsewhere: timers fire, and a sync
    // write would have blocked them all.
    let turns = 0
    await until(() => ++turns > 20)
    expect(committed).toBe(false)

    await holder.release()
    expect(await write).toBe('done')
    expect(await store.read(async (tx) => tx.getMeta('station.test'))).toBe('written')
    // The registry is usable as before.
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(await store.device('pump-0001')).not.toBeNull()
  }, 60_000)

  it('lets this process read while its own write waits for another process’s lock', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const holder = holdWriteLock(store.path)
    await until(holder.locked)
    const waiting = regenerateToken(store, 'pump-0001')
    // The app's device list, say, while the station's write waits: answered at once.
    expect((await store.device('pump-0001'))!.tokens).toHaveLength(0)
    await holder.release()
    expect((await waiting).view.state).toBe('issued')
  }, 60_000)
})

describe('transactions of one process', () => {
  it('take turns: concurrent changes to one device all land, one after another', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const minted = await Promise.all(
      Array.from({ length: 20 }, () => regenerateToken(store, 'pump-0001')),
    )
    const device = (await store.device('pump-0001'))!
    // Each regeneration saw the one before it: twenty tokens, the last issued, the rest superseded.
    expect(device.tokens).toHaveLength(20)
    expect(device.tokens.filter((t) => t.state === 'issued')).toHaveLength(1)
    expect(new Set(minted.map((m) => m.view.fingerprint)).size).toBe(20)
  })

  it('roll back on a throw and refuse a transaction object kept past its end', async () => {
    const { store } = await freshStore()
    let kept: StoreWriter | null = null
    await expect(
      store.write(async (tx) => {
        kept = tx
        await tx.setMeta('half', 'written')
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await store.read((tx) => tx.getMeta('half'))).toBeNull()
    await expect(kept!.setMeta('late', 'write')).rejects.toThrow(/outside its transaction/)
  })
})
