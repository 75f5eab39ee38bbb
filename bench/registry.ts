import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { addDevice, allDevices, getDevice, listDevices } from '../main/devices/devices'
import { importDevices } from '../main/devices/import-devices'
import { regenerateToken } from '../main/credentials/tokens'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

const rows = (prefix: string, count: number, boardId = 'esp32-devkitc') =>
  Array.from({ length: count }, (_, i) => ({ line: i + 1, uid: `${prefix}-${i}`, boardId }))

/** The registry (SQLite, WAL, durable commits) at `deviceCount` devices. */
export async function benchRegistry(deviceCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    const seed = await FieldFlashStore.open(dir)
    await saveSiteProfile(seed, BENCH_SITE)
    const [seedMs] = await timed(() => importDevices(seed, rows('dev', deviceCount)))
    await seed.close()
    console.log(
      `registry: seeded ${deviceCount} devices in one import`.padEnd(52),
      `${seedMs.toFixed(0)} ms`,
    )

    const [openMs, store] = await timed(() => FieldFlashStore.open(dir))
    console.log(`registry open (${deviceCount} devices)`.padEnd(52), `${openMs.toFixed(2)} ms`)
    const adds: number[] = []
    for (let i = 0; i < 300; i++)
      adds.push((await timed(() => addDevice(store, catalog, { boardId: 'esp32-devkitc' })))[0])
    summary(`registry add (${deviceCount} devices)`, adds)
    const gets: number[] = []
    for (let i = 0; i < 1000; i++) {
      const uid = `dev-${(i * 7919) % deviceCount}`
      gets.push((await timed(() => getDevice(store, uid)))[0])
    }
    summary(`registry get (${deviceCount} devices)`, gets)
    const regenerates: number[] = []
    for (let i = 0; i < 300; i++) {
      const uid = `dev-${(i * 104729) % deviceCount}`
      regenerates.push((await timed(() => regenerateToken(store, uid)))[0])
    }
    summary(`registry token regenerate (${deviceCount} devices)`, regenerates)
    const firstPages: number[] = []
    for (let i = 0; i < 100; i++)
      firstPages.push((await timed(() => listDevices(store, { limit: 100 })))[0])
    summary(`registry list, first page of 100 (${deviceCount})`, firstPages)
    const newest: number[] = []
    for (let i = 0; i < 100; i++)
      newest.push((await timed(() => listDevices(store, { limit: 100, newestFirst: true })))[0])
    summary(`registry list, newest 100 (${deviceCount})`, newest)
    const all: number[] = []
    for (let i = 0; i < 3; i++) {
      all.push(
        (
          await timed(async () => {
            let n = 0
            for await (const _ of allDevices(store)) n++
            return n
          })
        )[0],
      )
    }
    summary(`registry list, all streamed (${deviceCount})`, all)
    const imports: number[] = []
    for (let i = 0; i < 3; i++)
      imports.push((await timed(() => importDevices(store, rows(`bulk${i}`, 10_000))))[0])
    summary(`registry bulk import of 10,000 UIDs (${deviceCount})`, imports)
    await store.close()
    await benchLegacyJson(dir, deviceCount)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * For comparison, the design the registry replaced: the whole document in one JSON file, rewritten
 * atomically (temp file, fsync, rename) on every change, as conf did for FieldFlash before.
 */
async function benchLegacyJson(dir: string, deviceCount: number): Promise<void> {
  const device = (uid: string) => ({
    uid,
    boardId: 'esp32-devkitc',
    createdAt: new Date().toISOString(),
    mqtt: {
      username: `dev-${uid}`,
      password: randomBytes(24).toString('base64url'),
      passwordSetAt: new Date().toISOString(),
    },
    tokens: [],
    flashes: [],
    operations: [],
    approvedAt: null,
  })
  const doc = { schemaVersion: 1, site: BENCH_SITE, devices: {} as Record<string, unknown> }
  for (let i = 0; i < deviceCount; i++) doc.devices[`dev-${i}`] = device(`dev-${i}`)
  const file = join(dir, 'legacy.json')
  const save = async (): Promise<void> => {
    const temp = `${file}.tmp`
    const handle = await open(temp, 'w', 0o600)
    await handle.writeFile(JSON.stringify(doc, null, 1))
    await handle.sync()
    await handle.close()
    await rename(temp, file)
  }
  await save()
  const adds: number[] = []
  for (let i = 0; i < (deviceCount > 50_000 ? 10 : 30); i++) {
    adds.push(
      (
        await timed(async () => {
          doc.devices[`new-${i}`] = device(`new-${i}`)
          await save()
        })
      )[0],
    )
  }
  summary(`old JSON store add, for comparison (${deviceCount})`, adds)
  const [openMs] = await timed(async () => {
    const { readFile } = await import('node:fs/promises')
    return JSON.parse(await readFile(file, 'utf8'))
  })
  console.log(
    `old JSON store open, for comparison (${deviceCount})`.padEnd(52),
    `${openMs.toFixed(2)} ms`,
  )
}
