import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { addDevice, getDevice, listDevices } from '../main/devices/devices'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import type { DeviceRecord, StoreDocument } from '../main/store/store-document'
import { downloadTemplate } from '../main/template/download-template'

// `npm run bench`: prints figures; nothing here asserts a time (targets live in the closing notes).

const RESOURCES = resolve(import.meta.dirname, '..', 'resources')
const SITE = {
  platformKey: 'pk_bench',
  apiHost: 'api.example.com',
  mqttHost: 'mqtt.example.com',
  mqttPort: 8883,
  otaBaseUrl: 'https://ota.example.com/',
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function summary(label: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b)
  const fmt = (ms: number): string => `${ms.toFixed(2)} ms`
  console.log(
    `${label.padEnd(40)} n=${String(samples.length).padEnd(6)} median ${fmt(quantile(sorted, 0.5)).padEnd(10)} p95 ${fmt(quantile(sorted, 0.95)).padEnd(10)} max ${fmt(sorted.at(-1)!)}`,
  )
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const start = performance.now()
  const value = await fn()
  return [performance.now() - start, value]
}

async function benchTemplates(count: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const store = FieldFlashStore.open(join(dir, 'data'))
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    saveSiteProfile(store, SITE)
    const boards = catalog.list()
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const { uid } = addDevice(store, catalog, { boardId: boards[i % boards.length]!.id })
      const [ms] = await timed(() =>
        downloadTemplate(store, catalog, { uid, outDir: join(dir, 'zips') }),
      )
      samples.push(ms)
    }
    summary(`template ZIP per device (${count} in a row)`, samples)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function benchStore(deviceCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    const seed = FieldFlashStore.open(dir)
    saveSiteProfile(seed, SITE)
    // Seed the store in one write: a device as addDevice would create it, plus two tokens of history.
    const template = addDevice(seed, catalog, { uid: 'seed-0000', boardId: 'esp32-devkitc' })
    const record = seed.read().devices[template.uid]!
    seed.update((doc: StoreDocument) => {
      const devices: Record<string, DeviceRecord> = {}
      for (let i = 0; i < deviceCount; i++) {
        const uid = `dev-${String(i).padStart(6, '0')}`
        devices[uid] = { ...record, uid, mqtt: { ...record.mqtt, username: `dev-${uid}` } }
      }
      return { next: { ...doc, devices }, result: undefined }
    })
    const [openMs, store] = await timed(() => FieldFlashStore.open(dir))
    console.log(`store open with ${deviceCount} devices`.padEnd(40), `${openMs.toFixed(2)} ms`)
    const adds: number[] = []
    for (let i = 0; i < 50; i++)
      adds.push((await timed(() => addDevice(store, catalog, { boardId: 'esp32-devkitc' })))[0])
    summary(`store add (${deviceCount} devices)`, adds)
    const gets: number[] = []
    for (let i = 0; i < 1000; i++)
      gets.push((await timed(() => getDevice(store, `dev-${String(i * 7).padStart(6, '0')}`)))[0])
    summary(`store get (${deviceCount} devices)`, gets)
    const lists: number[] = []
    for (let i = 0; i < 20; i++) lists.push((await timed(() => listDevices(store)))[0])
    summary(`store list (${deviceCount} devices)`, lists)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

console.log(`FieldFlash benchmarks — Node ${process.version}, ${new Date().toISOString()}`)
await benchTemplates(500)
await benchStore(10_000)
await (await import('./flash')).benchFlash()
await (await import('./monitor')).benchMonitor()
