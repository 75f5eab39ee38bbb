import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { addDevice } from '../main/devices/devices'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import { downloadTemplate } from '../main/template/download-template'
import { benchRegistry } from './registry'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

// `npm run bench`: prints figures; nothing here asserts a time (targets live in the closing notes).

async function benchTemplates(count: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const store = await FieldFlashStore.open(join(dir, 'data'))
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    await saveSiteProfile(store, BENCH_SITE)
    const boards = catalog.list()
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const { uid } = await addDevice(store, catalog, { boardId: boards[i % boards.length]!.id })
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

console.log(`FieldFlash benchmarks — Node ${process.version}, ${new Date().toISOString()}`)
await benchTemplates(500)
await (await import('./cli-start')).benchCliStart()
await benchRegistry(10_000)
await benchRegistry(100_000)
await (await import('./flash')).benchFlash()
await (await import('./flash')).benchEventLoopWhileFlashing()
await (await import('./provision')).benchConfigPartition()
await (await import('./provision')).benchProvision()
await (await import('./provision')).benchIdentify()
await (await import('./station')).benchStation()
await (await import('./monitor')).benchMonitor()
await (await import('./registration')).benchRegistration(20)
await (await import('./export')).benchExport(10_000)
await (await import('./registry-copy')).benchRegistryCopy(100_000)
await (await import('./shared-registry')).benchEngines(100_000)
await (await import('./shared-registry')).benchStations(4, 4, 30)
