import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { importFirmware } from '../main/firmware-library/firmware-library'
import { saveSiteProfile } from '../main/site/site-profile'
import { openLot } from '../main/station/lot'
import { Station } from '../main/station/station'
import { FieldFlashStore } from '../main/store/store'
import {
  espImage,
  FIELDFLASH_4MB,
  partitionTable,
  singleSegmentImage,
  writeFiles,
} from '../devkit/firmware-images'
import { startEmulatorFarm } from '../devkit/farm-access'
import { firmwareLike } from './flash'
import { BENCH_SITE, RESOURCES } from './stats'

// The station on emulated boards behind ptys, each with its reset circuit wired: 1, 4 and 8
// boards provisioned at once (read back, written, verified by MD5), the wall time of each lot and
// its ratio to one board; then the main event loop's lag while 8 boards flash and another process
// holds the registry's write lock. The emulators run in a process of their own (the event loop
// measured is FieldFlash's alone), but on 2 cores they still compete with it for the CPU: real
// boards would not.

const APP_BYTES = 512 * 1024

async function lot(
  dir: string,
  count: number,
  holder?: { prepare: (dbPath: string) => void; start: () => void },
): Promise<{ seconds: number; done: number; lagMaxMs: number; lagP99Ms: number }> {
  const data = await mkdtemp(join(dir, `lot-${count}-`))
  const store = await FieldFlashStore.open(data)
  const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
  await saveSiteProfile(store, BENCH_SITE)
  const build = join(data, 'build')
  await writeFiles(build, {
    'bootloader.bin': espImage({ chipId: 0, segments: [4096, 16_384] }),
    'partitions.bin': partitionTable(FIELDFLASH_4MB),
    'firmware.bin': singleSegmentImage(firmwareLike(APP_BYTES - 64), 0x3f400020),
  })
  const { entry } = await importFirmware(store, catalog, { path: build, boardId: 'esp32-devkitc' })
  // The boards run in a process of their own, as real boards do not run in the app's.
  const farm = await startEmulatorFarm(count)
  holder?.prepare(store.path)
  // Let the other process start (and load) before anything is measured.
  if (holder) await new Promise((resolve) => setTimeout(resolve, 2000))
  const lag = monitorEventLoopDelay({ resolution: 5 })
  try {
    let started = false
    const station = new Station(
      { store, catalog },
      {
        firmware: entry.id,
        lot: await openLot(store, catalog, 'bench-{seq:03}', 'esp32-devkitc'),
        ports: farm.ports,
        until: 'flashed',
        count,
        baud: 921600,
      },
      { listPorts: async () => [], access: farm.access, pollMs: 50 },
      (event) => {
        if (!started && event.type === 'board' && event.board.phase === 'writing') {
          started = true
          holder?.start()
        }
      },
    )
    lag.enable()
    const t0 = performance.now()
    const totals = await station.run()
    const seconds = (performance.now() - t0) / 1000
    lag.disable()
    if (totals.done !== count) throw new Error(`only ${totals.done} of ${count} boards were done`)
    return {
      seconds,
      done: totals.done,
      lagMaxMs: lag.max / 1e6,
      lagP99Ms: lag.percentile(99) / 1e6,
    }
  } finally {
    await farm.stop()
    await store.close()
  }
}

/**
 * Another process that holds the registry's write lock for `ms` once told to: started before the
 * measurement (starting a process would itself stall this one's event loop for a fork).
 */
function lockHolder(dbPath: () => string, ms: number) {
  let child: ReturnType<typeof spawn> | null = null
  let finish!: () => void
  const done = new Promise<void>((resolve) => (finish = resolve))
  return {
    prepare() {
      child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, '..', 'devkit', 'hold-write-lock.ts')].concat(
          [dbPath(), String(ms), '--wait'],
        ),
        { stdio: ['pipe', 'ignore', 'inherit'] },
      )
      child.once('exit', () => finish())
    },
    start() {
      child?.stdin?.write('lock\n')
    },
    done,
  }
}

export async function benchStation(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-station-'))
  try {
    const one = await lot(dir, 1)
    for (const [count, result] of [
      [1, one],
      [4, await lot(dir, 4)],
      [8, await lot(dir, 8)],
    ] as const) {
      console.log(
        `station, ${count} board(s) at once (${APP_BYTES / 1024} KiB app)`.padEnd(52),
        `${result.seconds.toFixed(2)} s   ${(result.seconds / one.seconds).toFixed(2)}× one board   ${Math.round((count * 3600) / result.seconds)} boards/hour   lag max ${result.lagMaxMs.toFixed(1)} ms`,
      )
    }
    let dbPath = ''
    const holder = lockHolder(() => dbPath, 3000)
    const locked = await lot(dir, 8, {
      prepare: (path) => {
        dbPath = path
        holder.prepare()
      },
      start: holder.start,
    })
    await holder.done
    console.log(
      `event-loop lag, 8 boards, write lock held 3 s elsewhere`.padEnd(52),
      `max ${locked.lagMaxMs.toFixed(1)} ms   p99 ${locked.lagP99Ms.toFixed(1)} ms   (${locked.seconds.toFixed(2)} s)`,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
