import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPostgres } from '../devkit/postgres'
import { importDevices } from '../main/devices/import-devices'
import { saveSiteProfile } from '../main/site/site-profile'
import { databaseTarget } from '../main/store/postgres'
import { checkPostgresRegistry } from '../main/store/registry-check'
import { copyRegistry } from '../main/store/registry-copy'
import { FieldFlashStore } from '../main/store/store'
import { BENCH_SITE, timed } from './stats'

/** `registry copy` of a registry of `deviceCount` devices into a local PostgreSQL, then `doctor`. */
export async function benchRegistryCopy(deviceCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-copy-'))
  const server = await startPostgres()
  try {
    const store = await FieldFlashStore.open(dir)
    await saveSiteProfile(store, BENCH_SITE)
    await importDevices(
      store,
      Array.from({ length: deviceCount }, (_, i) => ({
        line: i + 1,
        uid: `dev-${i}`,
        boardId: 'esp32-devkitc',
      })),
    )
    const target = databaseTarget(await server.database(), 'to')
    const [copyMs, result] = await timed(() => copyRegistry(store, target))
    console.log(
      `registry copy into PostgreSQL (${deviceCount} devices, ${result.counts.audit} audit entries)`.padEnd(
        52,
      ),
      `${(copyMs / 1000).toFixed(2)} s`,
    )
    const [doctorMs, check] = await timed(() => checkPostgresRegistry(target, dir))
    console.log(
      `doctor --database (${check.key.opened} sealed values opened)`.padEnd(52),
      `${(doctorMs / 1000).toFixed(2)} s`,
    )
    await store.close()
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
