import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { buildConfigPartition } from '../main/config-partition/config-partition'
import { addDevice } from '../main/devices/devices'
import { importFirmware } from '../main/firmware-library/firmware-library'
import { identifyBoard } from '../main/identify/identify-board'
import { provisionBoard } from '../main/provision/provision-board'
import { saveSiteProfile } from '../main/site/site-profile'
import { FieldFlashStore } from '../main/store/store'
import { startPtyEmulator } from '../devkit/pty'
import {
  espImage,
  FIELDFLASH_4MB,
  partitionTable,
  singleSegmentImage,
  writeFiles,
} from '../devkit/firmware-images'
import { firmwareLike } from './flash'
import { BENCH_SITE, RESOURCES, summary, timed } from './stats'

/** Generating a device's ffcfg partition, in memory. */
export async function benchConfigPartition(): Promise<void> {
  const values = {
    deviceUid: 'ff-0123456789ab',
    platformKey: 'pk_live_1',
    mqttHost: 'mqtt.example.com',
    mqttPort: 8883,
    mqttUsername: 'dev-ff-0123456789ab',
    mqttPassword: 'Zq3vN0x8Yk2Lm5Pw7Rt9Sb4Hc6Jd1Fg0',
    otaBaseUrl: 'https://ota.example.com/fw',
    apiHost: 'api.example.com',
    provisioningToken: 'ffpt_z7q5m49tb2fr7md1gswjdzcm8qs5njpz6j7dwqdxaqjgaw90q19g2a4aqpy',
    wifi: { ssid: 'Plant 3', password: 'correct horse battery' },
  }
  const samples: number[] = []
  for (let i = 0; i < 2000; i++) samples.push((await timed(() => buildConfigPartition(values)))[0])
  summary('config partition generation (0x3000 bytes)', samples)
}

/** A full provisioning (1 MiB app) against a re-provisioning of the same board, at 921600 baud. */
export async function benchProvision(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const store = await FieldFlashStore.open(join(dir, 'data'))
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    await saveSiteProfile(store, BENCH_SITE)
    await addDevice(store, catalog, { uid: 'bench-0001', boardId: 'esp32-devkitc' })
    const build = join(dir, 'build')
    await writeFiles(build, {
      'bootloader.bin': espImage({ chipId: 0, segments: [4096, 16_384] }),
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      'firmware.bin': singleSegmentImage(firmwareLike(1024 * 1024 - 64), 0x3f400020),
    })
    await importFirmware(store, catalog, { path: build, boardId: 'esp32-devkitc' })

    const run = async (flash?: Uint8Array) => {
      const board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:00:00:01' })
      if (flash) board.emulator.loadFlash(0, flash)
      try {
        const started = performance.now()
        const result = await provisionBoard(
          { store, catalog },
          { uid: 'bench-0001', port: { path: board.clientPath }, before: 'no_reset', baud: 921600 },
          () => undefined,
        )
        if (!result.ok) throw new Error(`${result.code}: ${result.message}`)
        return {
          seconds: (performance.now() - started) / 1000,
          written: result.parts.filter((p) => !p.skipped).map((p) => p.name),
          flash: board.emulator.readFlash(0, 4 * 1024 * 1024),
        }
      } finally {
        await board.stop()
      }
    }
    const full = await run()
    const again = await run(full.flash)
    console.log(
      `provision, full (1 MiB app)`.padEnd(52),
      `${full.seconds.toFixed(2)} s   wrote ${full.written.join(', ')}`,
    )
    console.log(
      `provision again, same board`.padEnd(52),
      `${again.seconds.toFixed(2)} s   wrote ${again.written.join(', ')}   ${((again.seconds / full.seconds) * 100).toFixed(0)}% of the full time`,
    )
    await store.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * `identify` of a provisioned board at 921600 baud: connect, read the partition table and a 24 KiB
 * ffcfg back (each checked by the board's MD5), decode the NVS, match the library firmware.
 */
export async function benchIdentify(samples = 5): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const store = await FieldFlashStore.open(join(dir, 'data'))
    const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
    await saveSiteProfile(store, BENCH_SITE)
    await addDevice(store, catalog, { uid: 'bench-0001', boardId: 'esp32-devkitc' })
    const table = FIELDFLASH_4MB.map((p) =>
      p.label === 'spiffs'
        ? { ...p, size: 0x15a000 }
        : p.label === 'ffcfg'
          ? { ...p, offset: 0x3ea000, size: 0x6000 }
          : p,
    )
    const build = join(dir, 'build')
    await writeFiles(build, {
      'bootloader.bin': espImage({ chipId: 0, segments: [4096, 16_384] }),
      'partitions.bin': partitionTable(table),
      'firmware.bin': singleSegmentImage(firmwareLike(1024 * 1024 - 64), 0x3f400020),
    })
    await importFirmware(store, catalog, { path: build, boardId: 'esp32-devkitc' })
    const first = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:00:00:01' })
    let flash: Uint8Array
    try {
      const provisioned = await provisionBoard(
        { store, catalog },
        { uid: 'bench-0001', port: { path: first.clientPath }, before: 'no_reset', baud: 921600 },
        () => undefined,
      )
      if (!provisioned.ok) throw new Error(`${provisioned.code}: ${provisioned.message}`)
      flash = first.emulator.readFlash(0, 4 * 1024 * 1024)
    } finally {
      await first.stop()
    }
    const times: number[] = []
    let bytes = 0
    for (let i = 0; i < samples; i++) {
      const board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:00:00:01' })
      board.emulator.loadFlash(0, flash)
      try {
        const [ms, result] = await timed(() =>
          identifyBoard(
            { store, catalog },
            { port: { path: board.clientPath }, before: 'no_reset', baud: 921600 },
            () => undefined,
          ),
        )
        if (!result.ok) throw new Error(`${result.code}: ${result.message}`)
        if (result.device?.token !== 'current' || !result.firmware) {
          throw new Error('identify did not recognise the board it just provisioned')
        }
        bytes = result.bytesRead
        times.push(ms)
      } finally {
        await board.stop()
      }
    }
    summary(`identify at 921600 (24 KiB ffcfg, ${bytes} bytes read)`, times)
    await store.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
