import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { rotateMqttPassword } from '../main/devices/devices'
import { writeBrokerFiles } from '../main/export/broker-export'
import {
  verifyPlatformExport,
  writePlatformExport,
  type ExportResult,
} from '../main/export/platform-export'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import { seedDevices, type SeedStage } from '../devkit/seed-registry'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

// The exports of a site's registry: the signed platform export (full, verified, incremental) and
// the broker's password and ACL files, at `deviceCount` devices seeded through the app's services.

const size = (bytes: number): string =>
  `${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024 / 1024).toFixed(2)} MB)`

/** Which share of the registry is at each stage. */
const MIX: [SeedStage, number][] = [
  ['registered', 0.8],
  ['approved', 0.1],
  ['minted', 0.1],
]

export async function benchExport(deviceCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-export-'))
  let store: FieldFlashStore | null = null
  try {
    store = await FieldFlashStore.open(join(dir, 'data'))
    await saveSiteProfile(store, BENCH_SITE)
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))

    let next = 0
    const [seedMs] = await timed(async () => {
      for (const [stage, share] of MIX) {
        const count =
          stage === MIX.at(-1)![0] ? deviceCount - next : Math.round(deviceCount * share)
        const uids = Array.from(
          { length: count },
          (_, i) => `exp-${String(next + i).padStart(6, '0')}`,
        )
        next += count
        await seedDevices(store!, catalog, { uids, stage, batch: 500 })
      }
    })
    const mix = MIX.map(([stage, share]) => `${Math.round(share * 100)}% ${stage}`).join(', ')
    console.log(
      `export: seeded ${deviceCount} devices (batch 500)`.padEnd(52),
      `${seedMs.toFixed(0)} ms   ${mix}`,
    )

    // The platform export, full.
    const fulls: number[] = []
    let full: ExportResult | null = null
    for (let i = 0; i < 3; i++) {
      const outPath = join(dir, `export-${i}.jsonl`)
      const [ms, result] = await timed(() => writePlatformExport(store!, { outPath }))
      fulls.push(ms)
      full = result
    }
    summary(`platform export, full (${deviceCount} devices)`, fulls)
    console.log(
      `  written`.padEnd(52),
      `${size(full!.bytes)}   ${full!.records} records, ${full!.devices} devices`,
    )
    const [verifyMs, verified] = await timed(() =>
      verifyPlatformExport({ path: full!.path, dataDir: store!.dataDir }),
    )
    console.log(
      `platform export, verify (${deviceCount} devices)`.padEnd(52),
      `${verifyMs.toFixed(2)} ms   ${verified.records} records`,
    )

    // Incremental: 100 devices changed after the last full export.
    for (let i = 0; i < 100; i++) {
      await rotateMqttPassword(store, `exp-${String((i * 97) % deviceCount).padStart(6, '0')}`)
    }
    const [incMs, inc] = await timed(() =>
      writePlatformExport(store!, { outPath: join(dir, 'export-inc.jsonl'), since: full!.cursor }),
    )
    console.log(
      `platform export, since cursor (100 changed)`.padEnd(52),
      `${incMs.toFixed(2)} ms   ${size(inc.bytes)}   ${inc.records} records, ${inc.devices} devices`,
    )

    // The broker's files.
    const brokers: number[] = []
    let passwdBytes = 0
    let admitted = 0
    let leftOut = 0
    for (let i = 0; i < 3; i++) {
      const outDir = join(dir, `broker-${i}`)
      const [ms, result] = await timed(() => writeBrokerFiles(store!, { outDir }))
      brokers.push(ms)
      passwdBytes = (await stat(result.passwordFile)).size
      admitted = result.devices
      leftOut = result.leftOut.length
    }
    summary(`broker files, mosquitto (${deviceCount} devices)`, brokers)
    console.log(
      `  passwd`.padEnd(52),
      `${size(passwdBytes)}   ${admitted} admitted, ${leftOut} left out`,
    )
  } finally {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  }
}
