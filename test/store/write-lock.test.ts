import { describe, expect, it } from 'vitest'
import { addDevice } from '../../main/devices/devices'
import { freshStore, loadCatalog } from '../helpers/fixtures'
import { until } from '../helpers/wait'
import { holdWriteLock } from '../helpers/write-lock'

// While another process holds the registry's write lock (a CLI command mid-write), the writes
// that run beside serial streams wait in timers: this process's event loop keeps turning, and the
// write lands once the lock is free.

describe('FieldFlashStore.writeAsync', () => {
  it('waits for another process’s write lock without holding up the event loop, then commits', async () => {
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    const holder = holdWriteLock(store.path)
    await until(holder.locked)

    let committed = false
    const write = store
      .writeAsync((tx) => {
        tx.setMeta('station.test', 'written')
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
    expect(store.read((tx) => tx.getMeta('station.test'))).toBe('written')
    // The registry is usable as before, synchronously too.
    addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(store.device('pump-0001')).not.toBeNull()
  }, 60_000)
})
